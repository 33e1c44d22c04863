"""``make demo``'s walkthrough, run as ``make demo`` runs it (without keeping the server): a fresh data folder, the
mock started on a free port, Marie Dupont from login to a signed and a sealed PDF; both accepted by pyHanko
(through ``validate_pdf``, against the root the mock wrote) and by poppler's ``pdfsig``; the sample material
accepted by the registration's rules on the way."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jesign_sdk.signing.validation import validate
from mock_provider.samples import sample_mrz, write_samples

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.live


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pdfsig() -> str:
    found = shutil.which("pdfsig")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("pdfsig (poppler-utils) is missing: .ci/run installs it")
        pytest.skip("pdfsig (poppler-utils) is not installed")
    return found


def test_the_walkthrough_ends_with_a_signed_and_a_sealed_pdf_that_pyhanko_and_pdfsig_accept(tmp_path: Path) -> None:
    pdfsig = _pdfsig()
    out = tmp_path / "out"
    command = [sys.executable, str(ROOT / "demo" / "walkthrough.py"), "--no-serve", "--port", str(_free_port())]
    command += ["--data-dir", str(tmp_path / "data"), "--out", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    signed, sealed = out / "lettre-signee.pdf", out / "facture-scellee.pdf"
    assert f"Signed files:   {signed.resolve()}" in run.stdout
    root = tmp_path / "data" / "pki" / "root.pem"
    for path, level, signer in ((signed, "B-LT", "Marie Dupont"), (sealed, "B-LT", "Cabinet Ecma")):
        [report] = validate(path.read_bytes(), trust_roots=[root], allow_fetching=False)
        assert report.indication == "TOTAL_PASSED", report
        assert report.pades_level == level
        assert report.signer_name == signer
        checked = subprocess.run([pdfsig, str(path)], capture_output=True, text=True, check=False)
        assert "Signature Validation: Signature is Valid." in checked.stdout, checked.stdout


def test_samples_are_marie_duponts_card_and_pdfs(tmp_path: Path) -> None:
    written = {p.name for p in write_samples(tmp_path)}
    assert {"recto.jpg", "verso.jpg", "mrz.txt", "lettre.pdf", "facture.pdf", "contrat.pdf"} <= written
    lines = (tmp_path / "mrz.txt").read_text(encoding="ascii").split()
    assert lines == sample_mrz().split("\n")
    assert lines[2].startswith("DUPONT<<MARIE<")
    assert lines[1].startswith("800412")  # born 12 April 1980, as the seeded person
