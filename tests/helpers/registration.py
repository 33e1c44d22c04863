"""Registration through the APIs: identity documents, MRZ lines, the SSO login, and walking the steps over HTTP."""

from __future__ import annotations

import base64
import functools
import io
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from PIL import Image

from mock_provider.core.documents import icao_name, mrz_check_digit

OPERATOR = base64.b64encode(b"jesign-platform:jesign-platform-secret").decode()
#: The platform's confidential client as an operator (the mock's extension of Universign's API keys).
OPERATOR_HEADERS = {"Authorization": f"Basic {OPERATOR}"}
#: The platform's seeded API key, and Universign's two ways to send it: Basic username (empty password), Bearer.
PLATFORM_API_KEY = "sk_test_jesign_platform_key_0001"
API_KEY_BASIC = {"Authorization": "Basic " + base64.b64encode(f"{PLATFORM_API_KEY}:".encode()).decode()}
API_KEY_BEARER = {"Authorization": f"Bearer {PLATFORM_API_KEY}"}
BIRTH_DATE = "1980-04-12"
#: Marie Dupont's mobile number (the seed's first accountant), where her OTP codes go.
MARIE_MOBILE = "+33612345678"


@functools.cache
def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The RFC 9457 problem of a refused call, once its status, media type and stable code are the expected ones."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.json
    assert body["code"] == code
    return body


def colour_image(fmt: str = "JPEG", size: tuple[int, int] = (640, 400)) -> bytes:
    """A colour picture of a card: a gradient from blue to orange."""
    image = Image.new("RGB", size)
    width, height = size
    image.putdata(
        [(int(255 * x / width), 90, int(255 * (1 - y / height))) for y in range(height) for x in range(width)]
    )
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


@functools.cache
def grey_image(fmt: str = "JPEG", size: tuple[int, int] = (640, 400)) -> bytes:
    image = Image.new("L", size)
    width, _ = size
    image.putdata([int(255 * (i % width) / width) for i in range(size[0] * size[1])])
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def td1(
    number: str,
    *,
    surname: str = "Dupont",
    given: str = "Marie",
    birth: date = date(1980, 4, 12),
    expiry: date = date(2031, 6, 30),
    sex: str = "F",
) -> str:
    """An ICAO 9303 TD1 MRZ (French identity card since 2021), check digits computed."""
    number = number.ljust(9, "<")[:9]
    line1 = f"IDFRA{number}{mrz_check_digit(number)}".ljust(30, "<")
    b, e = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    head = f"{b}{mrz_check_digit(b)}{sex}{e}{mrz_check_digit(e)}FRA".ljust(29, "<")
    composite = mrz_check_digit(line1[5:30] + head[0:7] + head[8:15] + head[18:29])
    line2 = head + composite
    line3 = f"{icao_name(surname)}<<{icao_name(given)}".ljust(30, "<")[:30]
    return "\n".join((line1, line2, line3))


def create_registration(
    client: FlaskClient, email: str = "marie.dupont@cabinet-ecma.example.com", **extra: Any
) -> dict[str, Any]:
    """Universign's ``POST /v1/registrations``, form-encoded, with the platform's API key."""
    body = {"applicant": email, "level": "qcpnqscd", "phone_number": "+33612345678", "language": "fr", **extra}
    response = client.post("/trust/v1/registrations", data=body, headers=API_KEY_BASIC)
    assert response.status_code == 201, response.json
    assert response.json is not None
    return {**response.json, "phone_number": body["phone_number"]}


