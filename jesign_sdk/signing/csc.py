"""The Cloud Signature Consortium API, 1.0.4 or 2.0, spoken to any provider.

One method per CSC call, each a thin line over a transport (:data:`CscTransport`): for jesign, the client's
requestor with the SSO's access token (refreshed once when refused); for any other provider, a requestor with the
token it was given. Each version's field names are the spec's: v1 (CSC 1.0.4) ``hash`` and ``hashAlgo``, v2
(CSC 2.0) ``hashes`` and ``hashAlgorithmOID``. Errors are the SDK's exception tree, and an answer of the wrong
shape (a missing field, base64 or DER that does not decode, a signature count that does not match) an
:class:`~jesign_sdk.APIResponseValidationError`. Only hashes ever go through here: never a document.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from asn1crypto import cms, x509

from jesign_sdk._errors import NotFoundError
from jesign_sdk._json import field as json_field
from jesign_sdk._json import optional, strings
from jesign_sdk.signing.backend import Credential

if TYPE_CHECKING:
    from jesign_sdk._client import Client

__all__ = [
    "SEAL_PREFIX",
    "SHA256",
    "VERSIONS",
    "CscApi",
    "CscInfo",
    "CscTransport",
    "credential_from_info",
    "load_certificate",
]

T = TypeVar("T")

#: The id of a firm's seal credential at jesign's provider is this prefix and the firm's id.
SEAL_PREFIX = "seal_"
#: The digest every signature of the SDK uses (OID of SHA-256).
SHA256 = "2.16.840.1.101.3.4.2.1"
#: The CSC versions the SDK speaks: "1" (1.0.4) and "2" (2.0).
VERSIONS = ("1", "2")


class CscTransport(Protocol):
    """Sends one CSC call: ``POST {base}/{path}`` with ``body`` as JSON, its answer read by ``parse``; ``options``
    are the requestor's (``idempotency_key``, ``no_retry_on``), and ``bearer``: another token for this one call (a
    transport that cannot carry one refuses it)."""

    def __call__(self, path: str, body: dict[str, Any], parse: Callable[[Any], T], **options: Any) -> T: ...


@dataclass(frozen=True)
class CscInfo:
    """What the provider's ``info`` says: its version (``specs``), the calls it serves, how callers authenticate."""

    specs: str
    methods: tuple[str, ...]
    auth_types: tuple[str, ...]
    oauth2: str | None
    name: str = ""
    raw: dict[str, Any] | None = None

    @property
    def version(self) -> str:
        """``"1"`` or ``"2"``, from ``specs`` (``1.0.4.0``, ``2.0.0.2``...)."""
        major = self.specs.split(".", 1)[0]
        if major not in VERSIONS:
            raise ValueError(f"the provider speaks CSC {self.specs}, and the SDK speaks 1.0.4 and 2.0")
        return major

    @classmethod
    def from_json(cls, body: Any) -> CscInfo:
        if not isinstance(body, dict):
            raise ValueError("info is not a JSON object")
        return cls(
            specs=json_field(body, "specs", str),
            methods=strings(body, "methods"),
            auth_types=strings(body, "authType"),
            oauth2=optional(body, "oauth2", str) or None,
            name=optional(body, "name", str) or "",
            raw=body,
        )


def credential_from_info(credential_id: str, body: dict[str, Any]) -> Credential:
    """A :class:`~jesign_sdk.signing.backend.Credential` from a ``credentials/info`` answer (v1 or v2)."""
    cert = optional(body, "cert", dict) or {}
    key = optional(body, "key", dict) or {}
    certificates = tuple(load_certificate(_b64decode(c)) for c in strings(cert, "certificates"))
    if not certificates:
        raise NotFoundError(
            f"the credential {credential_id} has no certificate", status_code=404, code="credential_not_found"
        )
    otp = optional(body, "OTP", dict) or {}
    presence = str(otp.get("presence", "false")).lower()  # CSC says "true"/"false"/"optional"; some send booleans
    found = re.search(r"(\d{4})\s*$", optional(otp, "description", str) or "")
    multisign = body.get("multisign")
    status = optional(cert, "status", str) or "valid"
    if (optional(key, "status", str) or "enabled") == "disabled" and status == "valid":
        status = "disabled"
    return Credential(
        id=credential_id,
        certificates=certificates,
        key_algorithms=strings(key, "algo"),
        key_length=optional(key, "len", int) or 0,
        scal=int(optional(body, "SCAL", str) or 1),
        status=status,
        needs_code=presence == "true",
        code_online=presence == "true" and optional(otp, "type", str) == "online",
        otp_last_digits=found.group(1) if found else None,
        auth_mode=optional(body, "authMode", str) or "explicit",
        multisign=multisign if isinstance(multisign, int) and not isinstance(multisign, bool) else None,
        raw=body,
    )


