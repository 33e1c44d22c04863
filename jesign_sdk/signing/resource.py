"""``client.signing``: sign with the person's certificate, seal with a firm's, validate.

Every signature follows the same steps, for one document or a batch:

1. read and check each document as pyHanko will sign it (:class:`PdfRefusedError` before anything is sent, so
   before any SMS);
2. digest each one with pyHanko (the signed attributes' SHA-256: the only thing the provider sees);
3. authorize once for all of them (SCAL2: one SMS, one ``authorize`` bound to every hash; SCAL1: no code); the
   SMS is asked for while step 2 runs, since it names no hash;
4. one ``signHash`` for all the hashes;
5. finish each document (time-stamp, DSS, document time-stamp, as the level asks) and write it.

A refusal at any step writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, overload

from asn1crypto import x509
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from jesign_sdk._errors import APIStatusError, NotFoundError, PdfRefusedError, TrustRootError
from jesign_sdk._requestor import read_body
from jesign_sdk.otp import OtpRequest, OtpSource, is_interactive
from jesign_sdk.signing.authorization import authorize, request_code
from jesign_sdk.signing.csc import SEAL_PREFIX, Credential, CscApi, load_certificate
from jesign_sdk.signing.documents import (
    LEVELS,
    MAX_PDF_BYTES,
    PadesLevel,
    PdfInput,
    PreparedPdf,
    SignableDocument,
    VisibleSignature,
    finish,
    open_for_signing,
    prepare,
    read_pdf,
    write_atomically,
)
from jesign_sdk.signing.signer import CscTimeStamper, RemoteSigner
from jesign_sdk.signing.validation import SignatureReport, TrustRootSource, validate
from jesign_sdk.signing.validation.timing import validation_context

if TYPE_CHECKING:
    from jesign_sdk._client import Client

__all__ = ["ProgressCallback", "Signing", "SigningProgress"]

StrPath = str | os.PathLike[str]


@dataclass(frozen=True)
class SigningProgress:
    """Where a batch stands: ``stage`` is ``digest`` (per document), ``authorize`` (once), ``sign`` (once, the
    remote signatures) or ``finish`` (per document); ``done`` of ``total`` steps in all (2 per document + 2)."""

    stage: str
    done: int
    total: int
    document: int | None = None


ProgressCallback = Callable[[SigningProgress], None]


class Signing:
    """``client.signing``."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.csc = CscApi(client)
        self._trust_roots: list[x509.Certificate] | None = None
        #: Credentials already looked up (None: the personal one), dropped when the server stops knowing one.
        self._credentials: dict[str | None, Credential] = {}
        #: One time-stamper for every signature: pyHanko keeps in it the token it measures the space to reserve by.
        self._timestamper = CscTimeStamper(self.csc)

    # -- the credentials ----------------------------------------------------------------------------------------------

    def credentials(self) -> list[str]:
        """The ids of the credentials the person may use: the personal certificate's, then ``seal_<firm id>``."""
        return self.csc.list_credentials()

    def credential(self, credential_id: str | None = None) -> Credential:
        """A credential's certificates and key; by default the person's own (personal) credential.

        Looked up once per client; a signature the server refuses for the credential's sake (revoked, unknown:
        a reissued certificate has another id) drops what was kept, so the next call looks again.
        """
        cached = self._credentials.get(credential_id)
        if cached is not None:
            return cached
        found = self._look_up(credential_id)
        self._credentials[credential_id] = found
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
        if self._trust_roots is None:
            answer = self._client.requestor.request("GET", "pki", "/ca/root.cer")
            self._trust_roots = [read_body(answer, load_certificate)]
        return list(self._trust_roots)

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
        the signature field (an existing empty one is filled).
        """
        signed = self._sign(
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
        )[0]
        return signed if output is None else write_atomically(output, signed)

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

        Writes each ``outputs[i]`` (written only when every document is signed) or returns the signed bytes.
        """
        if outputs is not None and len(outputs) != len(inputs):
            raise ValueError("give one output per input")
        signed = self._sign(
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
        return [write_atomically(path, data) for path, data in zip(outputs, signed, strict=True)]

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
        (:class:`~jesign_sdk.PermissionDeniedError` ``seal_delegation_required`` otherwise).
        """
        sealed = self._sign(
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
        )[0]
        return sealed if output is None else write_atomically(output, sealed)

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
        """Seal several PDFs under one authorization; the sealed bytes, in order."""
        return self._sign(
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
        trust roots, or fetching the provider's root (the API errors) make this raise.
        """
        data = read_pdf(input, max_bytes=max_bytes)
        if trust_roots is not None:
            roots: Sequence[TrustRootSource] = trust_roots
        elif allow_fetching or self._trust_roots is not None:
            roots = self.trust_roots()
        else:
            raise TrustRootError(
                "an offline validation fetches nothing, not even the provider's root: give trust_roots "
                "(the root certificate's file, PEM or DER)"
            )
        client = self._client
        return validate(data, trust_roots=roots, allow_fetching=allow_fetching, at=client.clock(), leeway=client.leeway)

    # -- the steps --------------------------------------------------------------------------------------------------

    def _sign(
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
        # Every refusal before any call, so before any SMS: each document is read and checked as pyHanko will sign it.
        documents: list[SignableDocument] = []
        for number, source in enumerate(inputs):
            with _about(number):
                documents.append(open_for_signing(source, max_bytes=max_bytes, field_name=field_name, visible=visible))
        if not documents:
            return []
        credential = self.credential(credential_id)
        signer = RemoteSigner(self.csc, credential)
        timestamper = self._timestamper
        context = self._signing_context(credential) if level in ("B-LT", "B-LTA") else None
        signing_time = self._client.clock()
        progress = _Progress(on_progress, total=2 * len(documents) + 2)

        # What run() signs goes here rather than being its result: Python 3.11's asyncio.run, restoring the SIGINT
        # handler, formats the repr of its main task, result included, which copies every byte of every signed
        # document into a string (twice) before truncating it: about 30 ms per MB.
        signed: list[bytes] = []

        async def run() -> None:
            # The SMS code names no hash: have it sent while pyHanko digests (in a thread: the round trip
            # overlaps the digesting instead of following it). A source that needs no person is read there too,
            # if the digesting is still going on: once it is over, the caller's thread reads it sooner (the
            # background thread waits for the GIL behind pyHanko's CPU-bound digesting at each step).
            digested = threading.Event()

            def send_code() -> tuple[OtpRequest | None, str | None]:
                request = request_code(self.csc, credential)
                if request is None or otp_source is None or is_interactive(otp_source) or digested.is_set():
                    return request, None
                return request, otp_source.get_code(request)

            code_request = (
                asyncio.get_running_loop().run_in_executor(None, send_code)
                if otp_source is not None and credential.scal >= 2
                else None
            )
            prepared: list[PreparedPdf] = []
            try:
                for number, checked in enumerate(documents):
                    with _about(number):
                        document = await prepare(
                            checked,
                            signer,
                            level=level,
                            timestamper=timestamper,
                            validation_context=context,
                            visible=visible,
                            reason=reason,
                            location=location,
                            signing_time=signing_time,
                        )
                    prepared.append(document)
                    progress("digest", number)
                digested.set()
            except BaseException:
                if code_request is not None:  # the digesting's error is the one to tell, not the SMS's
                    with contextlib.suppress(Exception):
                        await code_request
                raise
            digests = [p.digest for p in prepared]
            sent, code = await code_request if code_request is not None else (None, None)
            signer.sad = authorize(self.csc, credential, digests, otp_source, code_request=sent, first_code=code)
            progress("authorize")
            signer.sign_digests(digests)
            progress("sign")
            for number, document in enumerate(prepared):
                with _about(number):
                    signed.append(await finish(document, signer))
                progress("finish", number)

        try:
            asyncio.run(run())
            return signed
        except APIStatusError as exc:
            if exc.code in ("credential_not_found", "credential_revoked", "credential_expired"):
                self._credentials.clear()
            raise

    def _signing_context(self, credential: Credential) -> ValidationContext:
        """What pyHanko validates the signer and the TSA with before embedding the validation data (B-LT), on the
        client's clock.

        Fetching goes through ``requests`` (pyhanko-certvalidator's backend that holds no session to close).
        Revocation information is required (``hard-fail``): when the PKI cannot give it, the signature fails with
        :class:`~jesign_sdk.APIConnectionError` instead of claiming a B-LT level its DSS does not reach.
        """
        return validation_context(
            self._client.clock(),
            self._client.leeway,
            trust_roots=self.trust_roots(),
            other_certs=list(credential.certificates),
            allow_fetching=True,
            fetcher_backend=RequestsFetcherBackend(),
            revocation_mode="hard-fail",
        )


@contextlib.contextmanager
def _about(number: int) -> Iterator[None]:
    """A refusal while handling the ``number``-th input says which it is (a batch of bytes has no file names)."""
    try:
        yield
    except PdfRefusedError as refusal:
        if refusal.document is None:
            refusal.document = number
        raise


class _Progress:
    def __init__(self, callback: ProgressCallback | None, *, total: int) -> None:
        self._callback = callback
        self._total = total
        self._done = 0

    def __call__(self, stage: str, document: int | None = None) -> None:
        self._done += 1
        if self._callback is not None:
            self._callback(SigningProgress(stage, self._done, self._total, document))
