"""``jesign-mock serve``, the command behind ``make demo``: a real server process on a loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.x509 import ocsp

from tests.mock_provider.pki_helpers import ocsp_request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.live
def test_serve_prints_the_parties_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "mock_provider.cli", "serve", "--port", str(port), "--data-dir", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("JESIGN_MOCK_")}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.1)
        root = x509.load_der_x509_certificate(requests.get(f"{base}/pki/ca/root.cer", timeout=5).content)
        assert x509.load_pem_x509_certificate((tmp_path / "pki" / "root.pem").read_bytes()) == root
        person = x509.load_der_x509_certificate(requests.get(f"{base}/pki/ca/person.cer", timeout=5).content)
        person.verify_directly_issued_by(root)
        answer = requests.post(
            f"{base}/pki/ocsp",
            data=ocsp_request(person, root),
            headers={"Content-Type": "application/ocsp-request"},
            timeout=5,
        )
        assert ocsp.load_der_ocsp_response(answer.content).certificate_status == ocsp.OCSPCertStatus.GOOD
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            out, err = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
    assert "NOT FOR PRODUCTION" in err
    assert f"http://127.0.0.1:{port}/pki" in out
    assert str((tmp_path / "pki").resolve()) in out
