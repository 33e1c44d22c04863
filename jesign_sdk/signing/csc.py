"""The trust provider's Cloud Signature Consortium API (v2), spoken as the logged-in person.

One method per CSC call, each a thin line over the client's requestor (party ``csc``, the SSO's access token as
``Bearer``; those that act take a keyword-only ``idempotency_key``); errors are the SDK's exception tree, and an
answer of the wrong shape (a missing field, base64 or DER that does not decode, a signature count that does not
match) an :class:`~jesign_sdk.APIResponseValidationError`. Only hashes ever go through here: never a document.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from asn1crypto import cms, x509

from jesign_sdk._errors import NotFoundError
from jesign_sdk._json import field as json_field
from jesign_sdk._json import optional, strings

if TYPE_CHECKING:
    from jesign_sdk._client import Client

__all__ = ["SEAL_PREFIX", "SHA256", "Credential", "CscApi", "load_certificate"]

T = TypeVar("T")

#: The id of a firm's seal credential is this prefix and the firm's id.
SEAL_PREFIX = "seal_"
#: The digest every signature of the SDK uses (OID of SHA-256).
SHA256 = "2.16.840.1.101.3.4.2.1"


@dataclass(frozen=True)
class Credential:
    """A key the person may sign with at the trust provider (``credentials/info``).

    ``certificates`` is the chain as the provider gives it, the signer's certificate first (asn1crypto objects,
    as pyHanko wants them); ``scal`` is 2 when each authorization needs an SMS code and the hashes, 1 otherwise.
    """

    id: str
    scal: int
    certificates: tuple[x509.Certificate, ...]
    key_algorithms: tuple[str, ...]
    key_length: int
    status: str
    otp_last_digits: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def certificate(self) -> x509.Certificate:
        return self.certificates[0]

    @property
    def is_seal(self) -> bool:
        return self.id.startswith(SEAL_PREFIX)

    @classmethod
    def from_json(cls, credential_id: str, body: dict[str, Any]) -> Credential:
        cert = optional(body, "cert", dict) or {}
        key = optional(body, "key", dict) or {}
        certificates = tuple(load_certificate(_b64decode(c)) for c in strings(cert, "certificates"))
        if not certificates:
            raise NotFoundError(
                f"the credential {credential_id} has no certificate", status_code=404, code="credential_not_found"
            )
        otp = optional(body, "OTP", dict) or {}
        found = re.search(r"(\d{4})\s*$", optional(otp, "description", str) or "")
        return cls(
            id=credential_id,
            scal=int(optional(body, "SCAL", str) or 1),
            certificates=certificates,
            key_algorithms=strings(key, "algo"),
            key_length=optional(key, "len", int) or 0,
            status=optional(cert, "status", str) or "valid",
            otp_last_digits=found.group(1) if found else None,
            raw=body,
        )


class CscApi:
    """The CSC calls, with the client's login (its access token refreshed once when the server refuses it)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list_credentials(self) -> list[str]:
        """``credentials/list``: the ids of the credentials this person may use (personal, then seals)."""
        return list(self._post("credentials/list", {}, lambda body: strings(body, "credentialIDs")))

    def credential(self, credential_id: str) -> Credential:
        """``credentials/info`` with the whole chain."""
        body = {"credentialID": credential_id, "certificates": "chain"}
        return self._post("credentials/info", body, lambda answer: Credential.from_json(credential_id, answer))

    def send_otp(self, credential_id: str, *, idempotency_key: str | None = None) -> None:
        """``credentials/sendOTP``: the provider sends the SMS code for the next authorization."""
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

        A SCAL2 credential needs the SMS code and the very hashes the SAD will sign; a SCAL1 one neither.
        """
        body: dict[str, Any] = {"credentialID": credential_id, "numSignatures": num_signatures}
        if hashes is not None:
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
        sad: str,
        hashes: Sequence[bytes],
        sign_algorithm: str,
        *,
        idempotency_key: str | None = None,
    ) -> list[bytes]:
        """``signatures/signHash``: one raw signature (DER for ECDSA) per SHA-256 hash, in order."""
        body = {
            "credentialID": credential_id,
            "SAD": sad,
            "hashes": [_b64(h) for h in hashes],
            "hashAlgorithmOID": SHA256,
            "signAlgo": sign_algorithm,
        }
        return self._post(
            "signatures/signHash",
            body,
            lambda answer: _signatures(answer, len(hashes)),
            idempotency_key=idempotency_key,
        )

    def timestamp(self, digest: bytes, hash_algorithm: str, *, nonce: int | None = None) -> bytes:
        """``signatures/timestamp``: an RFC 3161 time-stamp token (DER) from the provider's TSA."""
        body: dict[str, Any] = {"hash": _b64(digest), "hashAlgorithmOID": hash_algorithm}
        if nonce is not None:
            body["nonce"] = format(nonce, "x")
        return self._post("signatures/timestamp", body, _timestamp_token)

    def _post(self, path: str, body: dict[str, Any], parse: Callable[[Any], T], **options: Any) -> T:
        return self._client.as_user("POST", "csc", path, json=body, parse=parse, **options)


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
