"""``/pki``: the CA's repository. CA certificates, CRLs, OCSP (RFC 6960) and the TSA (RFC 3161).

A thin adapter over :mod:`mock_provider.core.pki`: OCSP and the TSA answer in their own protocol's error format
(``malformedRequest``; a rejection with failInfo) with an HTTP status that fits, never problem+json, since their
clients read only DER. Everything else answers problem+json on error.

``X-Jesign-Mock-Time: <ISO 8601 instant>`` asks OCSP, CRL and TSA answers as they would be at another instant
(as certomancer's ``X-Certomancer-Fake-Time`` does), unless the configuration turns it off. That header is the
mock's own extension, not the protocols', so a malformed one, or one at which the answer cannot be dated (before
1950, or so late that its nextUpdate would pass 9999-12-31T23:59:59Z), is answered with problem+json
(``invalid_fake_time``).
"""

from __future__ import annotations

import html
from datetime import datetime

from cryptography.hazmat.primitives.serialization import Encoding
from flask import Blueprint, Response, abort, current_app, request, url_for

from mock_provider.core.clock import ensure_utc
from mock_provider.core.errors import InvalidInput
from mock_provider.core.misbehaviour.areas.pki import CA_ISSUERS_UNREACHABLE, CRL_DISTRIBUTION_POINT_UNREACHABLE
from mock_provider.core.pki import profiles
from mock_provider.core.pki.times import InstantRange
from mock_provider.core.pki.tsa import rejection
from mock_provider.core.services import MockServices
from mock_provider.http_common.problems import json_response as _json

FAKE_TIME_HEADER = "X-Jesign-Mock-Time"
OCSP_REQUEST_TYPE = "application/ocsp-request"
OCSP_RESPONSE_TYPE = "application/ocsp-response"
TSA_QUERY_TYPE = "application/timestamp-query"
TSA_REPLY_TYPE = "application/timestamp-reply"

bp = Blueprint("pki", __name__, url_prefix="/pki")


def _services() -> MockServices:
    services: MockServices = current_app.extensions["jesign_mock"]
    return services


def parse_fake_time(raw: str, instants: InstantRange) -> datetime:
    """The instant an ``X-Jesign-Mock-Time`` value names, if the answer can be dated then (``instants``, see
    :mod:`mock_provider.core.pki.times`); else a 400 ``invalid_fake_time`` whose field error says ``invalid`` or
    ``out_of_range``. Shared by this blueprint and the OCSP endpoint."""
    try:
        instant = ensure_utc(datetime.fromisoformat(raw.strip()))
    except (ValueError, OverflowError) as exc:  # OverflowError: a zone that moves it past year 1 or 9999
        raise InvalidInput(
            f"{FAKE_TIME_HEADER} must be an ISO 8601 instant with a timezone, such as 2027-01-31T12:00:00Z",
            code="invalid_fake_time",
            errors=[{"field": FAKE_TIME_HEADER, "code": "invalid", "detail": "an ISO 8601 instant with a timezone"}],
        ) from exc
    if instant not in instants:
        raise InvalidInput(
            f"{FAKE_TIME_HEADER} must lie {instants}: what X.509 can write, less the validity of the answer",
            code="invalid_fake_time",
            errors=[{"field": FAKE_TIME_HEADER, "code": "out_of_range", "detail": str(instants)}],
        )
    return instant


def _fake_time(instants: InstantRange) -> datetime | None:
    raw = request.headers.get(FAKE_TIME_HEADER)
    if raw is None or not _services().config.allow_fake_time:
        return None
    return parse_fake_time(raw, instants)


def _read_body(limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit``."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.stream.read(limit + 1)
    return None if len(body) > limit else body


def _der(body: bytes, mimetype: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype=mimetype)


@bp.get("")
def index() -> Response:
    """Where everything is, as JSON."""
    urls = _services().pki.urls
    body = {
        "ca_certificates": {role: urls.ca_certificate(role) for role in (*profiles.CA_ROLES, profiles.TSA)},
        "crls": {role: urls.crl(role) for role in profiles.CA_ROLES},
        "ocsp": urls.ocsp,
        "tsa": urls.tsa,
        "cps": urls.cps,
        "fake_time_header": FAKE_TIME_HEADER if _services().config.allow_fake_time else None,
    }
    return _json(body)


@bp.get("/ca/<role>.cer")
def ca_certificate(role: str) -> Response:
    hierarchy = _services().pki.hierarchy()
    if role not in hierarchy.authorities or CA_ISSUERS_UNREACHABLE in _services().breakages:
        abort(404, f"no CA certificate named {role}")
    return _der(hierarchy[role].der, "application/pkix-cert")


@bp.get("/ca/<role>.pem")
def ca_certificate_pem(role: str) -> Response:
    hierarchy = _services().pki.hierarchy()
    if role not in hierarchy.authorities:
        abort(404, f"no CA certificate named {role}")
    return Response(hierarchy[role].certificate.public_bytes(Encoding.PEM), mimetype="application/x-pem-file")


@bp.get("/crl/<role>.crl")
def crl(role: str) -> Response:
    if role not in profiles.CA_ROLES or CRL_DISTRIBUTION_POINT_UNREACHABLE in _services().breakages:
        abort(404, f"no CRL named {role}")
    crls = _services().crl
    return _der(crls.crl(role, at=_fake_time(crls.instants)), "application/pkix-crl")


@bp.post("/tsa")
def tsa() -> Response:
    services = _services()
    if request.mimetype != TSA_QUERY_TYPE:
        answer = rejection("bad_request", f"send the request as {TSA_QUERY_TYPE}", 415)
        return _der(answer.der, TSA_REPLY_TYPE, answer.http_status)
    body = _read_body(services.config.max_request_bytes)
    if body is None:
        answer = rejection("bad_request", "the request is too large", 413)
        return _der(answer.der, TSA_REPLY_TYPE, answer.http_status)
    answer = services.tsa.respond(body, at=_fake_time(services.tsa.instants))
    return _der(answer.der, TSA_REPLY_TYPE, answer.http_status)


_DOCUMENT = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p><p><a href="{index}">{index}</a></p></body></html>
"""

_PDS_TEXT = {
    "en": "This is the PKI disclosure statement of the jesign TEST hierarchy. It is a test hierarchy: its "
    "certificates have no legal value and must never be trusted in production.",
    "fr": "Ceci est la déclaration d'information (PDS) de la hiérarchie de TEST jesign. C'est une hiérarchie de "
    "test : ses certificats n'ont aucune valeur juridique et ne doivent jamais être acceptés en production.",
}


@bp.get("/cps")
def cps() -> Response:
    text = (
        "Certification practice statement of the jesign TEST hierarchy, played by the jesign mock provider. "
        "Keys are generated and held by the mock; identities are not verified by anyone. NOT FOR PRODUCTION."
    )
    page = _DOCUMENT.format(lang="en", title="jesign TEST CPS", text=html.escape(text), index=url_for(".index"))
    return Response(page, mimetype="text/html")


@bp.get("/pds/<lang>")
def pds(lang: str) -> Response:
    if lang not in _PDS_TEXT:
        abort(404, "the disclosure statement exists in en and fr")
    title = "jesign TEST PDS"
    page = _DOCUMENT.format(lang=lang, title=title, text=html.escape(_PDS_TEXT[lang]), index=url_for(".index"))
    return Response(page, mimetype="text/html")
