"""``jesign-mock serve``, the command behind ``make demo``: a real server process on a loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.x509 import ocsp

from tests.helpers.pki import ocsp_request
from tests.helpers.serve import has_ipv6_loopback, serving

MOCK_CLI = [sys.executable, "-m", "mock_provider.cli"]


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
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_refuses_a_port_in_use_and_the_first_server_answers_alone(tmp_path: Path, workers: int) -> None:
    """A second ``jesign-mock serve`` on the port of a running one (on the same address, or on the other IP
    family's loopback, where a client of localhost may land) says so in one line and exits; the first is alone."""
    second_dir = tmp_path / "second"
    with serving(tmp_path / "first", "--workers", str(workers)) as served:
        port = served.port
        what_to_do = "stop the server using it, or choose another port with --port"
        refusals = {"127.0.0.1": f"cannot listen on 127.0.0.1:{port}: port {port} is already in use; {what_to_do}"}
        if has_ipv6_loopback():
            refusals["::1"] = (
                f"cannot listen on [::1]:{port}: port {port} is already in use by a server on 127.0.0.1:{port},"
                f" which clients of localhost may reach instead; {what_to_do}"
            )
        for host, refusal in refusals.items():
            second = [*MOCK_CLI, "serve", "--host", host, "--port", str(port), "--data-dir", str(second_dir)]
            taken = subprocess.run(
                [*second, "--workers", str(workers)], capture_output=True, text=True, timeout=60, check=False
            )
            assert taken.returncode == 1, taken.stderr
            assert taken.stderr.splitlines() == [f"Error: {refusal}"]
            assert taken.stdout == ""
        assert not (second_dir / "pki").exists()  # refused before anything was made
        # Alone: every new connection reaches the first server's PKI, and nothing answers on the other loopback.
        root = (tmp_path / "first" / "pki" / "root.pem").read_bytes()
        for _ in range(2 * workers):
            answer = requests.get(f"{served.base}/pki/ca/root.cer", headers={"Connection": "close"}, timeout=5)
            assert x509.load_der_x509_certificate(answer.content) == x509.load_pem_x509_certificate(root)
        if has_ipv6_loopback():
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("::1", served.port), timeout=5).close()
    assert served.returncode == 0, served.err
