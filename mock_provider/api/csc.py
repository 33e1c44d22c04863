"""``/trust/csc/v2`` and ``/trust/csc/v1``: the Cloud Signature Consortium API of the trust provider.

Thin adapters over :mod:`mock_provider.core.signing`: the same operations under both versions, with each
version's field names (v1, CSC 1.0.4.0: ``hash``, ``hashAlgo``; v2: ``hashes``, ``hashAlgorithmOID``), so that
pyHanko's own ``CSCSigner`` (which speaks v1) signs through the mock unchanged. Callers carry the SSO's access
token as ``Authorization: Bearer`` (``authType`` ``external``), or a token of the trust provider's own OAuth2
(``oauth2code``, :mod:`mock_provider.api.csc_oauth2`): a service-scope token at every call, a credential-scope
token at ``signatures/signHash`` in place of the SAD. Errors are RFC 9457 problems which also carry the CSC
members ``error`` and ``error_description``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from flask import Blueprint, Response, request

from mock_provider.api.common import json_body, ok, optional
from mock_provider.api.csc_oauth2 import caller
from mock_provider.core.errors import InvalidInput, MockError
from mock_provider.core.misbehaviour.areas.signing import CSC_TIMESTAMP_ASSUMES_SHA256, CSC_WITHOUT_TOKEN
from mock_provider.core.pki.tsa import TimeStampResp
from mock_provider.core.signing import DIGESTS
from mock_provider.http_common.problems import problem
from mock_provider.http_common.services import services

T = TypeVar("T")

v2 = Blueprint("csc_v2", __name__, url_prefix="/trust/csc/v2")
v1 = Blueprint("csc_v1", __name__, url_prefix="/trust/csc/v1")


def _user() -> str:
    return caller(unless=CSC_WITHOUT_TOKEN).user_id


def _csc_error(exc: MockError) -> Response:
    extra = {**exc.extra, "error": exc.code, "error_description": exc.detail}
    return problem(exc.status, exc.code, exc.title, exc.detail, errors=exc.errors, headers=exc.headers, extra=extra)


def _body() -> dict[str, Any]:
    return json_body() if request.content_length else {}


def _field(body: dict[str, Any], name: str, kind: type[T]) -> T | None:
    """A member of the request in its JSON type (absent: ``None``); another type is CSC's ``invalid_request``."""
    return optional(body, name, kind, code="invalid_request")


def _info(version: str) -> Response:
    return ok(
        {
            "specs": "2.0.0.2" if version == "v2" else "1.0.4.0",
            "name": "jesign mock trust provider (TEST)",
            "logo": "",
            "region": "FR",
            "lang": "fr",
            "description": "Remote signing of the jesign TEST hierarchy. NOT FOR PRODUCTION.",
            "authType": ["external", "oauth2code"],
            "oauth2": services().config.base_url + "/trust/csc",
            "methods": [
                "credentials/list",
                "credentials/info",
                "credentials/sendOTP",
                "credentials/authorize",
                "signatures/signHash",
                "signatures/timestamp",
            ],
        }
    )


def _list() -> Response:
    user = _user()
    body = _body()
    with_info = _field(body, "credentialInfo", bool)
    found = services().signing.list_credentials(user)
    answer: dict[str, Any] = {"credentialIDs": [c.id for c in found]}
    if with_info:
        answer["credentialInfos"] = [{"credentialID": c.id, **c.info(services().pki)} for c in found]
    return ok(answer)


#: ``credentials/info``'s choice of certificates (CSC 2.0 section 11.5).
CERTIFICATES = ("none", "single", "chain")


def _credential_info() -> Response:
    user = _user()
    body = _body()
    certificates = _field(body, "certificates", str) or "single"
    if certificates not in CERTIFICATES:
        raise InvalidInput(
            f"certificates is one of {', '.join(CERTIFICATES)}",
            code="invalid_request",
            errors=[{"field": "certificates", "code": "invalid", "detail": " or ".join(CERTIFICATES)}],
        )
    credential = services().signing.credential(user, _field(body, "credentialID", str))
    return ok(credential.info(services().pki, chain=certificates != "none"))


