"""``client.signing``: sign with the person's certificate, seal with a firm's, validate.

Each call comes twice: ``sign_pdf`` and its coroutine ``async_sign_pdf``, and so on, as pyHanko offers
``sign_pdf`` and ``async_sign_pdf``. The work is written once, as coroutines (the steps of a signature are
:mod:`jesign_sdk.signing.batch`); each synchronous method runs its twin with :func:`~jesign_sdk._run.run_sync`, so it
works inside a running event loop too (it then blocks that loop until it is done: in a coroutine, await the twin).

A refusal at any step writes nothing: the signed files are written once every document of the call is signed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from asn1crypto import cms, x509

from jesign_sdk._errors import APIStatusError, NotFoundError, TrustRootError
from jesign_sdk._requestor import read_body
from jesign_sdk._run import run_sync
from jesign_sdk.otp import OtpSource
from jesign_sdk.signing.batch import ProgressCallback, SigningProgress, open_all, sign_documents
from jesign_sdk.signing.csc import SEAL_PREFIX, Credential, CscApi, load_certificate
from jesign_sdk.signing.documents import (
    LEVELS,
    MAX_PDF_BYTES,
    PadesLevel,
    PdfInput,
    VisibleSignature,
    read_pdf,
    write_atomically,
)
from jesign_sdk.signing.signer import CscTimeStamper
from jesign_sdk.signing.validation import SignatureReport, TrustRootSource, async_validate

if TYPE_CHECKING:
    from jesign_sdk._client import Client

__all__ = ["ProgressCallback", "Signing", "SigningProgress"]

StrPath = str | os.PathLike[str]


@dataclass
class _Lookups:
    """What ``client.signing`` looked up once, shared with the copies :meth:`jesign_sdk.Client.with_options` makes."""

    #: Credentials already looked up (None: the personal one), dropped when the server stops knowing one.
    credentials: dict[str | None, Credential] = field(default_factory=dict)
    #: The provider's root, once fetched.
    trust_roots: list[x509.Certificate] | None = None
    #: The time-stamp token pyHanko measures the room to reserve by (see :class:`CscTimeStamper`).
    timestamp_tokens: dict[str, cms.ContentInfo] = field(default_factory=dict)


class Signing:
    """``client.signing``."""

    def __init__(self, client: Client, *, lookups: _Lookups | None = None) -> None:
        self._client = client
        self.csc = CscApi(client)
        self._lookups = _Lookups() if lookups is None else lookups
        #: One time-stamper for every signature of this client (pyHanko keeps in it the TSA's certificates).
        self._timestamper = CscTimeStamper(self.csc, measured=self._lookups.timestamp_tokens)

    def for_client(self, client: Client) -> Signing:
        """The same resource for another client of the same person (:meth:`jesign_sdk.Client.with_options`),
        sharing what this one looked up."""
        return Signing(client, lookups=self._lookups)

    # -- the credentials ----------------------------------------------------------------------------------------------

    def credentials(self) -> list[str]:
        """The ids of the credentials the person may use: the personal certificate's, then ``seal_<firm id>``."""
        return self.csc.list_credentials()

    def credential(self, credential_id: str | None = None) -> Credential:
        """A credential's certificates and key; by default the person's own (personal) credential.

        Looked up once per client; a signature the server refuses for the credential's sake (revoked, unknown:
        a reissued certificate has another id) drops what was kept, so the next call looks again.
        """
        cached = self._lookups.credentials.get(credential_id)
        if cached is not None:
            return cached
        found = self._look_up(credential_id)
        self._lookups.credentials[credential_id] = found
        return found

    def _look_up(self, credential_id: str | None) -> Credential:
        if credential_id is None:
            personal = [c for c in self.credentials() if not c.startswith(SEAL_PREFIX)]
            if not personal:
                raise NotFoundError(
                    "no personal signing credential: finish the registration first",
                    status_code=404,
                    code="credential_not_found",
                )
            credential_id = personal[0]
        return self.csc.credential(credential_id)

    def trust_roots(self) -> list[x509.Certificate]:
        """The provider's root certificate, from its PKI (``/pki/ca/root.cer``); fetched once per client."""
        if self._lookups.trust_roots is None:
            answer = self._client.requestor.request("GET", "pki", "/ca/root.cer")
            self._lookups.trust_roots = [read_body(answer, load_certificate)]
        return list(self._lookups.trust_roots)

    # -- signing ----------------------------------------------------------------------------------------------------

    @overload
    def sign_pdf(
        self,
        input: PdfInput,
        output: None = None,
        *,
        otp_source: OtpSource,
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
        otp_source: OtpSource,
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
        otp_source: OtpSource,
        level: PadesLevel = "B-T",
        field_name: str | None = None,
        visible: VisibleSignature | None = None,
        reason: str | None = None,
        location: str | None = None,
        credential_id: str | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> bytes | Path:
        """Sign a PDF (a path or its bytes) with the person's certificate, after an SMS code.

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
        otp_source: OtpSource,
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
        otp_source: OtpSource,
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
        otp_source: OtpSource,
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
        otp_source: OtpSource,
        level: PadesLevel = ...,
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
        otp_source: OtpSource,
        level: PadesLevel = ...,
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
        otp_source: OtpSource,
        level: PadesLevel = "B-T",
        reason: str | None = None,
        location: str | None = None,
        credential_id: str | None = None,
        on_progress: ProgressCallback | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> list[bytes] | list[Path]:
        """Sign several PDFs under one authorization: one SMS, one ``authorize`` for all the hashes.

        Writes each ``outputs[i]`` (written only when every document is signed) or returns the signed bytes. In a
        coroutine, await :meth:`async_sign_pdfs`.
        """
        work: Coroutine[Any, Any, list[bytes] | list[Path]] = self.async_sign_pdfs(
            inputs,
            outputs,
            otp_source=otp_source,
            level=level,
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
        otp_source: OtpSource,
        level: PadesLevel = ...,
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
        otp_source: OtpSource,
        level: PadesLevel = ...,
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
        otp_source: OtpSource,
        level: PadesLevel = "B-T",
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
            visible=None,
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
        firm_id: str,
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
        firm_id: str,
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
        firm_id: str,
        level: PadesLevel = "B-T",
        reason: str | None = None,
        location: str | None = None,
        visible: VisibleSignature | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> bytes | Path:
        """Seal a PDF with the firm's seal certificate (credential ``seal_<firm_id>``, SCAL1: no code).

        Allowed to the firm's chartered accountants and the holders of its seal delegation
        (:class:`~jesign_sdk.PermissionDeniedError` ``seal_delegation_required`` otherwise). In a coroutine, await
        :meth:`async_seal_pdf`.
        """
        work: Coroutine[Any, Any, bytes | Path] = self.async_seal_pdf(
            input,
            output,
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
        firm_id: str,
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
        firm_id: str,
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
        firm_id: str,
        level: PadesLevel = "B-T",
        reason: str | None = None,
        location: str | None = None,
        visible: VisibleSignature | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> bytes | Path:
        """:meth:`seal_pdf`, as a coroutine."""
        sealed = await self._sign(
            [input],
            credential_id=SEAL_PREFIX + firm_id,
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
        firm_id: str,
        level: PadesLevel = "B-T",
        reason: str | None = None,
        location: str | None = None,
        on_progress: ProgressCallback | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> list[bytes]:
        """Seal several PDFs under one authorization; the sealed bytes, in order. In a coroutine, await
        :meth:`async_seal_pdfs`."""
        return run_sync(
            self.async_seal_pdfs(
                inputs,
                firm_id=firm_id,
                level=level,
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
        firm_id: str,
        level: PadesLevel = "B-T",
        reason: str | None = None,
        location: str | None = None,
        on_progress: ProgressCallback | None = None,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> list[bytes]:
        """:meth:`seal_pdfs`, as a coroutine."""
        return await self._sign(
            inputs,
            credential_id=SEAL_PREFIX + firm_id,
            otp_source=None,
            level=level,
            field_name=None,
            visible=None,
            reason=reason,
            location=location,
            max_bytes=max_bytes,
            on_progress=on_progress,
        )

    # -- validation -------------------------------------------------------------------------------------------------

    def validate_pdf(
        self,
        input: PdfInput,
        *,
        trust_roots: Sequence[TrustRootSource] | None = None,
        allow_fetching: bool = True,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> list[SignatureReport]:
        """A report per signature, foreign and malformed ones included, in signing order: the ETSI indication
        (``TOTAL_PASSED``, ``TOTAL_FAILED``, ``INDETERMINATE`` and a sub-indication) and why, intact, valid,
        trusted, signer, certificate level, revocation, time-stamp, PAdES level.

        ``trust_roots``: certificate files' paths, or their bytes, PEM or DER (or asn1crypto certificates);
        by default the provider's root (:meth:`trust_roots`). Without ``allow_fetching`` nothing is fetched: the
        revocation information comes from the document's DSS only, and the trust roots must be given (or
        fetched earlier by this client), else :class:`~jesign_sdk.TrustRootError`. What goes wrong with one
        signature is in its report; only the document itself (:class:`~jesign_sdk.PdfRefusedError`), the
        trust roots, or fetching the provider's root (the API errors) make this raise. In a coroutine, await
        :meth:`async_validate_pdf`.
        """
        return run_sync(
            self.async_validate_pdf(input, trust_roots=trust_roots, allow_fetching=allow_fetching, max_bytes=max_bytes)
        )

    async def async_validate_pdf(
        self,
        input: PdfInput,
        *,
        trust_roots: Sequence[TrustRootSource] | None = None,
        allow_fetching: bool = True,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> list[SignatureReport]:
        """:meth:`validate_pdf`, as a coroutine."""
        data = await asyncio.to_thread(read_pdf, input, max_bytes=max_bytes)
        if trust_roots is not None:
            roots: Sequence[TrustRootSource] = trust_roots
        elif allow_fetching or self._lookups.trust_roots is not None:
            roots = await asyncio.to_thread(self.trust_roots)
        else:
            raise TrustRootError(
                "an offline validation fetches nothing, not even the provider's root: give trust_roots "
                "(the root certificate's file, PEM or DER)"
            )
        client = self._client
        return await async_validate(
            data, trust_roots=roots, allow_fetching=allow_fetching, at=client.clock(), leeway=client.leeway
        )

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
        # Every refusal before any call, so before any SMS.
        documents = await asyncio.to_thread(
            open_all, inputs, max_bytes=max_bytes, field_name=field_name, visible=visible
        )
        if not documents:
            return []
        try:
            credential = await asyncio.to_thread(self.credential, credential_id)
            long_term = level in ("B-LT", "B-LTA")
            return await sign_documents(
                documents,
                self.csc,
                credential,
                otp_source=otp_source,
                level=level,
                timestamper=self._timestamper,
                trust_roots=await asyncio.to_thread(self.trust_roots) if long_term else None,
                visible=visible,
                reason=reason,
                location=location,
                on_progress=on_progress,
                signing_time=self._client.clock(),
                leeway=self._client.leeway,
            )
        except APIStatusError as exc:
            if exc.code in ("credential_not_found", "credential_revoked", "credential_expired"):
                self._lookups.credentials.clear()
            raise


def _write_all(paths: Sequence[StrPath], documents: list[bytes]) -> list[Path]:
    return [write_atomically(path, data) for path, data in zip(paths, documents, strict=True)]
