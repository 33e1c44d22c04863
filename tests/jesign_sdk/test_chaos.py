"""Chaos: twenty enrollments through the SDK while the mock fails and stalls at random.

The control plane's fault policy answers 10% of the platform's and the trust provider's calls with 503 (half of
them after the call was processed, so that only idempotency keeps a retry from repeating it) and delays every call
by up to 30 ms; the failures say ``Retry-After: 0``. The SSO's token endpoint is left out: an authorization code
is single-use by design, and no client may replay it. After each enrollment the outbox and the database must show
exactly one SMS for the one code asked, one registration and one new certificate.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
import requests

from jesign_sdk import Applicant, Client, DocumentSide, IdentityDocument, MockOutboxOtpSource, RetryPolicy
from tests.helpers.mock import LiveMock
from tests.helpers.registration import colour_image, td1

pytestmark = pytest.mark.live

ENROLLMENTS = 20
POLICY = {
    "error_rate": 0.1,
    "status": 503,
    "delay_ms_max": 30,
    "after_processing_rate": 0.5,
    # Retry-After 0: the retries and idempotency are what is tested, not waiting (1 s at random would be 17 s).
    "retry_after": 0,
    "routes": ["/platform/api/v1/*", "/trust/v1/*"],
}


def test_twenty_enrollments_through_injected_failures(live_mock: LiveMock) -> None:
    control = f"{live_mock.url}/_mock"
    person = Applicant(
        mobile_number="+33612345678",
        birth_date=date(1980, 4, 12),
        document=IdentityDocument(
            "id_card:fra", DocumentSide(colour_image()), DocumentSide(colour_image("PNG")), mrz=td1("X4RTBPFW4")
        ),
    )
    injected = 0
    for run in range(ENROLLMENTS):
        assert requests.post(f"{control}/reset", timeout=10).status_code == 200
        certificates_before = len(requests.get(f"{control}/certificates", timeout=10).json()["data"])
        client = Client(live_mock.url, retry=RetryPolicy(max_retries=8, backoff_base=0.02, rng=random.Random(run)))
        client.login_with_hint("marie.dupont")
        assert requests.put(f"{control}/faults", json={**POLICY, "seed": run}, timeout=10).status_code == 200

        certificate = client.registration.enroll(person, MockOutboxOtpSource(client.requestor, "+33612345678"))

        assert requests.delete(f"{control}/faults", timeout=10).status_code == 204
        assert certificate.status == "valid"
        sms = requests.get(f"{control}/outbox", params={"channel": "sms"}, timeout=10).json()["data"]
        assert len(sms) == 1, f"run {run}: {len(sms)} SMS for one code asked"
        registrations = requests.get(f"{control}/registrations", timeout=10).json()["data"]
        assert len(registrations) == 1
        assert registrations[0]["state"] == "certificate_issued"
        certificates = requests.get(f"{control}/certificates", timeout=10).json()["data"]
        assert len(certificates) == certificates_before + 1, f"run {run}: more than one certificate"
        history = requests.get(f"{control}/requests", params={"limit": 1000}, timeout=10).json()["data"]
        injected += sum(1 for r in history if r["status"] == 503)
    # The faults did happen: about one call in ten over the twenty runs.
    assert injected >= ENROLLMENTS