def _send_otp() -> Response:
    user = _user()
    services().signing.send_otp(user, _field(_body(), "credentialID", str))
    return Response(status=204)


def _authorize(hashes_field: str, algorithm_field: str) -> Response:
    user = _user()
    body = _body()
    return ok(
        services().signing.authorize(
            user,
            _field(body, "credentialID", str),
            num_signatures=_field(body, "numSignatures", int),
            hashes_b64=_field(body, hashes_field, list),
            hash_algorithm=_field(body, algorithm_field, str),
            code=_field(body, "OTP", str),
        )
    )


def _sign_hash(hashes_field: str, algorithm_field: str) -> Response:
    who = caller(sign_hash=True, unless=CSC_WITHOUT_TOKEN)
    body = _body()
    sad = _field(body, "SAD", str)
    signatures = services().signing.sign_hashes(
        who.user_id,
        _field(body, "credentialID", str),
        sad=sad if sad is not None or who.sad is None else who.sad,
        also_broken=who.sad_switches() if sad is None else frozenset(),
        hashes_b64=_field(body, hashes_field, list),
        hash_algorithm=_field(body, algorithm_field, str),
        sign_algorithm=_field(body, "signAlgo", str),
    )
    return ok({"signatures": signatures})


def _timestamp(algorithm_field: str) -> Response:
    """``signatures/timestamp``: an RFC 3161 token from the mock's TSA for one hash."""
    from asn1crypto import tsp

    _user()
    body = _body()
    algorithm = _field(body, algorithm_field, str)
    if CSC_TIMESTAMP_ASSUMES_SHA256 in services().breakages:
        algorithm = "2.16.840.1.101.3.4.2.1"
    hash_b64 = _field(body, "hash", str) or ""
    nonce = _field(body, "nonce", str)
    if algorithm not in DIGESTS:
        raise InvalidInput(f"{algorithm_field} is not a supported digest", code="invalid_hash_algorithm")
    try:
        digest = base64.b64decode(hash_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("hash is not base64", code="invalid_hash") from exc
    if len(digest) != DIGESTS[algorithm][1]:
        raise InvalidInput("the hash does not fit its algorithm", code="invalid_hash")
    query: dict[str, Any] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest},
        "cert_req": True,
    }
    if nonce:
        try:
            query["nonce"] = int(nonce, 16)
        except ValueError as exc:
            raise InvalidInput("nonce is a hexadecimal string", code="invalid_request") from exc
    answer = services().tsa.respond(tsp.TimeStampReq(query).dump())
    reply = TimeStampResp.load(answer.der)
    if reply["status"]["status"].native != "granted":
        raise InvalidInput("the TSA refused the request", code="timestamp_refused")
    return ok({"timestamp": base64.b64encode(reply["time_stamp_token"].dump()).decode()})


# The same operations under both versions, each with its field names.
for bp, version, hashes_field, algorithm_field in (
    (v2, "v2", "hashes", "hashAlgorithmOID"),
    (v1, "v1", "hash", "hashAlgo"),
):
    bp.register_error_handler(MockError, _csc_error)
    bp.add_url_rule("/info", f"info_{version}", lambda v=version: _info(v), methods=["POST", "GET"])
    bp.add_url_rule("/credentials/list", f"list_{version}", _list, methods=["POST"])
    bp.add_url_rule("/credentials/info", f"info_credential_{version}", _credential_info, methods=["POST"])
    bp.add_url_rule("/credentials/sendOTP", f"send_otp_{version}", _send_otp, methods=["POST"])
    bp.add_url_rule(
        "/credentials/authorize",
        f"authorize_{version}",
        lambda h=hashes_field, a=algorithm_field: _authorize(h, a),
        methods=["POST"],
    )
    bp.add_url_rule(
        "/signatures/signHash",
        f"sign_hash_{version}",
        lambda h=hashes_field, a=algorithm_field: _sign_hash(h, a),
        methods=["POST"],
    )
    bp.add_url_rule(
        "/signatures/timestamp", f"timestamp_{version}", lambda a=algorithm_field: _timestamp(a), methods=["POST"]
    )
