"""The trust provider's own OAuth2 for the CSC API (``oauth2code``): authorize, token, revoke, and the tokens at
the CSC calls (a service token for the person, a credential token in place of the SAD)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_provider.core.clock import ManualClock
from tests.helpers.csc import ECDSA_SHA256, SHA256, V2, digest, personal_id
from tests.helpers.registration import (
    PLATFORM_CLIENT,
    REDIRECT_URI,
    bearer,
    latest_otp,
)

OAUTH2 = "/trust/csc/oauth2"
BASIC = {"Authorization": f"Basic {PLATFORM_CLIENT}"}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def b64url(value_b64: str) -> str:
    return base64.urlsafe_b64encode(base64.b64decode(value_b64)).rstrip(b"=").decode()


def query(challenge: str | None, scope: str = "service", **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "response_type": "code",
        "client_id": "jesign-platform",
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "s+t/a te",
        "login_hint": "marie.dupont",
    }
    if challenge is not None:
        found |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return found | extra


def landed(answer: Any) -> dict[str, str]:
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def redeem(client: FlaskClient, code: str, verifier: str | None, **extra: str) -> Any:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI} | extra
    if verifier is not None:
        body["code_verifier"] = verifier
    return client.post(f"{OAUTH2}/token", data=body, headers=BASIC)


def service_token(client: FlaskClient) -> dict[str, Any]:
    verifier, challenge = pkce()
    code = landed(client.get(f"{OAUTH2}/authorize", query_string=query(challenge)))["code"]
    answer = redeem(client, code, verifier)
    assert answer.status_code == 200, answer.json
    return dict(answer.json)


def credential_code(client: FlaskClient, challenge: str, credential: str, hashes_b64: list[str], **extra: Any) -> str:
    """The code of a credential authorization, the SMS code entered on the page when one is asked."""
    q = (
        query(
            challenge,
            "credential",
            credentialID=credential,
            numSignatures=len(hashes_b64),
            hashes=",".join(b64url(h) for h in hashes_b64),
            hashAlgorithmOID=SHA256,
        )
        | extra
    )
    url = f"{OAUTH2}/authorize?{urlencode(q)}"
    shown = client.get(url)
    if shown.status_code == 302:
        return landed(shown)["code"]
    assert shown.status_code == 200, shown.get_data(as_text=True)[:500]
    page = shown.get_data(as_text=True)
    assert "Code SMS" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    return landed(client.post(url, data={"csrf_token": csrf.group(1), "otp": latest_otp(client)}))["code"]


def sign(client: FlaskClient, token: str, credential: str, hashes_b64: list[str], **extra: Any) -> Any:
    body = {"credentialID": credential, "hashes": hashes_b64, "hashAlgorithmOID": SHA256, "signAlgo": ECDSA_SHA256}
    return client.post(f"{V2}/signatures/signHash", json=body | extra, headers=bearer(token))


@pytest.fixture
def marie(app: Flask, registered: Callable[..., str]) -> dict[str, str]:
    return bearer(registered(app))


def test_info_offers_oauth2code_with_its_base_uri(client: FlaskClient) -> None:
    for version in ("v1", "v2"):
        info = client.get(f"/trust/csc/{version}/info").json
        assert info["authType"] == ["external", "oauth2code"]
        assert info["oauth2"].endswith("/trust/csc")


def test_service_token_serves_the_csc_calls_and_refreshes(client: FlaskClient, marie: dict[str, str]) -> None:
    tokens = service_token(client)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "service"
    listed = client.post(f"{V2}/credentials/list", json={}, headers=bearer(tokens["access_token"]))
    assert listed.status_code == 200
    assert listed.json == client.post(f"{V2}/credentials/list", json={}, headers=marie).json
    refreshed = client.post(
        f"{OAUTH2}/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, headers=BASIC
    )
    assert refreshed.status_code == 200, refreshed.json
    again = client.post(
        f"{OAUTH2}/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, headers=BASIC
    )
    assert again.status_code == 400
    assert again.json["error"] == "invalid_grant"
    # The service token is not the platform's: the platform API refuses it.
    assert client.get("/platform/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401


def test_pkce_is_s256_and_required(client: FlaskClient) -> None:
    verifier, challenge = pkce()
    missing = landed(client.get(f"{OAUTH2}/authorize", query_string=query(None)))
    assert missing["error"] == "invalid_request"
    assert missing["state"] == "s+t/a te"
    plain = landed(
        client.get(
            f"{OAUTH2}/authorize", query_string=query(None, code_challenge=verifier, code_challenge_method="plain")
        )
    )
    assert plain["error"] == "invalid_request"
    code = landed(client.get(f"{OAUTH2}/authorize", query_string=query(challenge)))["code"]
    assert redeem(client, code, challenge).json["error"] == "invalid_grant"  # the challenge is not the verifier
    code = landed(client.get(f"{OAUTH2}/authorize", query_string=query(challenge)))["code"]
    assert redeem(client, code, None).json["error"] in ("invalid_request", "invalid_grant")


def test_redirect_uri_exact_and_bound_to_the_code(client: FlaskClient) -> None:
    verifier, challenge = pkce()
    refused = client.get(f"{OAUTH2}/authorize", query_string=query(challenge, redirect_uri=REDIRECT_URI + "/more"))
    assert refused.status_code == 400
    assert "Location" not in refused.headers
    code = landed(client.get(f"{OAUTH2}/authorize", query_string=query(challenge)))["code"]
    other = redeem(client, code, verifier, redirect_uri="http://127.0.0.1:8400/other")
    assert other.json["error"] == "invalid_grant"


def test_scope_is_service_or_credential(client: FlaskClient) -> None:
    _, challenge = pkce()
    assert landed(client.get(f"{OAUTH2}/authorize", query_string=query(challenge, "openid")))["error"] == (
        "invalid_scope"
    )


def test_code_once_also_in_parallel(app: Flask, client: FlaskClient) -> None:
    verifier, challenge = pkce()
    code = landed(client.get(f"{OAUTH2}/authorize", query_string=query(challenge)))["code"]
    first = redeem(client, code, verifier)
    assert first.status_code == 200
    second = redeem(client, code, verifier)
    assert second.json["error"] == "invalid_grant"
    # The replay revoked the tokens of the first redemption.
    assert client.post(f"{V2}/credentials/list", json={}, headers=bearer(first.json["access_token"])).status_code == (
        401
    )
    code = landed(client.get(f"{OAUTH2}/authorize", query_string=query(challenge)))["code"]
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def race() -> None:
        with app.test_client() as own:
            barrier.wait()
            statuses.append(redeem(own, code, verifier).status_code)

    threads = [threading.Thread(target=race) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 400, 400, 400, 400, 400]


def test_code_expires(client: FlaskClient, clock: ManualClock) -> None:
    verifier, challenge = pkce()
    code = landed(client.get(f"{OAUTH2}/authorize", query_string=query(challenge)))["code"]
    clock.advance(timedelta(minutes=2, seconds=1))
    assert redeem(client, code, verifier).json["error"] == "invalid_grant"


def test_credential_token_signs_exactly_its_hashes_once(client: FlaskClient, marie: dict[str, str]) -> None:
    credential = personal_id(client, marie)
    wanted = [digest("page one"), digest("page two")]
    verifier, challenge = pkce()
    code = credential_code(client, challenge, credential, wanted)
    answer = redeem(client, code, verifier)
    assert answer.status_code == 200, answer.json
    tokens = answer.json
    assert "refresh_token" not in tokens
    assert tokens["expires_in"] == 300
    token = tokens["access_token"]
    # Not a service token.
    listed = client.post(f"{V2}/credentials/list", json={}, headers=bearer(token))
    assert listed.status_code == 403
    assert listed.json["code"] == "insufficient_scope"
    assert sign(client, token, credential, [digest("other")]).json["code"] == "sad_hash_mismatch"
    assert sign(client, token, "seal_frm_ecma", wanted).json["code"] == "invalid_sad"
    signed = sign(client, token, credential, wanted)
    assert signed.status_code == 200, signed.json
    assert len(signed.json["signatures"]) == 2
    assert sign(client, token, credential, wanted[:1]).status_code in (400, 409)
    # The token is not a SAD either.
    body = {"SAD": token, "credentialID": credential, "hashes": wanted, "signAlgo": ECDSA_SHA256}
    assert client.post(f"{V2}/signatures/signHash", json=body, headers=marie).json["code"] == "invalid_sad"


def test_credential_scope_v1_hash_and_sms_code_checked(client: FlaskClient, marie: dict[str, str]) -> None:
    credential = personal_id(client, marie)
    wanted = [digest("v1")]
    _, challenge = pkce()
    q = query(challenge, "credential", credentialID=credential, numSignatures=1, hash=b64url(wanted[0]))
    url = f"{OAUTH2}/authorize?{urlencode(q)}"
    page = client.get(url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    wrong = client.post(url, data={"csrf_token": csrf.group(1), "otp": "000000"})
    assert wrong.status_code == 400
    assert "otp_invalid" in wrong.get_data(as_text=True)
    right = client.post(url, data={"csrf_token": csrf.group(1), "otp": latest_otp(client)})
    assert "code" in landed(right)


def test_credential_requests_refused(client: FlaskClient, marie: dict[str, str]) -> None:
    credential = personal_id(client, marie)
    _, challenge = pkce()

    def ask(**extra: Any) -> dict[str, str]:
        return landed(client.get(f"{OAUTH2}/authorize", query_string=query(challenge, "credential", **extra)))

    one = b64url(digest("a"))
    assert ask(credentialID=credential, numSignatures=2, hashes=one)["error"] == "invalid_request"
    assert ask(credentialID=credential, numSignatures=1, hashes=one[:-4])["error"] == "invalid_request"
    assert ask(numSignatures=1, hashes=one)["error"] == "invalid_request"
    assert ask(credentialID=credential, hashes=one)["error"] == "invalid_request"
    # Another person's credential: luc.martin (a seeded account) may not authorize Marie's.
    other = landed(
        client.get(
            f"{OAUTH2}/authorize",
            query_string=query(
                challenge, "credential", credentialID=credential, numSignatures=1, hashes=one, login_hint="luc.martin"
            ),
        )
    )
    assert other["error"] == "access_denied"


def test_seal_needs_no_code(client: FlaskClient, marie: dict[str, str]) -> None:
    verifier, challenge = pkce()
    wanted = [digest("sealed")]
    code = credential_code(client, challenge, "seal_frm_ecma", wanted)
    token = redeem(client, code, verifier).json["access_token"]
    signed = sign(client, token, "seal_frm_ecma", wanted)
    assert signed.status_code == 200, signed.json


def test_no_session_goes_to_the_sso_login_and_back(client: FlaskClient) -> None:
    _, challenge = pkce()
    q = query(challenge)
    del q["login_hint"]
    answer = client.get(f"{OAUTH2}/authorize", query_string=q)
    assert answer.status_code == 302
    login_url = answer.headers["Location"]
    assert login_url.startswith("/sso/login?next=")
    page = client.get(login_url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    back = client.post(login_url, data={"csrf_token": csrf.group(1), "login": "marie.dupont"})
    assert back.status_code == 303
    assert "code" in landed(client.get(back.headers["Location"]))


def test_sso_login_returns_only_to_the_trust_provider(client: FlaskClient) -> None:
    assert client.get("/sso/login", query_string={"next": "https://evil.example/"}).status_code == 400


def test_revoke(client: FlaskClient, marie: dict[str, str]) -> None:
    tokens = service_token(client)
    answer = client.post(f"{OAUTH2}/revoke", data={"token": tokens["access_token"]}, headers=BASIC)
    assert answer.status_code == 200
    refused = client.post(f"{V2}/credentials/list", json={}, headers=bearer(tokens["access_token"]))
    assert refused.status_code == 401
    assert refused.json["code"] == "invalid_token"
