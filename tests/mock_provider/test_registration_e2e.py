"""The whole registration over real HTTP: first SSO login to ``active``, through public APIs only.

Only the control plane stands in for the person's phone (the SMS code) and, when the review is manual, for the
trust provider's reviewers. The issued certificate is then checked as a relying party would: level, subject,
serialNumber, chain to the root, and OCSP over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from mock_provider.core.clock import ManualClock
from mock_provider.core.pki import oids
from tests.helpers.mock import AppPool, LiveMock
from tests.helpers.registration import BIRTH_DATE, colour_image, td1


class Person:
    """A browser-less person driving the registration over HTTP, as the SDK will."""

    def __init__(self, base: str, login: str) -> None:
        self.base = base
        self.login = login
        self.http = requests.Session()
        self.token = self._login(login)
        self.reg: dict[str, Any] = {}

    def come_back_later(self, seconds: int) -> None:
        """Move the mock's clock, then log in again (the access token lives an hour)."""
        self.control("POST", "/clock/advance", json={"seconds": seconds})
        self.token = self._login(self.login)

    def _login(self, login: str) -> str:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        redirect = "http://127.0.0.1/callback"
        answer = self.http.get(
            f"{self.base}/sso/authorize",
            params={
                "response_type": "code",
                "client_id": "jesign-cli",
                "redirect_uri": redirect,
                "scope": "openid profile email phone",
                "state": "s1",
                "nonce": secrets.token_urlsafe(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "login_hint": login,
            },
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, answer.text
        location = urlsplit(answer.headers["Location"])
        assert "code" in parse_qs(location.query), answer.headers["Location"]
        assert parse_qs(location.query)["state"] == ["s1"]
        tokens = self.http.post(
            f"{self.base}/sso/token",
            data={
                "grant_type": "authorization_code",
                "client_id": "jesign-cli",
                "code": parse_qs(location.query)["code"][0],
                "redirect_uri": redirect,
                "code_verifier": verifier,
            },
            timeout=10,
        )
        assert tokens.status_code == 200, tokens.text
        return str(tokens.json()["access_token"])

    def platform(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(
            method,
            f"{self.base}/platform/api/v1{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            **kwargs,
        )
        assert response.status_code < 300, response.text
        return response.json()

    def trust(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(
            method,
            f"{self.base}/trust/v1/registrations/{self.reg['id']}{path}",
            headers={"Authorization": f"Bearer {self.reg['session_token']}"},
            timeout=30,
            **kwargs,
        )
        assert response.status_code < 300, response.text
        return response.json()

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.base}/_mock{path}", timeout=30, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    def register_until_review(self, mobile: str = "06 12 34 56 78") -> None:
        assert self.platform("GET", "/registration")["next_action"] == "confirm_profile"
        self.platform("POST", "/registration/profile", json={"mobile_number": mobile})
        self.reg = self.platform("POST", "/registration/certificate-request", json={"level": "qcpnqscd"})
        assert self.trust("GET", "")["next_action"] == "submit_identity"
        self.trust(
            "POST", "/identity", json={"birth_date": BIRTH_DATE, "accept_terms": True, "accept_privacy_policy": True}
        )
        assert self.platform("GET", "/registration")["state"] == "identity_submitted"
        files = {
            "front": ("recto.jpg", io.BytesIO(colour_image())),
            "back": ("verso.png", io.BytesIO(colour_image("PNG"))),
        }
        data = {"document_type": "id_card:fra", "mrz": td1("X4RTBPFW4")}
        self.trust("POST", "/documents", data=data, files=files)
        agreement = self.trust("GET", "/agreement")
        sent = self.trust(
            "POST",
            "/agreement/consent",
            json={"accept": True, "version": agreement["version"], "sha256": agreement["sha256"]},
        )
        assert sent["phone_last_digits"] == "5678"
        code = self.control("GET", "/outbox/otp", params={"phone_number": "+33612345678"})["otp"]
        signed = self.trust("POST", "/agreement/sign", json={"otp": code})
        assert signed["cancellable"] is False
        self.signed = signed

    def accept_terms(self) -> dict[str, Any]:
        terms = self.platform("GET", "/terms")
        return dict(
            self.platform(
                "POST",
                "/registration/terms",
                json={
                    "firms": [
                        {"firm_id": f, "cgu_accepted": True, "privacy_policy_accepted": True}
                        for f in ("frm_ecma", "frm_dupont_associes")
                    ],
                    "cgu_version": terms["cgu"]["version"],
                    "privacy_policy_version": terms["privacy_policy"]["version"],
                },
            )
        )


def _check_certificate(live: LiveMock, person: Person, *, expect_status: str = "good") -> x509.Certificate:
    issued = person.trust("GET", "/certificate")
    cert = x509.load_pem_x509_certificate(issued["certificate_pem"].encode())
    chain = [x509.load_pem_x509_certificate(pem.encode()) for pem in issued["chain_pem"]]
    assert issued["level"] == "qcpnqscd"
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.GIVEN_NAME] == "Marie"
    assert subject[NameOID.SURNAME] == "Dupont"
    assert subject[NameOID.SERIAL_NUMBER] == "IDCFR-X4RTBPFW4"
    policies = [p.policy_identifier for p in cert.extensions.get_extension_for_class(x509.CertificatePolicies).value]
    assert oids.QCP_N_QSCD in policies
    cert.verify_directly_issued_by(chain[0])
    chain[0].verify_directly_issued_by(chain[1])
    root = x509.load_der_x509_certificate(requests.get(f"{live.url}/pki/ca/root.cer", timeout=10).content)
    assert chain[1] == root
    ocsp_url = next(
        d.access_location.value
        for d in cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        if d.access_method == x509.AuthorityInformationAccessOID.OCSP
    )
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, chain[0], hashes.SHA256()).build()
    answer = requests.post(
        ocsp_url,
        data=request.public_bytes(Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
        timeout=10,
    )
    status = ocsp.load_der_ocsp_response(answer.content).certificate_status
    assert status.name.lower() == expect_status
    return cert


@pytest.mark.live
def test_full_registration_to_active(live_mock: LiveMock) -> None:
    marie = Person(live_mock.url, "marie.dupont")
    marie.register_until_review()
    assert marie.signed["state"] == "certificate_issued"  # the default review decides at once
    status = marie.platform("GET", "/registration")
    assert status["state"] == "certificate_issued"
    assert status["next_action"] == "accept_terms"
    _check_certificate(live_mock, marie)
    email = marie.control("GET", "/outbox", params={"channel": "email"})["data"][0]
    assert email["recipient"] == "marie.dupont@cabinet-ecma.example.com"
    assert "Félicitations" in email["subject"]
    final = marie.accept_terms()
    assert final["state"] == "active"
    assert final["next_action"] is None
    assert final["active_firms"] == ["frm_dupont_associes", "frm_ecma"]
    assert marie.platform("GET", "/me")["registration_state"] == "active"
    match = requests.get(
        f"{live_mock.url}/trust/v1/accounts/match",
        params={"email": "marie.dupont@cabinet-ecma.example.com"},
        auth=("jesign-platform", "jesign-platform-secret"),
        timeout=10,
    ).json()
    assert (match["level"], match["status"]) == ("qcpnqscd", "valid")


@pytest.fixture
def realistic_live(app_pool: AppPool, clock: ManualClock) -> LiveMock:
    """The mock over HTTP with the realistic review profile: a decision 24 hours after signing."""
    return app_pool.live(review_delay_seconds=24 * 3600)


@pytest.mark.live
def test_realistic_review_delay_then_error_report_then_presumed_acceptance(realistic_live: LiveMock) -> None:
    marie = Person(realistic_live.url, "marie.dupont")
    marie.register_until_review()
    assert marie.signed["state"] == "pending_validation"
    match = requests.get(
        f"{realistic_live.url}/trust/v1/accounts/match",
        params={"email": "marie.dupont@cabinet-ecma.example.com"},
        auth=("jesign-platform", "jesign-platform-secret"),
        timeout=10,
    ).json()
    assert match["status"] == "awaiting-validation"
    marie.come_back_later(23 * 3600)
    assert marie.platform("GET", "/registration")["state"] == "pending_validation"
    marie.come_back_later(3600)
    assert marie.platform("GET", "/registration")["state"] == "certificate_issued"
    first = _check_certificate(realistic_live, marie)

    # Within 48 hours: an error report revokes (OCSP says so) and reissues on the same request.
    marie.come_back_later(47 * 3600)
    reissued = marie.trust("POST", "/certificate/report-error", json={"detail": "Mon prénom est mal orthographié"})
    assert reissued["state"] == "certificate_issued"
    second = _check_certificate(realistic_live, marie)
    assert second.serial_number != first.serial_number
    issuer = x509.load_der_x509_certificate(requests.get(f"{realistic_live.url}/pki/ca/person.cer", timeout=10).content)
    request = ocsp.OCSPRequestBuilder().add_certificate(first, issuer, hashes.SHA256()).build()
    answer = ocsp.load_der_ocsp_response(
        requests.post(
            f"{realistic_live.url}/pki/ocsp",
            data=request.public_bytes(Encoding.DER),
            headers={"Content-Type": "application/ocsp-request"},
            timeout=10,
        ).content
    )
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == x509.ReasonFlags.superseded
    log = [(e["action"], e["subject_type"]) for e in marie.trust("GET", "/events")["data"]]
    assert ("revoked", "certificate") in log
    assert ("reissued", "registration") in log
    subjects = [m["subject"] for m in marie.control("GET", "/outbox", params={"channel": "email"})["data"]]
    assert "Votre nouveau certificat est disponible" in subjects  # every issue is announced, a re-issue too

    # After 48 hours from the (re)issuance, the certificate is presumed accepted and errors can't be reported.
    marie.come_back_later(48 * 3600)
    assert marie.trust("GET", "/certificate")["acceptance"] == "presumed_accepted"
    late = marie.http.post(
        f"{realistic_live.url}/trust/v1/registrations/{marie.reg['id']}/certificate/report-error",
        json={"detail": "trop tard"},
        headers={"Authorization": f"Bearer {marie.reg['session_token']}"},
        timeout=10,
    )
    assert late.status_code == 409
    assert late.json()["code"] == "error_report_window_closed"
    assert marie.trust("GET", "/certificate")["id"] == reissued["certificate_id"]
    assert marie.accept_terms()["state"] == "active"
