"""One signature of a batch of documents, step by step, as a coroutine (every signing provider runs it):

1. read and check each document as pyHanko will sign it (:class:`PdfRefusedError` before anything is sent, so
   before any SMS): :func:`open_all`;
2. digest each one with pyHanko (the signed attributes' SHA-256: the only thing the backend sees); meanwhile, in
   a worker thread, the backend's session prepares (a CSC provider sends the SMS code: it names no hash);
3. the session signs all the digests at once (a CSC provider: one ``authorize`` bound to every hash, with the
   code when the credential asks for one, then one ``signHash``);
4. finish each document (time-stamp, DSS, document time-stamp, as the level asks).

Steps 2 to 4 are :func:`sign_documents`. pyHanko's work (reading, digesting, finishing) runs in the event loop, as
pyHanko's own coroutines do; the session's calls are awaited in a worker thread, so that the loop goes on
meanwhile. Writing the signed files is the caller's job, once every document is signed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import x509
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from jesign_sdk._errors import PdfRefusedError
from jesign_sdk.signing.backend import Credential, SigningSession
from jesign_sdk.signing.documents import (
    PadesLevel,
    PdfInput,
    PreparedPdf,
    SignableDocument,
    VisibleSignature,
    finish,
    open_for_signing,
    prepare,
)
from jesign_sdk.signing.signer import RemoteSigner, backend_call
from jesign_sdk.signing.validation.timing import validation_context

__all__ = ["ProgressCallback", "SigningProgress", "open_all", "sign_documents"]


@dataclass(frozen=True)
class SigningProgress:
    """Where a batch stands: ``stage`` is ``digest`` (per document), ``authorize`` (once), ``sign`` (once, the
    remote signatures) or ``finish`` (per document); ``done`` of ``total`` steps in all (2 per document + 2)."""

    stage: str
    done: int
    total: int
    document: int | None = None


ProgressCallback = Callable[[SigningProgress], None]


def open_all(
    inputs: Sequence[PdfInput], *, max_bytes: int, field_name: str | None, visible: VisibleSignature | None
) -> list[SignableDocument]:
    """Step 1, for every document before any call (so before any SMS): each one read and checked as pyHanko will
    sign it, or :class:`PdfRefusedError` saying which."""
    documents = []
    for number, source in enumerate(inputs):
        with _about(number):
            documents.append(open_for_signing(source, max_bytes=max_bytes, field_name=field_name, visible=visible))
    return documents


async def sign_documents(
    documents: Sequence[SignableDocument],
    session: SigningSession,
    credential: Credential,
    *,
    level: PadesLevel,
    timestamper: TimeStamper | None,
    trust_roots: list[x509.Certificate] | None,
    visible: VisibleSignature | None,
    reason: str | None,
    location: str | None,
    on_progress: ProgressCallback | None,
    signing_time: datetime,
    leeway: timedelta,
) -> list[bytes]:
    """Steps 2 to 4 for documents :func:`open_all` checked: the signed bytes, in order. ``timestamper`` is needed
    from B-T up, ``trust_roots`` (the signer's and the TSA's) at B-LT and B-LTA. ``signing_time`` is the instant the
    signatures claim and the signer's certificates are validated at (the client's clock), ``leeway`` the clock skew
    tolerated then."""
    most = credential.multisign
    if most is not None and len(documents) > most:
        # Refused here, before the SMS: the provider's authorize would refuse it only after the code was sent.
        raise PdfRefusedError(
            f"the credential signs at most {most} documents with one authorization (its multisign), "
            f"and the call gives {len(documents)}: split the batch",
            code="batch_too_large",
        )
    if level != "B-B" and timestamper is None:
        raise ValueError(f"a {level} signature is time-stamped: give a time-stamping authority")
    signer = RemoteSigner(session, credential)
    long_term = None
    if level in ("B-LT", "B-LTA"):
        if trust_roots is None:
            raise ValueError(f"a {level} signature validates its certificates: give the trust roots")
        long_term = _long_term_context(trust_roots, credential, signing_time, leeway)
    progress = _Progress(on_progress, total=2 * len(documents) + 2)
    # What the session can do before the digests are known (a CSC provider sends the SMS code) runs in a thread
    # while pyHanko digests: the round trip overlaps the digesting instead of following it.
    preparing = asyncio.get_running_loop().run_in_executor(None, backend_call, session.prepare)
    prepared: list[PreparedPdf] = []
    try:
        for number, checked in enumerate(documents):
            with _about(number):
                document = await prepare(
                    checked,
                    signer,
                    level=level,
                    timestamper=timestamper,
                    validation_context=long_term,
                    visible=visible,
                    reason=reason,
                    location=location,
                    signing_time=signing_time,
                )
            prepared.append(document)
            progress("digest", number)
    except BaseException:
        with contextlib.suppress(Exception):  # the digesting's error is the one to tell, not the SMS's
            await preparing
        raise
    await preparing
    progress("authorize")
    await asyncio.to_thread(signer.sign_digests, [p.digest for p in prepared])
    progress("sign")
    signed = []
    for number, document in enumerate(prepared):
        with _about(number):
            signed.append(await finish(document, signer))
        progress("finish", number)
    return signed


def _long_term_context(
    trust_roots: list[x509.Certificate], credential: Credential, at: datetime, leeway: timedelta
) -> ValidationContext:
    """What pyHanko validates the signer and the TSA with before embedding the validation data (B-LT), at ``at``
    (the client's clock) with ``leeway``.

    Fetching goes through ``requests`` (pyhanko-certvalidator's backend that holds no session to close, and fetches
    in worker threads). Revocation information is required (``hard-fail``): when the PKI cannot give it, the
    signature fails with :class:`~jesign_sdk.APIConnectionError` instead of claiming a B-LT level its DSS does not
    reach.
    """
    return validation_context(
        at,
        leeway,
        trust_roots=trust_roots,
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
