"""Signing PDFs through any backend: :class:`SigningProvider` (the surface), :class:`CscBackend` and
:class:`CscProvider` (any Cloud Signature Consortium provider, CSC 1.0.4 or 2.0).

::

    from jesign_sdk.signing import CscProvider

    provider = CscProvider("https://csc.example.com/csc/v1", token="...")  # the version read from its info
    provider.sign_pdf("lettre.pdf", "lettre-signée.pdf", credential_id="...", level="B-T")

The surface is the same everywhere (jesign's ``client.signing`` is a :class:`SigningProvider` over a
:class:`CscBackend` of jesign's provider): ``sign_pdf``, ``sign_pdfs``, ``seal_pdf``, ``seal_pdfs`` and their
coroutine twins (``async_sign_pdf``...), levels B-B to B-LTA, batches under one authorization, visible signatures,
progress, and the same refusals (:class:`~jesign_sdk.PdfRefusedError` before any code is sent). Each synchronous
method runs its twin with :func:`~jesign_sdk._run.run_sync`, so it works inside a running event loop too (it then
blocks that loop until it is done: in a coroutine, await the twin). A refusal at any step writes nothing: the
signed files are written once every document of the call is signed.

Where the signatures come from is a :class:`~jesign_sdk.signing.backend.SigningBackend`: see that module for how
to write one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, overload

import requests
from asn1crypto import cms, tsp, x509
from pyhanko.sign.timestamps import TimeStamper

from jesign_sdk._errors import APIResponseValidationError, APIStatusError, JesignError, NotFoundError
from jesign_sdk._requestor import Requestor, RetryPolicy, bearer, read_body, read_json
from jesign_sdk._run import run_sync
from jesign_sdk.otp import OtpSource
from jesign_sdk.signing.authorization import CredentialAuthorizer, CscSession
from jesign_sdk.signing.backend import Credential, SigningBackend, SigningSession
from jesign_sdk.signing.batch import ProgressCallback, open_all, sign_documents
from jesign_sdk.signing.csc import VERSIONS, CscApi, CscInfo
from jesign_sdk.signing.csc_oauth2 import CscOAuth2, CscToken
from jesign_sdk.signing.documents import (
    LEVELS,
    MAX_PDF_BYTES,
    PadesLevel,
    PdfInput,
    VisibleSignature,
    write_atomically,
)
from jesign_sdk.signing.signer import CscTimeStamper, backend_call
from jesign_sdk.signing.validation import TrustRootSource, load_trust_roots

__all__ = ["AUTHORIZE_VIA", "CscBackend", "CscProvider", "SigningProvider", "UrlTimeStamper"]

#: How a CSC operation is authorized: "auto" (the credential's authMode says), "api" (credentials/authorize),
#: "oauth2" (the provider's own OAuth2: a credential token in place of the SAD).
AUTHORIZE_VIA = ("auto", "api", "oauth2")

StrPath = str | os.PathLike[str]
T = TypeVar("T")

#: The clock skew tolerated when the signer's certificates are validated at the signing time (B-LT).
DEFAULT_LEEWAY = timedelta(seconds=60)


class SigningProvider:
    """Sign and seal PDFs with a :class:`~jesign_sdk.signing.backend.SigningBackend`'s credentials.

    ``timestamper`` time-stamps from B-T up (a pyHanko ``TimeStamper``; :class:`UrlTimeStamper` for an RFC 3161
    TSA's URL); ``trust_roots`` (paths, bytes, PEM or DER) let B-LT and B-LTA validate the signer's and the TSA's
    certificates before embedding their validation data. ``clock`` gives the time the signatures claim and the
    certificates are validated at (this machine's by default), ``leeway`` the clock skew tolerated then.
    """

    def __init__(
        self,
        backend: SigningBackend,
        *,
        timestamper: TimeStamper | None = None,
        trust_roots: Sequence[TrustRootSource] | None = None,
        clock: Callable[[], datetime] | None = None,
        leeway: timedelta = DEFAULT_LEEWAY,
    ) -> None:
        self.backend = backend
        self.timestamper = timestamper
        self._trust_roots = None if trust_roots is None else load_trust_roots(trust_roots)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._leeway = leeway

    def credential(self, credential_id: str | None = None) -> Credential:
        """A credential's certificates and key; by default the backend's own default one."""
        return self.backend.credential(credential_id)

    # -- signing ----------------------------------------------------------------------------------------------------

    @overload
    def sign_pdf(
        self,
        input: PdfInput,
        output: None = None,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = ...,
        field_name: str | None = ...,
        visible: VisibleSignature | None = ...,
        reason: str | None = ...,
        location: str | None = ...,
        credential_id: str | None = ...,
        max_bytes: int = ...,
    ) -> bytes: ...

    @overload
    def sign_pdf(
        self,
        input: PdfInput,
        output: StrPath,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = ...,
        field_name: str | None = ...,
        visible: VisibleSignature | None = ...,
        reason: str | None = ...,
        location: str | None = ...,
        credential_id: str | None = ...,
        max_bytes: int = ...,
    ) -> Path: ...

    def sign_pdf(
        self,
        input: PdfInput,
        output: StrPath | None = None,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = "B-T",
        field_name: str | None = None,
        visible: VisibleSignature | None = None,
        reason: str | None = None,
        location: str | None = None,
        credential_id: str | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> bytes | Path:
        """Sign a PDF (a path or its bytes) with a credential (by default the backend's: at jesign, the person's
        certificate), after a one-time code when the credential asks for one (``otp_source`` gives it).

        Writes ``output`` and returns its path, or returns the signed bytes. ``level`` is the PAdES baseline level
        (``B-B``, ``B-T``, ``B-LT``, ``B-LTA``). ``visible`` shows the signature on a page; ``field_name`` names
        the signature field (an existing empty one is filled). In a coroutine, await :meth:`async_sign_pdf`.
        """
        work: Coroutine[Any, Any, bytes | Path] = self.async_sign_pdf(
            input,
            output,
            otp_source=otp_source,
            level=level,
            field_name=field_name,
            visible=visible,
            reason=reason,
            location=location,
            credential_id=credential_id,
            max_bytes=max_bytes,
        )
        return run_sync(work)

    @overload
    async def async_sign_pdf(
        self,
        input: PdfInput,
        output: None = None,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = ...,
        field_name: str | None = ...,
        visible: VisibleSignature | None = ...,
        reason: str | None = ...,
        location: str | None = ...,
        credential_id: str | None = ...,
        max_bytes: int = ...,
    ) -> bytes: ...

    @overload
    async def async_sign_pdf(
        self,
        input: PdfInput,
        output: StrPath,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = ...,
        field_name: str | None = ...,
        visible: VisibleSignature | None = ...,
        reason: str | None = ...,
        location: str | None = ...,
        credential_id: str | None = ...,
        max_bytes: int = ...,
    ) -> Path: ...

    async def async_sign_pdf(
        self,
        input: PdfInput,
        output: StrPath | None = None,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = "B-T",
        field_name: str | None = None,
        visible: VisibleSignature | None = None,
        reason: str | None = None,
        location: str | None = None,
        credential_id: str | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> bytes | Path:
        """:meth:`sign_pdf`, as a coroutine."""
        signed = await self._sign(
            [input],
            credential_id=credential_id,
            otp_source=otp_source,
            level=level,
            field_name=field_name,
            visible=visible,
            reason=reason,
            location=location,
            max_bytes=max_bytes,
            on_progress=None,
        )
        return signed[0] if output is None else await asyncio.to_thread(write_atomically, output, signed[0])

    @overload
    def sign_pdfs(
        self,
        inputs: Sequence[PdfInput],
        outputs: None = None,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = ...,
        visible: VisibleSignature | None = ...,
        reason: str | None = ...,
        location: str | None = ...,
        credential_id: str | None = ...,
        on_progress: ProgressCallback | None = ...,
        max_bytes: int = ...,
    ) -> list[bytes]: ...

    @overload
    def sign_pdfs(
        self,
        inputs: Sequence[PdfInput],
        outputs: Sequence[StrPath],
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = ...,
        visible: VisibleSignature | None = ...,
        reason: str | None = ...,
        location: str | None = ...,
        credential_id: str | None = ...,
        on_progress: ProgressCallback | None = ...,
        max_bytes: int = ...,
    ) -> list[Path]: ...

    def sign_pdfs(
        self,
        inputs: Sequence[PdfInput],
        outputs: Sequence[StrPath] | None = None,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = "B-T",
        visible: VisibleSignature | None = None,
        reason: str | None = None,
        location: str | None = None,
        credential_id: str | None = None,
        on_progress: ProgressCallback | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> list[bytes] | list[Path]:
        """Sign several PDFs under one authorization: one SMS, one ``authorize`` for all the hashes.

        Writes each ``outputs[i]`` (written only when every document is signed) or returns the signed bytes.
        ``visible`` shows the signature at the same place of each document. In a coroutine, await
        :meth:`async_sign_pdfs`.
        """
        work: Coroutine[Any, Any, list[bytes] | list[Path]] = self.async_sign_pdfs(
            inputs,
            outputs,
            otp_source=otp_source,
            level=level,
            visible=visible,
            reason=reason,
            location=location,
            credential_id=credential_id,
            on_progress=on_progress,
            max_bytes=max_bytes,
        )
        return run_sync(work)

    @overload
    async def async_sign_pdfs(
        self,
        inputs: Sequence[PdfInput],
        outputs: None = None,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = ...,
        visible: VisibleSignature | None = ...,
        reason: str | None = ...,
        location: str | None = ...,
        credential_id: str | None = ...,
        on_progress: ProgressCallback | None = ...,
        max_bytes: int = ...,
    ) -> list[bytes]: ...

    @overload
    async def async_sign_pdfs(
        self,
        inputs: Sequence[PdfInput],
        outputs: Sequence[StrPath],
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = ...,
        visible: VisibleSignature | None = ...,
        reason: str | None = ...,
        location: str | None = ...,
        credential_id: str | None = ...,
        on_progress: ProgressCallback | None = ...,
        max_bytes: int = ...,
    ) -> list[Path]: ...

    async def async_sign_pdfs(
        self,
        inputs: Sequence[PdfInput],
        outputs: Sequence[StrPath] | None = None,
        *,
        otp_source: OtpSource | None = None,
        level: PadesLevel = "B-T",
        visible: VisibleSignature | None = None,
        reason: str | None = None,
        location: str | None = None,
        credential_id: str | None = None,
        on_progress: ProgressCallback | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> list[bytes] | list[Path]:
        """:meth:`sign_pdfs`, as a coroutine."""
        if outputs is not None and len(outputs) != len(inputs):
            raise ValueError("give one output per input")
        signed = await self._sign(
            inputs,
            credential_id=credential_id,
            otp_source=otp_source,
            level=level,
            field_name=None,
            visible=visible,
            reason=reason,
            location=location,
            max_bytes=max_bytes,
            on_progress=on_progress,
        )
        if outputs is None:
            return signed
        return await asyncio.to_thread(_write_all, outputs, signed)

    # -- sealing ----------------------------------------------------------------------------------------------------

    @overload
    def seal_pdf(
        self,
        input: PdfInput,
        output: None = None,
        *,
        credential_id: str | None = None,
        firm_id: str | None = None,
        level: PadesLevel = ...,
        reason: str | None = ...,
        location: str | None = ...,
        visible: VisibleSignature | None = ...,
        max_bytes: int = ...,
    ) -> bytes: ...

    @overload
    def seal_pdf(
        self,
        input: PdfInput,
        output: StrPath,
        *,
        credential_id: str | None = None,
        firm_id: str | None = None,
        level: PadesLevel = ...,
        reason: str | None = ...,
        location: str | None = ...,
        visible: VisibleSignature | None = ...,
        max_bytes: int = ...,
    ) -> Path: ...

    def seal_pdf(
        self,
        input: PdfInput,
        output: StrPath | None = None,
        *,
        credential_id: str | None = None,
        firm_id: str | None = None,
        level: PadesLevel = "B-T",
        reason: str | None = None,
        location: str | None = None,
        visible: VisibleSignature | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> bytes | Path:
        """Seal a PDF: sign it with a credential that needs no code (an organisation's seal, SCAL1).

        ``credential_id`` names the seal; at jesign (``client.signing``), ``firm_id`` names the firm instead
        (credential ``seal_<firm_id>``), allowed to the firm's chartered accountants and the holders of its seal
        delegation (:class:`~jesign_sdk.PermissionDeniedError` ``seal_delegation_required`` otherwise). In a
        coroutine, await :meth:`async_seal_pdf`.
        """
        work: Coroutine[Any, Any, bytes | Path] = self.async_seal_pdf(
            input,
            output,
            credential_id=credential_id,
            firm_id=firm_id,
            level=level,
            reason=reason,
            location=location,
            visible=visible,
            max_bytes=max_bytes,
        )
        return run_sync(work)

    @overload
    async def async_seal_pdf(
        self,
        input: PdfInput,
        output: None = None,
        *,
        credential_id: str | None = None,
        firm_id: str | None = None,
        level: PadesLevel = ...,
        reason: str | None = ...,
        location: str | None = ...,
        visible: VisibleSignature | None = ...,
        max_bytes: int = ...,
    ) -> bytes: ...

    @overload
    async def async_seal_pdf(
        self,
        input: PdfInput,
        output: StrPath,
        *,
        credential_id: str | None = None,
        firm_id: str | None = None,
        level: PadesLevel = ...,
        reason: str | None = ...,
        location: str | None = ...,
        visible: VisibleSignature | None = ...,
        max_bytes: int = ...,
    ) -> Path: ...

    async def async_seal_pdf(
        self,
        input: PdfInput,
        output: StrPath | None = None,
        *,
        credential_id: str | None = None,
        firm_id: str | None = None,
        level: PadesLevel = "B-T",
        reason: str | None = None,
        location: str | None = None,
        visible: VisibleSignature | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> bytes | Path:
        """:meth:`seal_pdf`, as a coroutine."""
        sealed = await self._sign(
            [input],
            credential_id=self._seal_credential(credential_id, firm_id),
            otp_source=None,
            level=level,
            field_name=None,
            visible=visible,
            reason=reason,
            location=location,
            max_bytes=max_bytes,
            on_progress=None,
        )
        return sealed[0] if output is None else await asyncio.to_thread(write_atomically, output, sealed[0])

    def seal_pdfs(
        self,
        inputs: Sequence[PdfInput],
        *,
        credential_id: str | None = None,
        firm_id: str | None = None,
        level: PadesLevel = "B-T",
        visible: VisibleSignature | None = None,
        reason: str | None = None,
        location: str | None = None,
        on_progress: ProgressCallback | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> list[bytes]:
        """Seal several PDFs under one authorization; the sealed bytes, in order. ``visible`` shows the seal at the
        same place of each document. In a coroutine, await :meth:`async_seal_pdfs`."""
        return run_sync(
            self.async_seal_pdfs(
                inputs,
                credential_id=credential_id,
                firm_id=firm_id,
                level=level,
                visible=visible,
                reason=reason,
                location=location,
                on_progress=on_progress,
                max_bytes=max_bytes,
            )
        )

    async def async_seal_pdfs(
        self,
        inputs: Sequence[PdfInput],
        *,
        credential_id: str | None = None,
        firm_id: str | None = None,
        level: PadesLevel = "B-T",
        visible: VisibleSignature | None = None,
        reason: str | None = None,
        location: str | None = None,
        on_progress: ProgressCallback | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> list[bytes]:
        """:meth:`seal_pdfs`, as a coroutine."""
        return await self._sign(
            inputs,
            credential_id=self._seal_credential(credential_id, firm_id),
            otp_source=None,
            level=level,
            field_name=None,
            visible=visible,
            reason=reason,
            location=location,
            max_bytes=max_bytes,
            on_progress=on_progress,
        )

    # -- what a subclass may change -----------------------------------------------------------------------------

    def _seal_credential(self, credential_id: str | None, firm_id: str | None) -> str:
        """The seal credential a ``seal_pdf`` call names."""
        if firm_id is not None:
            raise ValueError("firm_id names a seal at jesign's provider (client.signing): give credential_id")
        if credential_id is None:
            raise ValueError("give the seal's credential_id")
        return credential_id

    def _long_term_roots(self) -> list[x509.Certificate]:
        """The trust roots B-LT and B-LTA validate with."""
        if self._trust_roots is None:
            raise ValueError("a B-LT or B-LTA signature validates its certificates: give trust_roots")
        return list(self._trust_roots)

    def _signing_time(self) -> datetime:
        return self._clock()

    def _leeway_now(self) -> timedelta:
        return self._leeway

    def _session(self, credential: Credential, otp_source: OtpSource | None) -> SigningSession:
        return self.backend.session(credential, otp_source=otp_source)

    def _refused(self, error: APIStatusError, credential_id: str | None) -> None:
        """A call the provider refused: a subclass may drop what it kept."""

    # -- the steps (jesign_sdk.signing.batch) -----------------------------------------------------------------------

    async def _sign(
        self,
        inputs: Sequence[PdfInput],
        *,
        credential_id: str | None,
        otp_source: OtpSource | None,
        level: PadesLevel,
        field_name: str | None,
        visible: VisibleSignature | None,
        reason: str | None,
        location: str | None,
        max_bytes: int,
        on_progress: ProgressCallback | None,
    ) -> list[bytes]:
        if level not in LEVELS:
            raise ValueError(f"level is one of {', '.join(LEVELS)}, not {level!r}")
        if level != "B-B" and self.timestamper is None:
            raise ValueError(f"a {level} signature is time-stamped: give the provider a timestamper")
        # Every refusal before any call, so before any SMS.
        documents = await asyncio.to_thread(
            open_all, inputs, max_bytes=max_bytes, field_name=field_name, visible=visible
        )
        if not documents:
            return []
        try:
            credential = await asyncio.to_thread(backend_call, self.backend.credential, credential_id)
            long_term = level in ("B-LT", "B-LTA")
            roots = await asyncio.to_thread(self._long_term_roots) if long_term else None
            session = backend_call(self._session, credential, otp_source)
            return await sign_documents(
                documents,
                session,
                credential,
                level=level,
                timestamper=self.timestamper,
                trust_roots=roots,
                visible=visible,
                reason=reason,
                location=location,
                on_progress=on_progress,
                signing_time=self._signing_time(),
                leeway=self._leeway_now(),
            )
        except APIStatusError as exc:
            self._refused(exc, credential_id)
            raise


def _write_all(paths: Sequence[StrPath], documents: list[bytes]) -> list[Path]:
    return [write_atomically(path, data) for path, data in zip(paths, documents, strict=True)]


class CscBackend:
    """A :class:`~jesign_sdk.signing.backend.SigningBackend` at a CSC provider, through a :class:`CscApi`.

    The default credential (``credential(None)``) is ``default_credential``, else the only one
    ``credentials/list`` gives (several: name one). Each credential is looked up once (``credentials/info``) and
    kept in ``cache`` (shared by copies); :meth:`forget` drops one the provider stopped knowing. ``can_send_code``
    says the provider serves ``credentials/sendOTP``.

    Each operation is authorized by ``credentials/authorize``, or through the provider's own OAuth2 with
    ``credential_authorizer`` (a credential token for the hashes, in place of the SAD): ``authorize_via`` "auto"
    takes OAuth2 for a credential whose ``authMode`` is ``oauth2code``, "oauth2" always, "api" never.
    """

    def __init__(
        self,
        api: CscApi,
        *,
        default_credential: Callable[[list[str]], str] | str | None = None,
        can_send_code: bool = True,
        cache: dict[str | None, Credential] | None = None,
        credential_authorizer: CredentialAuthorizer | None = None,
        authorize_via: str = "auto",
    ) -> None:
        if authorize_via not in AUTHORIZE_VIA:
            raise ValueError(f"authorize_via is one of {', '.join(AUTHORIZE_VIA)}, not {authorize_via!r}")
        if authorize_via == "oauth2" and credential_authorizer is None:
            raise ValueError("authorize_via='oauth2' needs the provider's OAuth2 (a CscOAuth2)")
        self.api = api
        self._default = default_credential
        self.can_send_code = can_send_code
        self._cache: dict[str | None, Credential] = {} if cache is None else cache
        self._authorizer = credential_authorizer
        self._via = authorize_via

    def credentials(self) -> list[str]:
        """``credentials/list``: the ids of the credentials the caller may use."""
        return self.api.list_credentials()

    def credential(self, credential_id: str | None = None) -> Credential:
        cached = self._cache.get(credential_id)
        if cached is not None:
            return cached
        found = self.api.credential(credential_id or self._default_id())
        self._cache[credential_id] = found
        return found

    def forget(self, credential_id: str | None = None) -> None:
        """Drop every credential kept (``None``) or one."""
        if credential_id is None:
            self._cache.clear()
        else:
            self._cache.pop(credential_id, None)

    def session(self, credential: Credential, *, otp_source: OtpSource | None) -> CscSession:
        oauth2 = self._via == "oauth2" or (self._via == "auto" and credential.auth_mode == "oauth2code")
        if oauth2 and self._authorizer is None:
            raise JesignError(
                f"the credential {credential.id} is authorized through the provider's own OAuth2 (authMode "
                "oauth2code): give the CscProvider a CscOAuth2"
            )
        return CscSession(
            self.api,
            credential,
            otp_source=otp_source,
            can_send_code=self.can_send_code,
            credential_authorizer=self._authorizer if oauth2 else None,
        )

    def _default_id(self) -> str:
        if isinstance(self._default, str):
            return self._default
        listed = self.credentials()
        if self._default is not None:
            return self._default(listed)
        if len(listed) != 1:
            raise NotFoundError(
                f"the provider lists {len(listed)} credentials: name one (credential_id)",
                status_code=404,
                code="credential_not_found",
            )
        return listed[0]


class CscProvider(SigningProvider):
    """Sign through any Cloud Signature Consortium provider: ``base_url`` is its API's base
    (``https://.../csc/v1``, ``.../csc/v2``), where ``info``, ``credentials/...`` and ``signatures/...`` live.

    ``token`` is the bearer token its calls carry (a string, or a function answering the current one, for a token
    that gets refreshed); ``version`` is ``"auto"`` (read from ``info``'s ``specs``), ``"1"`` (CSC 1.0.4) or ``"2"``
    (CSC 2.0). Time-stamps (B-T and up) come from ``timestamper``, else from ``tsa_url`` (an RFC 3161 TSA), else
    from the provider's ``signatures/timestamp`` when its ``info`` lists it (``provider_timestamps``: True uses it
    even unlisted, as some servers serve it without saying so; False never). ``credential_id`` is the credential
    used when a call names none (by default, the only one the provider lists). ``timeout`` and ``max_retries`` are the
    requests' (retried as the SDK retries: see :mod:`jesign_sdk._requestor`).

    ``oauth2`` is the provider's own OAuth2 (a :class:`~jesign_sdk.signing.csc_oauth2.CscOAuth2` on the ``oauth2``
    URI its ``info`` gives): without a ``token``, the calls carry its ``scope=service`` token (got once, refreshed
    when it expires); and each operation on a credential whose ``authMode`` is ``oauth2code`` (or each one, with
    ``authorize_via="oauth2"``) is authorized by a ``scope=credential`` token for exactly its hashes, which
    ``signHash`` carries in place of the SAD.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | Callable[[], str] | None = None,
        version: str = "auto",
        credential_id: str | None = None,
        tsa_url: str | None = None,
        timestamper: TimeStamper | None = None,
        provider_timestamps: bool | None = None,
        trust_roots: Sequence[TrustRootSource] | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None,
        leeway: timedelta = DEFAULT_LEEWAY,
        oauth2: CscOAuth2 | None = None,
        authorize_via: str = "auto",
    ) -> None:
        if version not in ("auto", *VERSIONS):
            raise ValueError(f"version is auto, 1 or 2, not {version!r}")
        self.base_url = base_url.rstrip("/")
        self.requestor = Requestor(None, session=session, timeout=timeout, retry=RetryPolicy(max_retries=max_retries))
        self._token = token
        self.oauth2 = oauth2
        self._service_token: CscToken | None = None
        api = CscApi(self._call, version="2" if version == "auto" else version)
        self.info: CscInfo | None = None
        if version == "auto":
            self.info = api.info()
            api.version = self.info.version
        methods = self.info.methods if self.info is not None else ()
        if timestamper is None and tsa_url is not None:
            timestamper = UrlTimeStamper(tsa_url, self.requestor)
        if provider_timestamps is None:
            provider_timestamps = "signatures/timestamp" in methods
        if timestamper is None and provider_timestamps:
            timestamper = CscTimeStamper(api)
        backend = CscBackend(
            api,
            default_credential=credential_id,
            can_send_code=self.info is None or "credentials/sendOTP" in methods,
            credential_authorizer=None if oauth2 is None else self._credential_token,
            authorize_via=authorize_via,
        )
        super().__init__(backend, timestamper=timestamper, trust_roots=trust_roots, clock=clock, leeway=leeway)
        self.csc = api

    def credentials(self) -> list[str]:
        """``credentials/list``: the ids of the credentials this token may use."""
        return self.csc.list_credentials()

    def _credential_token(self, credential_id: str, hashes: Sequence[bytes]) -> str:
        assert self.oauth2 is not None
        return self.oauth2.credential_token(credential_id, hashes, version=self.csc.version).access_token

    def _bearer(self) -> str | None:
        """The token the calls carry: the one given, else the OAuth2 service token (refreshed when it expires)."""
        if self._token is not None or self.oauth2 is None:
            return self._token() if callable(self._token) else self._token
        current = self._service_token
        if current is None or current.expired():
            if current is not None and current.refresh_token:
                current = self.oauth2.refresh(current)
            else:
                current = self.oauth2.service_token()
            self._service_token = current
        return current.access_token

    def _call(self, path: str, body: dict[str, Any], parse: Callable[[Any], T], **options: Any) -> T:
        # info needs no token (CSC: it says how to get one).
        token = options.pop("bearer", None) or (None if path == "info" else self._bearer())
        answer = self.requestor.send(
            "POST",
            f"{self.base_url}/{path}",
            auth=None if token is None else bearer(token),
            json=body,
            **options,
        )
        return read_json(answer, parse)


class UrlTimeStamper(TimeStamper):
    """Time-stamps from an RFC 3161 TSA's URL, through the SDK's requestor (its retries and errors)."""

    def __init__(self, url: str, requestor: Requestor | None = None) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self.url = url
        self._requestor = requestor or Requestor(None)

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        answer = await asyncio.to_thread(
            self._requestor.send,
            "POST",
            self.url,
            data=req.dump(),
            headers={"Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"},
        )
        reply = read_body(answer, tsp.TimeStampResp.load)
        status = reply["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            raise APIResponseValidationError(f"the TSA at {self.url} refused the time-stamp ({status})")
        token = reply["time_stamp_token"]
        if not isinstance(token, cms.ContentInfo) or token["content_type"].native != "signed_data":
            raise APIResponseValidationError(f"the TSA at {self.url} gave no time-stamp token")
        return reply
