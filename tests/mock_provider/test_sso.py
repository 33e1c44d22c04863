"""The SSO (Comptexpert / ExpertPass): OpenID Connect through HTTP, as a relying party sees it."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.services import MockServices
from mock_provider.sso import Unauthenticated, authenticate_bearer, install_sso
from tests.helpers.mock import PUBLIC_BASE_URL, LiveMock, memory_config

ISSUER = PUBLIC_BASE_URL + "/sso"
PLATFORM, PLATFORM_SECRET = "jesign-platform", "jesign-platform-secret"
PLATFORM_REDIRECT = "http://127.0.0.1:8400/callback"
CLI = "jesign-cli"
CLI_REDIRECT = "http://127.0.0.1:53127/callback"  # registered as http://127.0.0.1/callback: any port matches
ALL_SCOPES = "openid profile email phone"


@pytest.fixture
def sso(app: Flask) -> FlaskClient:
    install_sso(app, services_of(app))  # does nothing when create_app already did
    return app.test_client()


# -- helpers -------------------------------------------------------------------------------------------------------


def pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636 section 4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def basic(client_id: str = PLATFORM, secret: str = PLATFORM_SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def query_of(response: TestResponse) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def authorize(
    client: FlaskClient, *, challenge: str | None, method: str | None = "S256", **params: str
) -> TestResponse:
    query = {
        "response_type": "code",
        "client_id": PLATFORM,
        "redirect_uri": PLATFORM_REDIRECT,
        "scope": ALL_SCOPES,
        "state": "st-" + secrets.token_hex(4),
    }
    if challenge is not None:
        query["code_challenge"] = challenge
    if method is not None:
        query["code_challenge_method"] = method
    query.update(params)
    return client.get("/sso/authorize", query_string=query)


def get_code(client: FlaskClient, challenge: str, *, login: str = "marie.dupont", **params: str) -> str:
    """Log ``login`` in with ``login_hint`` (control plane on) and return the code of the redirect."""
    params.setdefault("state", "xyz-state")
    response = authorize(client, challenge=challenge, login_hint=login, **params)
    query = query_of(response)
    redirect_uri = params.get("redirect_uri", PLATFORM_REDIRECT)
    assert response.headers["Location"].startswith(redirect_uri + "?")
    assert query["state"] == params["state"]
    return query["code"]


def exchange(
    client: FlaskClient,
    code: str,
    verifier: str | None,
    *,
    redirect_uri: str = PLATFORM_REDIRECT,
    headers: dict[str, str] | None = None,
    **form: str,
) -> TestResponse:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **form}
    if verifier is not None:
        data["code_verifier"] = verifier
    return client.post("/sso/token", data=data, headers=basic() if headers is None else headers)


def login(client: FlaskClient, login: str = "marie.dupont", **params: str) -> dict[str, Any]:
    """The whole code flow for the confidential client: the token response."""
    verifier, challenge = pkce()
    response = exchange(client, get_code(client, challenge, login=login, **params), verifier)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] | None = response.json
    assert body is not None
    return body


def refresh(client: FlaskClient, refresh_token: str) -> TestResponse:
    return client.post(
        "/sso/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}, headers=basic()
    )


def userinfo(client: FlaskClient, access_token: str) -> TestResponse:
    return client.get("/sso/userinfo", headers=bearer(access_token))


def error_of(response: TestResponse) -> str:
    body = response.json
    assert body is not None, response.get_data(as_text=True)
    return str(body["error"])


def verify_id_token(client: FlaskClient, id_token: str, clock: ManualClock) -> dict[str, Any]:
    jwks = client.get("/sso/jwks").json
    assert jwks is not None
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert token.header["kid"] == jwks["keys"][0]["kid"]
    registry = jwt.JWTClaimsRegistry(
        now=int(clock.now().timestamp()),
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": PLATFORM},
        sub={"essential": True},
    )
    registry.validate(token.claims)
    return dict(token.claims)


def hidden_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


# -- discovery and keys --------------------------------------------------------------------------------------------


def test_discovery_advertises_what_is_enforced(sso: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from authlib.oidc.discovery import OpenIDProviderMetadata

    doc = sso.get("/sso/.well-known/openid-configuration").json
    assert doc is not None
    assert doc["issuer"] == ISSUER
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("end_session_endpoint", "/logout"),
    ]:
        assert doc[name] == ISSUER + path
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "none"]
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["subject_types_supported"] == ["public"]
    assert {"openid", "profile", "email", "phone"} <= set(doc["scopes_supported"])
    assert {"sub", "given_name", "family_name", "email", "phone_number", "firms", "identity_source"} <= set(
        doc["claims_supported"]
    )
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the mock's test URLs are plain HTTP
    OpenIDProviderMetadata(doc).validate()


def test_jwks_verifies_the_id_token(sso: FlaskClient, clock: ManualClock) -> None:
    jwks = sso.get("/sso/jwks").json
    assert jwks is not None
    [key] = jwks["keys"]
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert key["kid"]
    assert "d" not in key
    tokens = login(sso, nonce="n-0S6_WzA2Mj")
    claims = verify_id_token(sso, tokens["id_token"], clock)
    assert claims["sub"] == "usr_marie_dupont"
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["auth_time"] == claims["iat"] == int(clock.now().timestamp())
    assert claims["exp"] - claims["iat"] == 3600
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert claims["given_name"] == "Marie"
    assert claims["email"] == "marie.dupont@cabinet-ecma.example.com"
    assert claims["phone_number"] == "+33612345678"
    assert {firm["id"] for firm in claims["firms"]} == {"frm_ecma", "frm_dupont_associes"}


def test_the_signing_key_survives_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    config = memory_config(database_url=f"sqlite:///{tmp_path / 'mock.sqlite3'}", data_dir=str(tmp_path))
    kids = []
    for _ in range(2):
        app = create_app(config, clock=clock)
        install_sso(app, services_of(app))
        jwks = app.test_client().get("/sso/jwks").json
        assert jwks is not None
        kids.append(jwks["keys"][0]["kid"])
        services_of(app).close()
    assert kids[0] == kids[1]


# -- the code flow -------------------------------------------------------------------------------------------------


def test_confidential_client_code_flow(sso: FlaskClient, clock: ManualClock) -> None:
    verifier, challenge = pkce()
    code = get_code(sso, challenge, state="af0ifjsldkj")
    response = exchange(sso, code, verifier)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body is not None
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == ALL_SCOPES
    assert body["refresh_token"]
    verify_id_token(sso, body["id_token"], clock)
    assert userinfo(sso, body["access_token"]).status_code == 200


def test_public_client_with_a_loopback_redirect_on_any_port(sso: FlaskClient, clock: ManualClock) -> None:
    verifier, challenge = pkce()
    code = get_code(sso, challenge, client_id=CLI, redirect_uri=CLI_REDIRECT)
    response = exchange(sso, code, verifier, redirect_uri=CLI_REDIRECT, headers={}, client_id=CLI)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert body is not None
    assert body["refresh_token"]
    jwks = sso.get("/sso/jwks").json
    assert jwks is not None
    token = jwt.decode(body["id_token"], KeySet.import_key_set(jwks))
    assert token.claims["aud"] == CLI
    rotated = sso.post(
        "/sso/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": CLI}
    )
    assert rotated.status_code == 200, rotated.get_data(as_text=True)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:53127/callback",  # RFC 8252: loopback IP literals only
        "http://127.0.0.1:53127/other",
        "https://127.0.0.1:53127/callback",
        "http://127.0.0.1:53127/callback#fragment",
        "http://127.0.0.1:notaport/callback",
        "http://evil.example.com/callback",
    ],
)
def test_unregistered_redirect_uri_is_a_400_not_a_redirect(sso: FlaskClient, redirect_uri: str) -> None:
    _, challenge = pkce()
    response = authorize(sso, challenge=challenge, client_id=CLI, redirect_uri=redirect_uri, login_hint="marie.dupont")
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"
    assert "Demande refusée" in response.get_data(as_text=True)


def test_unknown_client_or_missing_redirect_uri_is_a_400(sso: FlaskClient) -> None:
    _, challenge = pkce()
    unknown = authorize(sso, challenge=challenge, client_id="nobody")
    assert unknown.status_code == 400
    assert "Location" not in unknown.headers
    missing = sso.get(
        "/sso/authorize",
        query_string={"response_type": "code", "client_id": PLATFORM, "code_challenge": challenge},
        headers={"Accept": "application/json"},
    )
    assert missing.status_code == 400
    assert missing.mimetype == "application/problem+json"
    assert missing.json is not None
    assert missing.json["code"] == "invalid_request"


def test_pkce_is_required(sso: FlaskClient) -> None:
    response = authorize(sso, challenge=None, method=None, state="s1", login_hint="marie.dupont")
    query = query_of(response)
    assert response.headers["Location"].startswith(PLATFORM_REDIRECT + "?")
    assert query["error"] == "invalid_request"
    assert query["state"] == "s1"
    assert "code" not in query


@pytest.mark.parametrize("method", ["plain", None, "S512"])
def test_pkce_plain_or_unnamed_method_is_refused(sso: FlaskClient, method: str | None) -> None:
    verifier, _ = pkce()
    response = authorize(sso, challenge=verifier, method=method, state="s2", login_hint="marie.dupont")
    query = query_of(response)
    assert query["error"] == "invalid_request"
    assert query["state"] == "s2"


def test_wrong_or_missing_verifier(sso: FlaskClient) -> None:
    verifier, challenge = pkce()
    code = get_code(sso, challenge)
    wrong = exchange(sso, code, pkce()[0])
    assert wrong.status_code == 400
    assert error_of(wrong) == "invalid_grant"
    missing = exchange(sso, code, None)
    assert missing.status_code == 400
    assert error_of(missing) == "invalid_request"
    assert exchange(sso, code, verifier).status_code == 200  # failed attempts do not burn the code


def test_redirect_uri_must_match_the_authorization_request(sso: FlaskClient) -> None:
    verifier, challenge = pkce()
    code = get_code(sso, challenge)
    response = exchange(sso, code, verifier, redirect_uri="http://127.0.0.1/callback")
    assert error_of(response) == "invalid_grant"


def test_code_reuse_is_refused_and_revokes_the_first_tokens(sso: FlaskClient) -> None:
    verifier, challenge = pkce()
    code = get_code(sso, challenge)
    first = exchange(sso, code, verifier).json
    assert first is not None
    assert userinfo(sso, first["access_token"]).status_code == 200
    again = exchange(sso, code, verifier)
    assert again.status_code == 400
    assert error_of(again) == "invalid_grant"
    assert userinfo(sso, first["access_token"]).status_code == 401
    assert error_of(refresh(sso, first["refresh_token"])) == "invalid_grant"


def test_code_expires_after_ten_minutes(sso: FlaskClient, clock: ManualClock) -> None:
    verifier, challenge = pkce()
    code = get_code(sso, challenge)
    clock.advance(timedelta(minutes=10))
    response = exchange(sso, code, verifier)
    assert response.status_code == 400
    assert error_of(response) == "invalid_grant"
    verifier, challenge = pkce()
    code = get_code(sso, challenge)
    clock.advance(timedelta(minutes=9, seconds=59))
    assert exchange(sso, code, verifier).status_code == 200


def test_code_is_bound_to_its_client(sso: FlaskClient) -> None:
    verifier, challenge = pkce()
    code = get_code(sso, challenge, client_id=CLI, redirect_uri=CLI_REDIRECT)
    response = exchange(sso, code, verifier, redirect_uri=CLI_REDIRECT)  # presented by jesign-platform
    assert error_of(response) == "invalid_grant"


# -- client authentication ------------------------------------------------------------------------------------------


def test_wrong_client_secret_is_401_invalid_client(sso: FlaskClient) -> None:
    verifier, challenge = pkce()
    response = exchange(sso, get_code(sso, challenge), verifier, headers=basic(secret="wrong"))
    assert response.status_code == 401
    assert error_of(response) == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


@pytest.mark.parametrize(
    ("headers", "form"),
    [
        ({}, {"client_id": PLATFORM, "client_secret": PLATFORM_SECRET}),  # client_secret_post
        ({}, {"client_id": PLATFORM}),  # a confidential client posing as public
        ({"Authorization": "Basic %%%"}, {}),
        ({"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xfd").decode()}, {}),
        (basic("nobody", "x"), {}),
    ],
)
def test_only_client_secret_basic_authenticates_a_confidential_client(
    sso: FlaskClient, headers: dict[str, str], form: dict[str, str]
) -> None:
    verifier, challenge = pkce()
    response = exchange(sso, get_code(sso, challenge), verifier, headers=headers, **form)
    assert response.status_code == 401
    assert error_of(response) == "invalid_client"


def test_refresh_token_rotation(sso: FlaskClient) -> None:
    first = login(sso)
    response = refresh(sso, first["refresh_token"])
    assert response.status_code == 200
    second = response.json
    assert second is not None
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == ALL_SCOPES
    assert userinfo(sso, second["access_token"]).status_code == 200
    reused = refresh(sso, first["refresh_token"])
    assert reused.status_code == 400
    assert error_of(reused) == "invalid_grant"
    # A replayed refresh token revokes its grant's live tokens (RFC 9700 section 4.14.2).
    assert userinfo(sso, second["access_token"]).status_code == 401
    assert error_of(refresh(sso, second["refresh_token"])) == "invalid_grant"


def test_refresh_may_narrow_the_scope_but_not_widen_it(sso: FlaskClient) -> None:
    tokens = login(sso, scope="openid email")
    wider = sso.post(
        "/sso/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "openid phone"},
        headers=basic(),
    )
    assert error_of(wider) == "invalid_scope"
    narrower = sso.post(
        "/sso/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "openid"},
        headers=basic(),
    )
    assert narrower.status_code == 200
    assert narrower.json is not None
    assert userinfo(sso, narrower.json["access_token"]).json == {"sub": "usr_marie_dupont"}


def test_refresh_token_expires_after_thirty_days(sso: FlaskClient, clock: ManualClock) -> None:
    tokens = login(sso)
    clock.advance(timedelta(days=30))
    assert error_of(refresh(sso, tokens["refresh_token"])) == "invalid_grant"


# -- userinfo and tokens --------------------------------------------------------------------------------------------


def test_userinfo_releases_claims_by_scope(sso: FlaskClient) -> None:
    token = login(sso)["access_token"]
    claims = userinfo(sso, token).json
    assert claims is not None
    assert claims == sso.post("/sso/userinfo", headers=bearer(token)).json
    assert claims["sub"] == "usr_marie_dupont"
    assert claims["name"] == "Marie Dupont"
    assert claims["identity_source"] == "comptexpert"
    assert claims["phone_number"] == "+33612345678"
    ecma = next(firm for firm in claims["firms"] if firm["id"] == "frm_ecma")
    assert ecma == {
        "id": "frm_ecma",
        "name": "Cabinet Ecma",
        "siren": "552100554",
        "siret": "55210055400013",
        "role": "expert-comptable",
        "delegations": [],
    }
    luc = userinfo(sso, login(sso, "luc.martin")["access_token"]).json
    assert luc is not None
    assert luc["firms"][0]["role"] == "collaborateur"
    assert luc["firms"][0]["delegations"] == ["sign"]
    only_email = userinfo(sso, login(sso, scope="openid email")["access_token"]).json
    assert only_email == {"sub": "usr_marie_dupont", "email": "marie.dupont@cabinet-ecma.example.com"}


def test_phone_number_only_when_known(sso: FlaskClient, clock: ManualClock) -> None:
    tokens = login(sso, "paul.leroy")
    claims = userinfo(sso, tokens["access_token"]).json
    assert claims is not None
    assert claims["family_name"] == "Leroy"
    assert "phone_number" not in claims
    assert "phone_number" not in verify_id_token(sso, tokens["id_token"], clock)


def test_expertpass_identity_source(sso: FlaskClient, clock: ManualClock) -> None:
    tokens = login(sso, "sophie.lambert")
    assert verify_id_token(sso, tokens["id_token"], clock)["identity_source"] == "expertpass"
    claims = userinfo(sso, tokens["access_token"]).json
    assert claims is not None
    assert claims["identity_source"] == "expertpass"


def test_userinfo_refuses_bad_tokens(sso: FlaskClient) -> None:
    # Without any credentials (RFC 6750 section 3.1): the bare challenge, no error code nor other information.
    for headers in ({}, {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}):
        bare = sso.get("/sso/userinfo", headers=headers)
        assert bare.status_code == 401
        assert bare.headers["WWW-Authenticate"] == 'Bearer realm="jesign-sso"'
        assert bare.json == {}
    missing = sso.get("/sso/userinfo", headers={"Authorization": "Bearer"})
    assert missing.status_code == 401
    assert error_of(missing) == "invalid_token"
    assert missing.headers["WWW-Authenticate"].startswith('Bearer realm="jesign-sso", error="invalid_token"')
    unknown = userinfo(sso, "not-a-token")
    assert unknown.status_code == 401
    assert error_of(unknown) == "invalid_token"
    assert unknown.headers["WWW-Authenticate"].startswith("Bearer ")
    no_openid = login(sso, scope="email")  # a plain OAuth token without openid: no userinfo
    assert "id_token" not in no_openid
    assert userinfo(sso, no_openid["access_token"]).status_code == 403


def test_access_token_expires_after_an_hour(sso: FlaskClient, clock: ManualClock) -> None:
    token = login(sso)["access_token"]
    clock.advance(timedelta(minutes=59, seconds=59))
    assert userinfo(sso, token).status_code == 200
    clock.advance(timedelta(seconds=1))
    response = userinfo(sso, token)
    assert response.status_code == 401
    assert error_of(response) == "invalid_token"


def test_authenticate_bearer(sso: FlaskClient, services: MockServices, clock: ManualClock) -> None:
    token = login(sso, "luc.martin")["access_token"]
    assert authenticate_bearer(services, f"Bearer {token}") == "usr_luc_martin"
    assert authenticate_bearer(services, f"bearer {token}") == "usr_luc_martin"
    for header in (None, "", "Bearer", "Basic abc", f"Bearer {token} extra", "Bearer unknown-token"):
        with pytest.raises(Unauthenticated) as refused:
            authenticate_bearer(services, header)
        assert refused.value.status == 401
        assert refused.value.code == "invalid_token"
    clock.advance(timedelta(hours=1))
    with pytest.raises(Unauthenticated, match="expired"):
        authenticate_bearer(services, f"Bearer {token}")


# -- logout ----------------------------------------------------------------------------------------------------------


def test_logout_revokes_the_tokens_and_returns_to_the_client(sso: FlaskClient) -> None:
    tokens = login(sso)
    other = login(sso, "luc.martin")
    response = sso.get(
        "/sso/logout",
        query_string={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": PLATFORM_REDIRECT,
            "state": "bye",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == PLATFORM_REDIRECT + "?state=bye"
    assert userinfo(sso, tokens["access_token"]).status_code == 401
    assert error_of(refresh(sso, tokens["refresh_token"])) == "invalid_grant"
    assert userinfo(sso, other["access_token"]).status_code == 200  # another person's tokens stay
    # The browser session ended too: the next authorization shows the login page.
    _, challenge = pkce()
    assert authorize(sso, challenge=challenge).status_code == 200


def test_logout_refuses_bad_input_without_redirecting(sso: FlaskClient, clock: ManualClock) -> None:
    tokens = login(sso)
    unregistered = sso.get(
        "/sso/logout",
        query_string={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example.com/"},
    )
    assert unregistered.status_code == 400
    assert "Location" not in unregistered.headers
    forged = sso.get("/sso/logout", query_string={"id_token_hint": "eyJhbGciOiJub25lIn0.e30."})
    assert forged.status_code == 400
    wrong_client = sso.get("/sso/logout", query_string={"id_token_hint": tokens["id_token"], "client_id": CLI})
    assert wrong_client.status_code == 400
    assert userinfo(sso, tokens["access_token"]).status_code == 200
    clock.advance(timedelta(days=2))  # an expired ID token is still a good hint (RP-initiated logout section 2)
    assert sso.get("/sso/logout", query_string={"id_token_hint": tokens["id_token"]}).status_code == 200


def test_logout_without_hint_asks_for_confirmation(sso: FlaskClient) -> None:
    tokens = login(sso)
    page = sso.get("/sso/logout", query_string={"client_id": PLATFORM})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Se déconnecter" in html
    assert userinfo(sso, tokens["access_token"]).status_code == 200
    forged = sso.post("/sso/logout?client_id=" + PLATFORM, data={"csrf_token": "forged"})
    assert "Se déconnecter" in forged.get_data(as_text=True)
    assert userinfo(sso, tokens["access_token"]).status_code == 200
    done = sso.post("/sso/logout?client_id=" + PLATFORM, data={"csrf_token": hidden_token(html)})
    assert done.status_code == 200
    assert "Vous êtes déconnecté" in done.get_data(as_text=True)
    assert userinfo(sso, tokens["access_token"]).status_code == 401


# -- the login page --------------------------------------------------------------------------------------------------


def test_login_page_lists_the_accounts_in_french(sso: FlaskClient) -> None:
    verifier, challenge = pkce()
    page = authorize(sso, challenge=challenge, state="page-state")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert page.headers["X-Frame-Options"] == "DENY"
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "<title>Connexion Comptexpert" in html
    assert "jesignexpert.com" in html  # the client's name
    for account in ("marie.dupont", "luc.martin", "paul.leroy", "sophie.lambert"):
        assert f'name="login" value="{account}"' in html
    assert "ExpertPass" in html
    assert '<label for="login">Identifiant</label>' in html
    assert "<script" not in html
    action = re.search(r'<form method="post" action="([^"]+)"', html)
    assert action is not None
    response = sso.post(
        action.group(1).replace("&amp;", "&"), data={"login": "chloe.bernard", "csrf_token": hidden_token(html)}
    )
    query = query_of(response)
    assert query["state"] == "page-state"
    tokens = exchange(sso, query["code"], verifier).json
    assert tokens is not None
    assert userinfo(sso, tokens["access_token"]).json["sub"] == "usr_chloe_bernard"  # type: ignore[index]
    # Logged in: the next authorization needs no page.
    _, challenge = pkce()
    assert "code" in query_of(authorize(sso, challenge=challenge))


def test_login_form_refuses_forgery_and_unknown_logins(sso: FlaskClient) -> None:
    _, challenge = pkce()
    page = authorize(sso, challenge=challenge, state="s")
    token = hidden_token(page.get_data(as_text=True))
    path = page.request.full_path
    forged = sso.post(path, data={"login": "marie.dupont", "csrf_token": "0" * 64})
    assert forged.status_code == 400
    assert "Location" not in forged.headers
    other_request = sso.post(path.replace("state=s", "state=t"), data={"login": "marie.dupont", "csrf_token": token})
    assert other_request.status_code == 400  # the token is bound to one authorization request
    unknown = sso.post(path, data={"login": "nobody", "csrf_token": token})
    assert unknown.status_code == 400
    assert "Identifiant inconnu" in unknown.get_data(as_text=True)
    fresh = app_client_without_cookies(sso)
    assert fresh.post(path, data={"login": "marie.dupont", "csrf_token": token}).status_code == 400


def app_client_without_cookies(client: FlaskClient) -> FlaskClient:
    return client.application.test_client()


def test_cancel_returns_access_denied(sso: FlaskClient) -> None:
    _, challenge = pkce()
    page = authorize(sso, challenge=challenge, state="c")
    response = sso.post(
        page.request.full_path, data={"cancel": "1", "csrf_token": hidden_token(page.get_data(as_text=True))}
    )
    assert query_of(response) == {
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied the request",
        "state": "c",
    }


def test_prompt_and_max_age(sso: FlaskClient, clock: ManualClock) -> None:
    _, challenge = pkce()
    assert query_of(authorize(sso, challenge=challenge, prompt="none"))["error"] == "login_required"
    get_code(sso, challenge)  # now logged in
    assert "code" in query_of(authorize(sso, challenge=challenge, prompt="none"))
    assert authorize(sso, challenge=challenge, prompt="login").status_code == 200
    clock.advance(timedelta(minutes=5))
    assert authorize(sso, challenge=challenge, max_age="60").status_code == 200
    assert "code" in query_of(authorize(sso, challenge=challenge, max_age="600"))
    assert query_of(authorize(sso, challenge=challenge, max_age="60", prompt="none"))["error"] == "login_required"
    assert query_of(authorize(sso, challenge=challenge, max_age="soon"))["error"] == "invalid_request"


@pytest.fixture
def closed_app(clock: ManualClock) -> Iterator[Flask]:
    app = create_app(memory_config(control_plane=False), clock=clock)
    install_sso(app, services_of(app))
    yield app
    services_of(app).close()


def test_login_hint_logs_in_only_with_the_control_plane(sso: FlaskClient, closed_app: Flask) -> None:
    _, challenge = pkce()
    assert "code" in query_of(authorize(sso, challenge=challenge, login_hint="paul.leroy"))
    page = authorize(closed_app.test_client(), challenge=challenge, login_hint="paul.leroy")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="paul.leroy" class="hinted" autofocus' in html
    browser = closed_app.test_client()
    page = authorize(browser, challenge=challenge)
    logged_in = browser.post(
        page.request.full_path, data={"login": "paul.leroy", "csrf_token": hidden_token(page.get_data(as_text=True))}
    )
    assert "code" in query_of(logged_in)
    assert "code" in query_of(authorize(browser, challenge=challenge, login_hint="paul.leroy"))
    assert authorize(browser, challenge=challenge, login_hint="luc.martin").status_code == 200  # someone else
    assert (
        'id="login" name="login" type="text" autocomplete="username" spellcheck="false" required value="paul.leroy"'
        in html
    )


def test_nonce_replay_is_refused(sso: FlaskClient) -> None:
    _, challenge = pkce()
    get_code(sso, challenge, nonce="once")
    query = query_of(authorize(sso, challenge=challenge, nonce="once", login_hint="marie.dupont"))
    assert query["error"] == "invalid_request"


def test_unsupported_response_type_goes_back_to_the_client(sso: FlaskClient) -> None:
    _, challenge = pkce()
    for response_type in ("token", "code id_token", 'é"\\'):
        query = query_of(authorize(sso, challenge=challenge, response_type=response_type, state="r"))
        assert query["error"] == "unsupported_response_type"
        assert query["state"] == "r"


def test_unknown_scope_is_invalid_scope(sso: FlaskClient) -> None:
    _, challenge = pkce()
    query = query_of(authorize(sso, challenge=challenge, scope="openid admin", login_hint="marie.dupont"))
    assert query["error"] == "invalid_scope"


def test_token_request_errors_name_what_is_wrong(sso: FlaskClient) -> None:
    """RFC 6749 section 5.2: a missing grant_type is invalid_request; a grant_type sent but unknown,
    unsupported_grant_type."""
    missing = sso.post("/sso/token", data={"code": "x"}, headers=basic())
    assert (missing.status_code, error_of(missing)) == (400, "invalid_request")
    assert missing.json is not None
    assert missing.json["error_description"] == "Missing 'grant_type'."
    unknown = sso.post("/sso/token", data={"grant_type": "password", "username": "u", "password": "p"}, headers=basic())
    assert (unknown.status_code, error_of(unknown)) == (400, "unsupported_grant_type")
    for answer in (missing, unknown):
        assert answer.headers["Cache-Control"] == "no-store"


def test_a_verifier_outside_43_to_128_characters_is_refused_even_if_it_matches(sso: FlaskClient) -> None:
    for length, status in ((42, 400), (43, 200), (128, 200), (129, 400)):
        verifier = secrets.token_urlsafe(length)[:length]
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        response = exchange(sso, get_code(sso, challenge), verifier)
        assert response.status_code == status, (length, response.get_data(as_text=True))


def test_plain_http_on_a_public_host_name(sso: FlaskClient) -> None:
    """Authlib refuses plain HTTP except on loopback; the mock serves it on any host name."""
    verifier, challenge = pkce()
    host = "http://sso.jesign-mock.example.com"
    response = sso.get(
        "/sso/authorize",
        base_url=host,
        query_string={
            "response_type": "code",
            "client_id": PLATFORM,
            "redirect_uri": PLATFORM_REDIRECT,
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "login_hint": "marie.dupont",
        },
    )
    code = query_of(response)["code"]
    token = sso.post(
        "/sso/token",
        base_url=host,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": PLATFORM_REDIRECT,
            "code_verifier": verifier,
        },
        headers=basic(),
    )
    assert token.status_code == 200, token.get_data(as_text=True)


# -- bad input never fails the server -------------------------------------------------------------------------------

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["code", PLATFORM, CLI, PLATFORM_REDIRECT, CLI_REDIRECT, "S256", "plain", "openid", "x" * 300]),
)
_AUTHORIZE_KEYS = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
]
_TOKEN_KEYS = ["grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret", "refresh_token"]


@FUZZ
@given(params=st.dictionaries(st.sampled_from(_AUTHORIZE_KEYS), _TEXT))
@pytest.mark.slow
def test_authorize_never_fails_on_bad_input(sso: FlaskClient, params: dict[str, str]) -> None:
    assert sso.get("/sso/authorize", query_string=params).status_code in (200, 302, 400)
    assert sso.post("/sso/authorize", query_string=params, data={"login": "marie.dupont"}).status_code in (302, 400)


@FUZZ
@given(
    form=st.dictionaries(st.sampled_from(_TOKEN_KEYS), _TEXT),
    authorization=st.one_of(st.none(), st.text(max_size=40), st.binary(max_size=30).map(base64.b64encode)),
)
@pytest.mark.slow
def test_token_and_userinfo_never_fail_on_bad_input(
    sso: FlaskClient, form: dict[str, str], authorization: str | bytes | None
) -> None:
    headers: dict[str, str] = {}
    if authorization is not None:
        value = authorization if isinstance(authorization, str) else "Basic " + authorization.decode()
        headers["Authorization"] = value.replace("\n", " ").replace("\r", " ")
    assert sso.post("/sso/token", data=form, headers=headers).status_code in (400, 401)
    assert sso.post("/sso/userinfo", data=form, headers=headers).status_code == 401
    assert sso.get("/sso/logout", query_string=form).status_code in (200, 302, 400)


# -- over real HTTP --------------------------------------------------------------------------------------------------


@pytest.mark.live
def test_login_page_flow_over_http(live_mock: LiveMock) -> None:
    install_sso(live_mock.app, live_mock.services)
    base = live_mock.url + "/sso"
    discovery = requests.get(base + "/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == base
    browser = requests.Session()
    verifier, challenge = pkce()
    page = browser.get(
        discovery["authorization_endpoint"],
        params={
            "response_type": "code",
            "client_id": CLI,
            "redirect_uri": "http://127.0.0.1:40123/callback",
            "scope": ALL_SCOPES,
            "state": "live",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        timeout=10,
    )
    assert page.status_code == 200
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    answer = browser.post(
        live_mock.url + action.group(1).replace("&amp;", "&"),
        data={"login": "sophie.lambert", "csrf_token": hidden_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("http://127.0.0.1:40123/callback?")
    code = parse_qs(urlsplit(location).query)["code"][0]
    tokens = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:40123/callback",
            "client_id": CLI,
            "code_verifier": verifier,
        },
        timeout=10,
    ).json()
    claims = requests.get(discovery["userinfo_endpoint"], headers=bearer(tokens["access_token"]), timeout=10).json()
    assert claims["sub"] == "usr_sophie_lambert"
    assert claims["identity_source"] == "expertpass"
    assert authenticate_bearer(live_mock.services, f"Bearer {tokens['access_token']}") == "usr_sophie_lambert"


# -- on PostgreSQL ---------------------------------------------------------------------------------------------------

POSTGRES_URL = os.environ.get("JESIGN_TEST_POSTGRES_URL")


@pytest.mark.skipif(not POSTGRES_URL, reason="no PostgreSQL server: set JESIGN_TEST_POSTGRES_URL (.ci/run does)")
def test_sso_runs_unchanged_on_postgresql(clock: ManualClock) -> None:
    assert POSTGRES_URL
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"jesign_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    app = create_app(memory_config(database_url=url), clock=clock)
    try:
        install_sso(app, services_of(app))
        sso = app.test_client()
        first = login(sso, nonce="pg-nonce")
        verify_id_token(sso, first["id_token"], clock)
        assert userinfo(sso, first["access_token"]).status_code == 200
        second = refresh(sso, first["refresh_token"]).json
        assert second is not None
        assert error_of(refresh(sso, first["refresh_token"])) == "invalid_grant"
        assert userinfo(sso, second["access_token"]).status_code == 401
        verifier, challenge = pkce()
        code = get_code(sso, challenge)
        assert exchange(sso, code, verifier).status_code == 200
        assert error_of(exchange(sso, code, verifier)) == "invalid_grant"
        # PostgreSQL refuses NUL characters in text: they must be refused before they reach it.
        nul = {"client_id": "a\x00b", "login_hint": "\x00", "nonce": "\x00", "redirect_uri": "\x00"}
        assert authorize(sso, challenge=challenge, **nul).status_code == 400
        assert authorize(sso, challenge=challenge, nonce="\x00").status_code in (200, 302)
        assert sso.post(
            "/sso/token", data={"grant_type": "refresh_token", "refresh_token": "\x00", "client_id": "\x00"}
        ).status_code in (400, 401)
        assert sso.get("/sso/logout", query_string={"client_id": "\x00"}).status_code == 200
    finally:
        services_of(app).close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_apis_stop_accepting_a_token_once_revoked_even_after_using_it(sso: FlaskClient, clock: ManualClock) -> None:
    """The APIs remember valid tokens per process; every revocation, a reset and expiry still end them at once."""

    def me(token: str) -> int:
        return sso.get("/platform/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code

    logged_out, other = login(sso), login(sso, "luc.martin")
    assert me(logged_out["access_token"]) == me(other["access_token"]) == 200
    sso.get("/sso/logout", query_string={"id_token_hint": logged_out["id_token"]})
    assert me(logged_out["access_token"]) == 401
    assert me(other["access_token"]) == 200

    verifier, challenge = pkce()
    code = get_code(sso, challenge)
    replayed = exchange(sso, code, verifier).json
    assert me(replayed["access_token"]) == 200
    assert exchange(sso, code, verifier).status_code == 400  # the replay revokes the grant
    assert me(replayed["access_token"]) == 401

    expiring = login(sso)
    assert me(expiring["access_token"]) == 200
    clock.advance(timedelta(hours=1))
    assert me(expiring["access_token"]) == 401

    assert me(other["access_token"]) == 401  # expired too; a fresh one, then a reset
    fresh = login(sso, "luc.martin")
    assert me(fresh["access_token"]) == 200
    assert sso.post("/_mock/reset").status_code == 200
    assert me(fresh["access_token"]) == 401


def test_no_token_reaches_the_logs_even_at_debug(sso: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    """Authlib logs each token it issues at DEBUG: a deployment logging at DEBUG would write bearer tokens to disk."""
    with caplog.at_level(logging.DEBUG):
        body = login(sso)
        refreshed = refresh(sso, body["refresh_token"]).json
    assert refreshed is not None
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (body["access_token"], body["refresh_token"], body["id_token"], refreshed["access_token"]):
        assert secret not in logged
