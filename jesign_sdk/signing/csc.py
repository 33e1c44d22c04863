"""The trust provider's Cloud Signature Consortium API (v2), spoken as the logged-in person.

One method per CSC call, each a thin line over the client's requestor (party ``csc``, the SSO's access token as
``Bearer``); errors are the SDK's exception tree. Only hashes ever go through here: never a document.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asn1crypto import x509

from jesign_sdk._errors import NotFoundError

if TYPE_CHECKING:
    from jesign_sdk._client import Client

__all__ = ["SEAL_PREFIX", "SHA256", "Credential", "CscApi"]

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
        cert = body.get("cert") or {}
        key = body.get("key") or {}
        certificates = tuple(x509.Certificate.load(base64.b64decode(c)) for c in cert.get("certificates") or ())
        if not certificates:
            raise NotFoundError(
                f"the credential {credential_id} has no certificate", status_code=404, code="credential_not_found"
            )
        otp = body.get("OTP") or {}
        found = re.search(r"(\d{4})\s*$", str(otp.get("description") or ""))
        return cls(
            id=credential_id,
            scal=int(body.get("SCAL") or 1),
            certificates=certificates,
            key_algorithms=tuple(str(a) for a in key.get("algo") or ()),
            key_length=int(key.get("len") or 0),
            status=str(cert.get("status") or "valid"),
            otp_last_digits=found.group(1) if found else None,
            raw=body,
        )


class CscApi:
    """The CSC calls, with the client's login (its access token refreshed once when the server refuses it)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list_credentials(self) -> list[str]:
        """``credentials/list``: the ids of the credentials this person may use (personal, then seals)."""
        return [str(i) for i in self._post("credentials/list", {})["credentialIDs"]]

    def credential(self, credential_id: str) -> Credential:
        """``credentials/info`` with the whole chain."""
        body = self._post("credentials/info", {"credentialID": credential_id, "certificates": "chain"})
        return Credential.from_json(credential_id, body)

    def send_otp(self, credential_id: str) -> None:
        """``credentials/sendOTP``: the provider sends the SMS code for the next authorization."""
        # A 429 means a code was sent moments ago and is still the one to type: the caller goes on at once.
        self._post("credentials/sendOTP", {"credentialID": credential_id}, no_retry_on=frozenset({429}))

    def authorize(
        self,
        credential_id: str,
        *,
        num_signatures: int,
        hashes: Sequence[bytes] | None = None,
        otp: str | None = None,
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
        return str(self._post("credentials/authorize", body)["SAD"])

    def sign_hashes(self, credential_id: str, sad: str, hashes: Sequence[bytes], sign_algorithm: str) -> list[bytes]:
        """``signatures/signHash``: one raw signature (DER for ECDSA) per SHA-256 hash, in order."""
        body = {
            "credentialID": credential_id,
            "SAD": sad,
            "hashes": [_b64(h) for h in hashes],
            "hashAlgorithmOID": SHA256,
            "signAlgo": sign_algorithm,
        }
        return [base64.b64decode(s) for s in self._post("signatures/signHash", body)["signatures"]]

    def timestamp(self, digest: bytes, hash_algorithm: str, *, nonce: int | None = None) -> bytes:
        """``signatures/timestamp``: an RFC 3161 time-stamp token (DER) from the provider's TSA."""
        body: dict[str, Any] = {"hash": _b64(digest), "hashAlgorithmOID": hash_algorithm}
        if nonce is not None:
            body["nonce"] = format(nonce, "x")
        return base64.b64decode(self._post("signatures/timestamp", body)["timestamp"])

    def _post(self, path: str, body: dict[str, Any], **options: Any) -> Any:
        return self._client.as_user("POST", "csc", path, json=body, **options)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