class CscApi:
    """The CSC calls of one provider, in one version's field names (``version``: ``"1"`` or ``"2"``)."""

    def __init__(self, transport: CscTransport, *, version: str = "2") -> None:
        if version not in VERSIONS:
            raise ValueError(f"version is one of {', '.join(VERSIONS)}, not {version!r}")
        self._transport = transport
        self.version = version

    @classmethod
    def for_client(cls, client: Client) -> CscApi:
        """jesign's provider (CSC 2.0), as the client's logged-in person."""

        def transport(path: str, body: dict[str, Any], parse: Callable[[Any], T], **options: Any) -> T:
            if options.pop("bearer", None) is not None:
                raise ValueError("jesign's CSC calls carry the SSO's token: use a CscProvider for another one")
            return client.as_user("POST", "csc", path, json=body, parse=parse, **options)

        return cls(transport, version="2")

    def info(self) -> CscInfo:
        """``info``: the version, methods and authentication the provider offers."""
        return self._post("info", {}, CscInfo.from_json)

    def list_credentials(self) -> list[str]:
        """``credentials/list``: the ids of the credentials this caller may use."""
        return list(self._post("credentials/list", {}, lambda body: strings(body, "credentialIDs")))

    def credential(self, credential_id: str) -> Credential:
        """``credentials/info`` with the whole chain."""
        body = {"credentialID": credential_id, "certificates": "chain"}
        return self._post("credentials/info", body, lambda answer: credential_from_info(credential_id, answer))

    def send_otp(self, credential_id: str, *, idempotency_key: str | None = None) -> None:
        """``credentials/sendOTP``: the provider sends the code for the next authorization."""
        # A 429 means a code was sent moments ago and is still the one to type: the caller goes on at once.
        body = {"credentialID": credential_id}
        self._post("credentials/sendOTP", body, _ignored, no_retry_on=frozenset({429}), idempotency_key=idempotency_key)

    def authorize(
        self,
        credential_id: str,
        *,
        num_signatures: int,
        hashes: Sequence[bytes] | None = None,
        otp: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """``credentials/authorize``: the Signature Activation Data (SAD) for ``num_signatures`` signatures.

        A SCAL2 credential is authorized for the very hashes the SAD will sign; ``otp`` is the code, when the
        credential asks for one.
        """
        body: dict[str, Any] = {"credentialID": credential_id, "numSignatures": num_signatures}
        if hashes is not None:
            if self.version == "1":
                body["hash"] = [_b64(h) for h in hashes]
            else:
                body["hashes"] = [_b64(h) for h in hashes]
                body["hashAlgorithmOID"] = SHA256
        if otp is not None:
            body["OTP"] = otp
        return self._post(
            "credentials/authorize",
            body,
            lambda answer: json_field(answer, "SAD", str),
            idempotency_key=idempotency_key,
        )

    def sign_hashes(
        self,
        credential_id: str,
        sad: str | None,
        hashes: Sequence[bytes],
        sign_algorithm: str,
        *,
        credential_token: str | None = None,
        idempotency_key: str | None = None,
    ) -> list[bytes]:
        """``signatures/signHash``: one raw signature (DER for ECDSA) per SHA-256 hash, in order.

        ``sad`` is what ``authorize`` gave; or none, with ``credential_token``, a ``scope=credential`` token of the
        provider's own OAuth2 carried as the Bearer token of this one call (CSC 1.0.4 section 11.9).
        """
        hash_field, algorithm_field = ("hash", "hashAlgo") if self.version == "1" else ("hashes", "hashAlgorithmOID")
        body: dict[str, Any] = {"credentialID": credential_id}
        if sad is not None:
            body["SAD"] = sad
        body |= {hash_field: [_b64(h) for h in hashes], algorithm_field: SHA256, "signAlgo": sign_algorithm}
        options: dict[str, Any] = {"idempotency_key": idempotency_key}
        if credential_token is not None:
            options["bearer"] = credential_token
        return self._post("signatures/signHash", body, lambda answer: _signatures(answer, len(hashes)), **options)

    def timestamp(self, digest: bytes, hash_algorithm: str, *, nonce: int | None = None) -> bytes:
        """``signatures/timestamp``: an RFC 3161 time-stamp token (DER) from the provider's TSA."""
        algorithm_field = "hashAlgo" if self.version == "1" else "hashAlgorithmOID"
        body: dict[str, Any] = {"hash": _b64(digest), algorithm_field: hash_algorithm}
        if nonce is not None:
            body["nonce"] = format(nonce, "x")
        return self._post("signatures/timestamp", body, _timestamp_token)

    def _post(self, path: str, body: dict[str, Any], parse: Callable[[Any], T], **options: Any) -> T:
        return self._transport(path, body, parse, **options)


def load_certificate(der: bytes) -> x509.Certificate:
    """A DER certificate, parsed through (asn1crypto parses lazily: a corrupt one would fail later, in pyHanko)."""
    certificate = x509.Certificate.load(der)
    _ = certificate.native
    return certificate


def _signatures(body: Any, expected: int) -> list[bytes]:
    signatures = [_b64decode(s) for s in json_field(body, "signatures", list)]
    if len(signatures) != expected or not all(signatures):
        raise ValueError(f"{len(signatures)} signatures for {expected} hashes")
    return signatures


def _timestamp_token(body: Any) -> bytes:
    """An RFC 3161 token: a CMS SignedData over a TSTInfo (checked now, rather than failing inside pyHanko)."""
    token = _b64decode(json_field(body, "timestamp", str))
    info = cms.ContentInfo.load(token)
    if info["content_type"].native != "signed_data":
        raise ValueError(f"the time-stamp token is {info['content_type'].native}, not signed_data")
    content = info["content"]["encap_content_info"]
    if content["content_type"].native != "tst_info":
        raise ValueError(f"the time-stamp token signs {content['content_type'].native}, not a tst_info")
    _ = info.native
    return token


def _ignored(body: Any) -> None:
    return None


def _b64decode(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"base64 text was expected, not {type(value).__name__}")
    return base64.b64decode(value, validate=True)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