def applicant(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submit_identity(client: FlaskClient, reg: dict[str, Any], **overrides: Any) -> Any:
    body = {"birth_date": BIRTH_DATE, "accept_terms": True, "accept_privacy_policy": True, **overrides}
    return client.post(
        f"/trust/v1/registrations/{reg['id']}/identity", json=body, headers=applicant(reg["session_token"])
    )


def upload(
    client: FlaskClient,
    reg: dict[str, Any],
    *,
    document_type: str = "id_card:fra",
    document_number: str | None = "X4RTBPFW4",
    front: bytes | None = None,
    back: bytes | None = None,
    mrz: str | None = None,
    with_back: bool = True,
) -> Any:
    data: dict[str, Any] = {"document_type": document_type}
    if document_number is not None:
        data["document_number"] = document_number
    data["front"] = (io.BytesIO(front if front is not None else colour_image()), "front.jpg")
    if with_back:
        data["back"] = (io.BytesIO(back if back is not None else colour_image("PNG")), "back.png")
    if mrz is not None:
        data["mrz"] = mrz
    return client.post(
        f"/trust/v1/registrations/{reg['id']}/documents",
        data=data,
        content_type="multipart/form-data",
        headers=applicant(reg["session_token"]),
    )


def consent(client: FlaskClient, reg: dict[str, Any]) -> Any:
    headers = applicant(reg["session_token"])
    agreement = client.get(f"/trust/v1/registrations/{reg['id']}/agreement", headers=headers).json
    assert agreement is not None
    body = {"accept": True, "version": agreement["version"], "sha256": agreement["sha256"]}
    return client.post(f"/trust/v1/registrations/{reg['id']}/agreement/consent", json=body, headers=headers)


def latest_otp(client: FlaskClient, phone: str = "+33612345678") -> str:
    response = client.get("/_mock/outbox/otp", query_string={"phone_number": phone})
    assert response.status_code == 200, response.json
    assert response.json is not None
    return str(response.json["otp"])


def sign(client: FlaskClient, reg: dict[str, Any], code: str) -> Any:
    return client.post(
        f"/trust/v1/registrations/{reg['id']}/agreement/sign",
        json={"otp": code},
        headers=applicant(reg["session_token"]),
    )


def walk_to_documents(client: FlaskClient, **kwargs: Any) -> dict[str, Any]:
    reg = create_registration(client, **kwargs)
    assert submit_identity(client, reg).status_code == 200
    assert upload(client, reg).status_code == 200
    return reg


def walk_to_signed(client: FlaskClient, **kwargs: Any) -> dict[str, Any]:
    reg = walk_to_documents(client, **kwargs)
    assert consent(client, reg).status_code == 200
    response = sign(client, reg, latest_otp(client, reg["phone_number"]))
    assert response.status_code == 200, response.json
    return reg


PLATFORM_CLIENT = base64.b64encode(b"jesign-platform:jesign-platform-secret").decode()
REDIRECT_URI = "http://127.0.0.1:8400/callback"


def sso_login(client: FlaskClient, login: str) -> str:
    """The non-interactive SSO login (``login_hint``, control plane on): code + PKCE, then the access token."""
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlsplit

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": "jesign-platform",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email phone",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": login,
    }
    answer = client.get("/sso/authorize", query_string=query)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = client.post(
        "/sso/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        headers={"Authorization": f"Basic {PLATFORM_CLIENT}"},
    )
    assert token.status_code == 200, token.json
    assert token.json is not None
    return str(token.json["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register_to_active(
    client: FlaskClient, login: str = "marie.dupont", mobile: str = "0612345678", *, terms: bool = True
) -> str:
    """Walk a seeded person through the whole registration (all their firms opened); answer their token. Without
    ``terms``, the walk stops once the certificate is issued (step 6 not done)."""
    token = sso_login(client, login)
    auth = bearer(token)
    assert (
        client.post("/platform/api/v1/registration/profile", json={"mobile_number": mobile}, headers=auth).status_code
        == 200
    )
    started = client.post("/platform/api/v1/registration/certificate-request", json={}, headers=auth)
    assert started.status_code == 201, started.json
    reg = {**started.json, "phone_number": "+33" + mobile[1:]}
    assert submit_identity(client, reg).status_code == 200
    assert upload(client, reg).status_code == 200
    assert consent(client, reg).status_code == 200
    assert sign(client, reg, latest_otp(client, reg["phone_number"])).status_code == 200
    if not terms:
        return token
    me = client.get("/platform/api/v1/me", headers=auth).json
    terms = client.get("/platform/api/v1/terms", headers=auth).json
    body = {
        "firms": [{"firm_id": f["id"], "cgu_accepted": True, "privacy_policy_accepted": True} for f in me["firms"]],
        "cgu_version": terms["cgu"]["version"],
        "privacy_policy_version": terms["privacy_policy"]["version"],
    }
    assert client.post("/platform/api/v1/registration/terms", json=body, headers=auth).json["state"] == "active"
    return token
