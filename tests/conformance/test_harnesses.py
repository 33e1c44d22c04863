"""The interactive harness, played by a script: the operator's prompts, and the clock checks SKIPPED with a reason."""

from __future__ import annotations

import requests

from conformance import InteractiveHarness, run_conformance
from conformance.results import Status


def test_the_interactive_harness_asks_the_operator_and_skips_what_needs_the_clock(mock_url: str) -> None:
    requests.post(f"{mock_url}/_mock/reset", timeout=10)
    prompts: list[str] = []

    def operator(prompt: str) -> str:
        """A scripted operator: logs in where told (the mock's login_hint), reads the SMS from the outbox."""
        prompts.append(prompt)
        if prompt.startswith("Paste the URL"):
            answer = requests.get(f"{said[-1]}&login_hint=marie.dupont", allow_redirects=False, timeout=10)
            return answer.headers["Location"]
        if prompt.startswith("Type the SMS code"):
            phone = prompt.split(" to ")[1].rstrip(": ")
            found = requests.get(f"{mock_url}/_mock/outbox/otp", params={"phone_number": phone}, timeout=10)
            return str(found.json()["otp"])
        return ""

    said: list[str] = []

    def say(message: str) -> None:
        said.extend(line.strip() for line in message.splitlines() if line.strip().startswith("http"))

    harness = InteractiveHarness(ask=operator, say=say)
    report = run_conformance(
        mock_url,
        plans=["registration"],
        harness=harness,
        only=["registration.otp.sent", "registration.otp.expiry", "registration.identity.birth_date_required"],
    )
    assert report.result("smoke.login.accountant").status is Status.PASSED
    assert report.result("registration.otp.sent").status is Status.PASSED
    expiry = report.result("registration.otp.expiry")
    assert expiry.status is Status.SKIPPED
    assert "clock" in expiry.reason
    assert any(p.startswith("Type the SMS code") for p in prompts)
    assert report.exit_code == 0


def test_the_mock_harness_keeps_a_breakage_switched_on_through_the_control_plane(mock_url: str) -> None:
    """Its reset cleans the state, it does not heal the provider under test: the broken rule's check fails."""
    requests.put(f"{mock_url}/_mock/breakages", json={"active": ["ignore_ocsp_nonce"]}, timeout=10)
    try:
        report = run_conformance(mock_url, plans=["pki"], only=["pki.ocsp"])
        assert report.result("pki.ocsp.nonce").status is Status.FAILED
        assert requests.get(f"{mock_url}/_mock/breakages", timeout=10).json()["active"] == ["ignore_ocsp_nonce"]
    finally:
        requests.delete(f"{mock_url}/_mock/breakages", timeout=10)
    assert run_conformance(mock_url, plans=["pki"], only=["pki.ocsp"]).result("pki.ocsp.nonce").status is Status.PASSED
