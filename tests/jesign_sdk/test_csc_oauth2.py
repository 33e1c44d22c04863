"""The SDK's client for a CSC provider's own OAuth2 (``oauth2code``), end to end over HTTP against the mock."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from jesign_sdk import APIConnectionError, APIStatusError, Client, IdTokenError, JesignError
from jesign_sdk._requestor import Endpoints, Requestor
from jesign_sdk.otp import MockOutboxOtpSource
from jesign_sdk.signing.csc_oauth2 import CscOAuth2, CscToken, mock_authorize
from tests.helpers.mock import LiveMock
from tests.helpers.registration import MARIE_MOBILE

pytestmark = pytest.mark.live

ECDSA_SHA256 = "1.2.840.10045.4.3.2"
SHA256 = "2.16.840.1.101.3.4.2.1"


@pytest.fixture
def marie(live_mock: LiveMock, registered: Callable[..., str]) -> Client:
    registered(live_mock.app)
    client = Client(live_mock.url)
    client.login_with_hint("marie.dupont")
    return client


def oauth2_of(live_mock: LiveMock, marie: Client, login: str = "marie.dupont") -> CscOAuth2:
    info = requests.get(f"{live_mock.url}/trust/csc/v2/info", timeout=10).json()
    assert "oauth2code" in info["authType"]
    otp = MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
    return CscOAuth2(info["oauth2"], client_id="jesign-cli", authorize=mock_authorize(marie.requestor, login, otp=otp))


def csc(live_mock: LiveMock, path: str, token: CscToken, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{live_mock.url}/trust/csc/v2/{path}", json=body, headers=token.auth, timeout=10)


def personal(live_mock: LiveMock, token: CscToken) -> str:
    ids = csc(live_mock, "credentials/list", token, {}).json()["credentialIDs"]
    return str(next(i for i in ids if i.startswith("crt_")))


def test_a_service_token_lists_the_credentials_and_refreshes(live_mock: LiveMock, marie: Client) -> None:
    oauth2 = oauth2_of(live_mock, marie)
    token = oauth2.service_token()
    assert token.scope == "service"
    assert token.refresh_token
    assert not token.expired()
    assert token.access_token not in repr(token)
    assert token.refresh_token not in repr(token)
    listed = csc(live_mock, "credentials/list", token, {})
    assert listed.status_code == 200
    assert any(i.startswith("crt_") for i in listed.json()["credentialIDs"])
    fresh = oauth2.refresh(token)
    assert csc(live_mock, "credentials/list", fresh, {}).status_code == 200
    with pytest.raises(APIStatusError) as refused:
        oauth2.refresh(token)  # used once
    assert refused.value.code == "invalid_grant"


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_credential_token_signs_its_hashes_once_without_a_sad(
    live_mock: LiveMock, marie: Client, version: str
) -> None:
    oauth2 = oauth2_of(live_mock, marie)
    credential = personal(live_mock, oauth2.service_token())
    digests = [hashlib.sha256(b"page one").digest(), hashlib.sha256(b"page two").digest()]
    token = oauth2.credential_token(credential, digests, version=version)
    assert token.refresh_token is None
    body = {
        "credentialID": credential,
        "hashes": [base64.b64encode(d).decode() for d in digests],
        "hashAlgorithmOID": SHA256,
        "signAlgo": ECDSA_SHA256,
    }
    signed = csc(live_mock, "signatures/signHash", token, body)
    assert signed.status_code == 200, signed.text
    info = requests.post(
        f"{live_mock.url}/trust/csc/v2/credentials/info",
        json={"credentialID": credential},
        headers={"Authorization": f"Bearer {marie.tokens.access_token if marie.tokens else ''}"},
        timeout=10,
    ).json()
    key = x509.load_der_x509_certificate(base64.b64decode(info["cert"]["certificates"][0])).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    for digest, signature in zip(digests, signed.json()["signatures"], strict=True):
        key.verify(base64.b64decode(signature), digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    again = csc(live_mock, "signatures/signHash", token, body)
    assert again.status_code in (400, 409)
    assert again.json()["code"] in ("sad_used", "sad_hash_mismatch")


def test_another_persons_credential_is_an_oauth_error(live_mock: LiveMock, marie: Client) -> None:
    credential = personal(live_mock, oauth2_of(live_mock, marie).service_token())
    stranger = oauth2_of(live_mock, marie, login="luc.martin")
    with pytest.raises(APIStatusError) as refused:
        stranger.credential_token(credential, [hashlib.sha256(b"x").digest()])
    assert refused.value.code == "access_denied"


def test_a_state_that_is_not_the_one_sent_is_refused(live_mock: LiveMock, marie: Client) -> None:
    real = oauth2_of(live_mock, marie)._authorize
    assert real is not None

    def tampered(url: str) -> str:
        landed = real(url)
        query = {k: v[0] for k, v in parse_qs(urlsplit(landed).query).items()} | {"state": "someone-else"}
        return landed.split("?", 1)[0] + "?" + urlencode(query)

    info = requests.get(f"{live_mock.url}/trust/csc/v2/info", timeout=10).json()
    oauth2 = CscOAuth2(info["oauth2"], client_id="jesign-cli", authorize=tampered)
    with pytest.raises(IdTokenError):
        oauth2.service_token()


def test_hashes_of_the_wrong_length_are_refused_before_any_page(live_mock: LiveMock) -> None:
    def never(url: str) -> str:
        raise AssertionError("no page should open")

    oauth2 = CscOAuth2(f"{live_mock.url}/trust/csc", client_id="jesign-cli", authorize=never)
    with pytest.raises(ValueError, match="32 bytes"):
        oauth2.credential_token("crt_x", [b"short"])


def test_the_default_is_the_browser_and_a_loopback_listener(
    live_mock: LiveMock, marie: Client, cli_login: None, capsys: pytest.CaptureFixture[str]
) -> None:
    info = requests.get(f"{live_mock.url}/trust/csc/v2/info", timeout=10).json()
    token = CscOAuth2(info["oauth2"], client_id="jesign-cli").service_token(login_hint="marie.dupont")
    assert csc(live_mock, "credentials/list", token, {}).status_code == 200
    assert "/oauth2/authorize?" in capsys.readouterr().out


def test_an_unreachable_server_is_a_jesign_error() -> None:
    base = "http://127.0.0.1:9/trust/csc"
    requestor = Requestor(Endpoints.single_origin(base)).with_options(max_retries=0)
    oauth2 = CscOAuth2(base, client_id="jesign-cli", requestor=requestor, authorize=lambda url: url + "&code=c")
    with pytest.raises(APIConnectionError):
        oauth2.service_token()
    assert issubclass(APIConnectionError, JesignError)
