"""The certificate after step 5, over HTTP: revoked by its holder with an SMS code and a reason (CRL and OCSP at
once, the credential refused, an e-mail), then a new request walked again; expiry on the mock clock, then renewal."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from cryptography import x509
from flask.testing import FlaskClient

from mock_provider.core.clock import ManualClock
from tests.helpers.registration import (
    bearer,
    consent,
    latest_otp,
    register_to_active,
    sign,
    sso_login,
    submit_identity,
    upload,
)

MARIE_MOBILE = "+33612345678"
PLATFORM = "/platform/api/v1"


def status(client: FlaskClient, auth: dict[str, str]) -> dict[str, object]:
    answer = client.get(f"{PLATFORM}/registration", headers=auth)
    assert answer.status_code == 200
    body: dict[str, object] = answer.json
    return body


def renew(client: FlaskClient, auth: dict[str, str]) -> str:
    """A new request through the trust provider's steps again (identity, document, agreement, review)."""
    started = client.post(f"{PLATFORM}/registration/certificate-request", json={}, headers=auth)
    assert started.status_code == 201, started.json
    reg = {**started.json, "phone_number": MARIE_MOBILE}
    assert submit_identity(client, reg).status_code == 200
    assert upload(client, reg).status_code == 200
    assert consent(client, reg).status_code == 200
    assert sign(client, reg, latest_otp(client, MARIE_MOBILE)).status_code == 200
    certificate = client.get(f"{PLATFORM}/registration/certificate", headers=auth).json
    return str(certificate["id"])


def emails(client: FlaskClient, subject: str) -> list[dict[str, object]]:
    listed = client.get("/_mock/outbox", query_string={"channel": "email"}).json["data"]
    return [m for m in listed if m["subject"] == subject]


def test_the_holder_revokes_with_a_code_and_a_reason_then_renews(client: FlaskClient) -> None:
    auth = bearer(register_to_active(client))
    first = client.get(f"{PLATFORM}/registration/certificate", headers=auth).json
    refused = client.post(f"{PLATFORM}/registration/certificate/revocation", json={"otp": "123456"}, headers=auth)
    assert (refused.status_code, refused.json["code"]) == (400, "invalid_revocation_reason")
    sent = client.post(f"{PLATFORM}/registration/certificate/revocation-code", headers=auth)
    assert sent.status_code == 200
    assert sent.json["phone_last_digits"] == "5678"
    code = latest_otp(client, MARIE_MOBILE)
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    body = {"otp": wrong, "reason": "key_compromise"}
    refused = client.post(f"{PLATFORM}/registration/certificate/revocation", json=body, headers=auth)
    assert (refused.status_code, refused.json["code"]) == (400, "otp_invalid")
    assert client.get(f"{PLATFORM}/registration/certificate", headers=auth).json["status"] == "valid"
    revoked = client.post(
        f"{PLATFORM}/registration/certificate/revocation", json={"otp": code, "reason": "key_compromise"}, headers=auth
    )
    assert revoked.status_code == 200, revoked.json
    assert (revoked.json["id"], revoked.json["status"]) == (first["id"], "revoked")
    again = client.post(f"{PLATFORM}/registration/certificate/revocation-code", headers=auth)
    assert (again.status_code, again.json["code"]) == (409, "certificate_revoked")
    # The CRL names it, with the holder's reason.
    crl = x509.load_der_x509_crl(client.get("/pki/crl/person.crl").data)
    entry = crl.get_revoked_certificate_by_serial_number(int(first["serial_number"], 16))
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    assert emails(client, "Votre certificat a été révoqué")
    now = status(client, auth)
    assert (now["state"], now["next_action"]) == ("certificate_revoked", "start_certificate_request")
    second = renew(client, auth)
    assert second != first["id"]
    renewed = status(client, auth)
    assert (renewed["state"], renewed["next_action"]) == ("active", None)  # the terms accepted before still hold


def test_expiry_on_the_clock_then_renewal(client: FlaskClient, clock: ManualClock) -> None:
    register_to_active(client)
    auth = bearer(sso_login(client, "marie.dupont"))
    first = client.get(f"{PLATFORM}/registration/certificate", headers=auth).json
    not_after = x509.load_pem_x509_certificate(first["certificate_pem"].encode()).not_valid_after_utc
    clock.set(not_after, frozen=True)  # valid through notAfter
    auth = bearer(sso_login(client, "marie.dupont"))
    assert client.get(f"{PLATFORM}/registration/certificate", headers=auth).json["status"] == "valid"
    assert status(client, auth)["state"] == "active"
    clock.set(not_after + timedelta(seconds=1), frozen=True)
    assert client.get(f"{PLATFORM}/registration/certificate", headers=auth).json["status"] == "expired"
    now = status(client, auth)
    assert (now["state"], now["next_action"]) == ("certificate_expired", "start_certificate_request")
    refused = client.post(f"{PLATFORM}/registration/certificate/revocation-code", headers=auth)
    assert (refused.status_code, refused.json["code"]) == (409, "certificate_expired")
    assert renew(client, auth) != first["id"]
    assert status(client, auth)["state"] == "active"


def test_expiry_notices_60_and_15_days_before_each_once(client: FlaskClient, clock: ManualClock) -> None:
    register_to_active(client)
    auth = bearer(sso_login(client, "marie.dupont"))
    first = client.get(f"{PLATFORM}/registration/certificate", headers=auth).json
    not_after = x509.load_pem_x509_certificate(first["certificate_pem"].encode()).not_valid_after_utc

    clock.set(not_after - timedelta(days=60, seconds=1), frozen=True)
    auth = bearer(sso_login(client, "marie.dupont"))
    status(client, auth)
    assert _expiry_emails(client) == []
    clock.set(not_after - timedelta(days=60), frozen=True)
    with ThreadPoolExecutor(8) as pool:  # calls that settle together send it once
        list(pool.map(lambda _: status(client, auth), range(16)))
    assert _expiry_emails(client) == ["Votre certificat expire dans 60 jours"]
    clock.set(not_after - timedelta(days=15), frozen=True)
    auth = bearer(sso_login(client, "marie.dupont"))
    status(client, auth)
    status(client, auth)
    assert _expiry_emails(client) == ["Votre certificat expire dans 15 jours", "Votre certificat expire dans 60 jours"]
    (latest,) = [m for m in client.get("/_mock/outbox", query_string={"channel": "email"}).json["data"][:1]]
    assert latest["recipient"] == "marie.dupont@cabinet-ecma.example.com"
    assert not_after.strftime("%d/%m/%Y") in latest["body"]


def test_no_notice_for_a_revoked_certificate(client: FlaskClient, clock: ManualClock) -> None:
    register_to_active(client)
    auth = bearer(sso_login(client, "marie.dupont"))
    first = client.get(f"{PLATFORM}/registration/certificate", headers=auth).json
    client.post(f"/_mock/certificates/{first['id']}/revoke", json={"reason": "key_compromise"})
    not_after = x509.load_pem_x509_certificate(first["certificate_pem"].encode()).not_valid_after_utc
    clock.set(not_after - timedelta(days=1), frozen=True)
    status(client, bearer(sso_login(client, "marie.dupont")))
    assert _expiry_emails(client) == []


def _expiry_emails(client: FlaskClient) -> list[str]:
    listed = client.get("/_mock/outbox", query_string={"channel": "email"}).json["data"]
    return sorted(str(m["subject"]) for m in listed if str(m["subject"]).startswith("Votre certificat expire"))
