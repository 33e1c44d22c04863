"""``jesign-mock serve``, the command behind ``make demo``: a real server process on a loopback port."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.x509 import ocsp

from tests.mock_provider.pki_helpers import ocsp_request
from tests.mock_provider.serve_helpers import serving


@pytest.mark.live
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_prints_the_parties_and_answers(tmp_path: Path, workers: int) -> None:
    with serving(tmp_path, "--workers", str(workers)) as served:
        base = served.base
        root = x509.load_der_x509_certificate(requests.get(f"{base}/pki/ca/root.cer", timeout=5).content)
        assert x509.load_pem_x509_certificate((tmp_path / "pki" / "root.pem").read_bytes()) == root
        person = x509.load_der_x509_certificate(requests.get(f"{base}/pki/ca/person.cer", timeout=5).content)
        person.verify_directly_issued_by(root)
        for _ in range(4):  # new connections, so that with several workers more than one may answer
            answer = requests.post(
                f"{base}/pki/ocsp",
                data=ocsp_request(person, root),
                headers={"Content-Type": "application/ocsp-request", "Connection": "close"},
                timeout=5,
            )
            assert ocsp.load_der_ocsp_response(answer.content).certificate_status == ocsp.OCSPCertStatus.GOOD
    assert "NOT FOR PRODUCTION" in served.err
    assert f"http://127.0.0.1:{served.port}/pki" in served.out
    assert str((tmp_path / "pki").resolve()) in served.out
    # Ctrl+C stops the server and every worker, cleanly.
    assert served.returncode == 0, served.err
    assert served.group_left
    assert "Traceback" not in served.err


@pytest.mark.live
def test_serve_says_when_the_port_is_taken(tmp_path: Path) -> None:
    import subprocess
    import sys

    with serving(tmp_path / "first") as served:
        taken = subprocess.run(
            [
                sys.executable,
                "-m",
                "mock_provider.cli",
                "serve",
                "--port",
                str(served.port),
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert taken.returncode != 0
    assert f"cannot listen on 127.0.0.1:{served.port}" in taken.stderr
    assert "Traceback" not in taken.stderr
