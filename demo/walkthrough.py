"""``make demo``: the mock started, then one seeded accountant walked from login to a signed and a sealed PDF.

Through the SDK, step by step, printing each: Marie Dupont (``marie.dupont``, a chartered accountant of Cabinet
Ecma) logs in through the SSO, walks the six registration steps with the sample identity card (``jesign-mock
samples``) and the SMS codes read from the mock's outbox, signs ``lettre.pdf`` at PAdES B-LT with her certificate
and seals ``facture.pdf`` with Cabinet Ecma's seal at B-LT; both are validated. Then the server keeps running, for
the screens and the console in a browser, until Ctrl+C.

Run from the repository's root: ``.venv/bin/python demo/walkthrough.py [--port 8400] [--out demo-output]``. An
account already registered by an earlier run is reused (the registration resumes where it stands).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from jesign_sdk import Applicant, Client, DocumentSide, IdentityDocument, JesignError, MockOutboxOtpSource
from mock_provider.samples import SAMPLE_BIRTH_DATE, SAMPLE_LOGIN, SAMPLE_MOBILE, write_samples

FIRM = "frm_ecma"


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def start_mock(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """``jesign-mock serve`` on ``port``, ready once ``/healthz`` answers (its output goes to ours)."""
    mock = Path(sys.executable).with_name("jesign-mock")
    command = [str(mock), "serve", "--port", str(port), "--data-dir", str(data_dir)]
    process = subprocess.Popen(command)  # noqa: S603 (our own console script)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"jesign-mock serve stopped (exit {process.returncode}): is port {port} in use?")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    sys.exit("jesign-mock serve did not answer within 60 s")


def walk(base_url: str, out: Path) -> None:
    step(f"Sample material (jesign-mock samples {out})")
    for path in write_samples(out):
        print(f"    {path}")

    step(f"Login through the SSO as {SAMPLE_LOGIN} (the mock's headless login: login_hint)")
    client = Client(base_url)
    client.login_with_hint(SAMPLE_LOGIN)
    me = client.me()
    firms = ", ".join(f"{firm.name} ({firm.role})" for firm in me.firms)
    print(f"    {me.given_name} {me.family_name}, {me.email}: {firms}; registration {me.registration_state}")

    step("Registration: the six steps of the guide, from wherever the account stands to active")
    codes = MockOutboxOtpSource(client.requestor, SAMPLE_MOBILE)  # the SMS codes, read from the mock's outbox
    person = Applicant(
        mobile_number=SAMPLE_MOBILE,
        birth_date=SAMPLE_BIRTH_DATE,
        document=IdentityDocument(
            "id_card:fra",
            DocumentSide.load(out / "recto.jpg"),
            DocumentSide.load(out / "verso.jpg"),
            mrz=(out / "mrz.txt").read_text(encoding="ascii").strip(),
        ),
    )
    certificate = client.registration.enroll(
        person, codes, poll_interval=0.2, on_step=lambda state, action: print(f"    {state}: next {action}")
    )
    print(f"    certificate: {certificate.subject} ({certificate.status})")

    step("Signing lettre.pdf with her certificate: one SMS code, PAdES B-LT")
    signed = client.signing.sign_pdf(out / "lettre.pdf", out / "lettre-signee.pdf", otp_source=codes, level="B-LT")
    print(f"    {signed}")

    step(f"Sealing facture.pdf with Cabinet Ecma's seal ({FIRM}): no code, PAdES B-LT")
    sealed = client.signing.seal_pdf(out / "facture.pdf", out / "facture-scellee.pdf", firm_id=FIRM, level="B-LT")
    print(f"    {sealed}")

    step("Validating both (pyHanko, against the mock's root)")
    for path in (signed, sealed):
        for report in client.signing.validate_pdf(path):
            print(f"    {path.name}: {report.indication}, {report.pades_level}, {report.signer_name}")

    step("What next")
    print(f"    Signed files:   {signed.resolve()}\n                    {sealed.resolve()}")
    print(f"    Validate them:  .venv/bin/jesign --base-url {base_url} validate {signed}")
    print(f"                    pdfsig {signed}   (poppler; trusts the mock's root only if you import it)")
    print(f"    Screens:        {base_url}/   (the guide's pages, in French)")
    print(f"    Console:        {base_url}/console/   (the outbox, the clock, reset)")
    print("    The server keeps running; stop it with Ctrl+C.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8400)
    parser.add_argument("--data-dir", type=Path, default=Path(".jesign-mock"))
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    parser.add_argument("--no-serve", action="store_true", help="stop the server after the walkthrough")
    args = parser.parse_args()
    base_url = f"http://127.0.0.1:{args.port}"
    process = start_mock(args.port, args.data_dir)
    try:
        try:
            walk(base_url, args.out)
        except JesignError as error:
            print(f"\nThe walkthrough stopped: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
        if args.no_serve:
            return 0
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
