"""pyHanko's extension points, filled by a backend: a :class:`Signer` whose key is elsewhere, and a
:class:`TimeStamper` that asks a CSC provider's TSA.

:class:`RemoteSigner` only signs hashes: pyHanko hands it the DER of a signature's signed attributes, and it answers
the raw signature a :class:`~jesign_sdk.signing.backend.SigningSession` gave for their SHA-256. For a batch,
:meth:`RemoteSigner.sign_digests` has the session sign every hash at once first; pyHanko then gets each signature
from that batch. The calls pyHanko awaits run the (blocking) session in a worker thread, so that the event loop
goes on meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from asn1crypto import algos, cms, tsp
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import TimeStamper

from jesign_sdk._errors import APIResponseValidationError, JesignError
from jesign_sdk.signing.authorization import sign_algorithm
from jesign_sdk.signing.backend import Credential, SigningSession
from jesign_sdk.signing.csc import SHA256, CscApi

__all__ = ["CscTimeStamper", "RemoteSigner", "backend_call"]

T = TypeVar("T")

#: Bytes reserved, beyond the certificates, signature and time-stamp token, for the rest of a CMS signature: its
#: signed attributes (content type, message digest, signing certificate v2, algorithm protection: about 300
#: bytes) and the structures around them (about 200).
_CMS_ALLOWANCE = 4096


def backend_call(call: Callable[..., T], *args: Any) -> T:
    """A backend's call, its own failures as they are (the SDK's), any other one as a :class:`JesignError`
    (a backend a user wrote may raise anything; the SDK's callers catch one tree)."""
    try:
        return call(*args)
    except JesignError:
        raise
    except Exception as exc:
        raise JesignError(f"the signing backend failed: {type(exc).__name__}: {exc}") from exc


class RemoteSigner(Signer):
    """A pyHanko :class:`~pyhanko.sign.signers.pdf_cms.Signer` over a backend's credential and signing session.

    The signing certificate and the chain are the credential's; the mechanism follows the key (ECDSA or RSA
    PKCS#1 v1.5, always with SHA-256).
    """

    def __init__(self, session: SigningSession, credential: Credential) -> None:
        mechanism, self.sign_algorithm = sign_algorithm(credential)
        super().__init__(
            signing_cert=credential.certificate,
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": mechanism}),
        )
        for certificate in credential.certificates:
            self.cert_registry.register(certificate)
        self.credential = credential
        self.session = session
        self._signed: dict[bytes, bytes] = {}
        self._key_bits = int(credential.certificate.public_key.bit_size)

    def sign_digests(self, digests: Sequence[bytes]) -> list[bytes]:
        """Have the session sign these SHA-256 hashes at once; keep the signatures for pyHanko to pick up."""
        signatures = backend_call(self.session.sign, digests)
        if len(signatures) != len(digests) or not all(isinstance(s, bytes) and s for s in signatures):
            raise JesignError(f"the signing backend gave {len(signatures)} signatures for {len(digests)} hashes")
        self._signed.update(zip(digests, signatures, strict=True))
        return signatures

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != "sha256":
            raise JesignError(f"remote signatures use SHA-256, not {digest_algorithm}")
        if dry_run:
            return bytes(self._placeholder_size())
        digest = hashlib.sha256(data).digest()
        if digest not in self._signed:
            await asyncio.to_thread(self.sign_digests, [digest])
        return self._signed.pop(digest)

    def reserved_bytes(self, timestamp_token_bytes: int = 0) -> int:
        """Room enough for this signer's CMS signature (in hex digits), reserved in the PDF without a dry run.

        pyHanko otherwise builds a whole dummy signature to measure it (the larger part of digesting a small
        document). The CMS holds the certificates, the signed attributes, the signature value and, at B-T and
        above, the time-stamp token (``timestamp_token_bytes``); the allowance covers the attributes and the ASN.1
        around them several times over.
        """
        embedded = {c.dump() for c in (self.signing_cert, *self.cert_registry)}
        der = sum(map(len, embedded)) + self._placeholder_size() + timestamp_token_bytes + _CMS_ALLOWANCE
        return 2 * der  # pyHanko counts the hexadecimal digits the PDF holds the signature in

    def _placeholder_size(self) -> int:
        """The largest signature the key can give (for pyHanko's estimate of the space to reserve)."""
        size = (self._key_bits + 7) // 8
        if self.credential.certificate.public_key.algorithm == "ec":
            return 2 * (size + 3) + 3  # DER SEQUENCE of two INTEGERs, each possibly with a leading zero
        return size


class CscTimeStamper(TimeStamper):
    """RFC 3161 time-stamps from the trust provider's ``signatures/timestamp`` (through the SDK's requestor, in a
    worker thread: the event loop goes on meanwhile).

    A token for another request (another nonce, or another hash) is an
    :class:`~jesign_sdk.APIResponseValidationError`: checked here, since pyHanko checks no hash, and its nonce check
    fails with an ``AttributeError`` of its own.

    pyHanko measures the room a time-stamp takes by one token it asks for first (per digest algorithm), and takes
    the TSA's certificates from it. ``measured`` holds those tokens for several time-stampers (a client's and its
    copies with other options, each speaking through its own :class:`CscApi`), so that each is asked for once.
    """

    def __init__(self, api: CscApi, *, measured: dict[str, cms.ContentInfo] | None = None) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._api = api
        self._measured = {} if measured is None else measured

    async def async_dummy_response(self, md_algorithm: str) -> cms.ContentInfo:
        known = self._measured.get(md_algorithm)
        if known is not None and md_algorithm not in self._dummy_response_cache:
            # pyHanko's own hook for a token it fetched: it keeps the token and the TSA's certificates (B-LT).
            self._register_dummy(md_algorithm, known)  # type: ignore[no-untyped-call]
        token: cms.ContentInfo = await super().async_dummy_response(md_algorithm)
        self._measured.setdefault(md_algorithm, token)
        return token

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        imprint = req["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].dotted
        nonce = req["nonce"].native
        token = cms.ContentInfo.load(
            await asyncio.to_thread(
                self._api.timestamp, imprint["hashed_message"].native, algorithm or SHA256, nonce=nonce
            )
        )
        answered = token["content"]["encap_content_info"]["content"].parsed  # a TSTInfo (checked by the CSC API)
        if answered["nonce"].native != nonce:
            raise APIResponseValidationError(
                f"the provider's time-stamp token answers another request (nonce {answered['nonce'].native}, "
                f"not {nonce})"
            )
        if answered["message_imprint"].dump() != imprint.dump():
            raise APIResponseValidationError("the provider's time-stamp token is for another hash")
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
