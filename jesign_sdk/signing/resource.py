"""``client.signing``: sign with the person's certificate, seal with a firm's, validate.

:class:`Signing` is a :class:`~jesign_sdk.signing.provider.SigningProvider` over a
:class:`~jesign_sdk.signing.provider.CscBackend` of jesign's trust provider (CSC 2.0, the SSO's access token): the
signing and sealing surface is the provider's (``sign_pdf``, ``sign_pdfs``, ``seal_pdf``, ``seal_pdfs`` and their
coroutine twins). What is jesign's own: the default credential is the person's certificate, a seal is named by its
firm (``firm_id``), B-LT and B-LTA validate against the provider's root (fetched from its PKI), the time is the
client's clock, and :meth:`Signing.validate_pdf`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from asn1crypto import cms, x509

from jesign_sdk._errors import APIStatusError, NotFoundError, TrustRootError
from jesign_sdk._requestor import read_body
from jesign_sdk._run import run_sync
from jesign_sdk.signing.backend import Credential
from jesign_sdk.signing.batch import ProgressCallback, SigningProgress
from jesign_sdk.signing.csc import SEAL_PREFIX, CscApi, load_certificate
from jesign_sdk.signing.documents import MAX_PDF_BYTES, PdfInput, read_pdf
from jesign_sdk.signing.provider import CscBackend, SigningProvider
from jesign_sdk.signing.signer import CscTimeStamper
from jesign_sdk.signing.validation import SignatureReport, TrustRootSource, async_validate

if TYPE_CHECKING:
    from jesign_sdk._client import Client

__all__ = ["ProgressCallback", "Signing", "SigningProgress"]


@dataclass
class _Lookups:
    """What ``client.signing`` looked up once, shared with the copies :meth:`jesign_sdk.Client.with_options` makes."""

    #: Credentials already looked up (None: the personal one), dropped when the server stops knowing one.
    credentials: dict[str | None, Credential] = field(default_factory=dict)
    #: The provider's root, once fetched.
    trust_roots: list[x509.Certificate] | None = None
    #: The time-stamp token pyHanko measures the room to reserve by (see :class:`CscTimeStamper`).
    timestamp_tokens: dict[str, cms.ContentInfo] = field(default_factory=dict)


class Signing(SigningProvider):
    """``client.signing``."""

    def __init__(self, client: Client, *, lookups: _Lookups | None = None) -> None:
        self._client = client
        self.csc = CscApi.for_client(client)
        self._lookups = _Lookups() if lookups is None else lookups
        super().__init__(
            CscBackend(self.csc, default_credential=_personal, cache=self._lookups.credentials),
            #: One time-stamper for every signature of this client (pyHanko keeps in it the TSA's certificates).
            timestamper=CscTimeStamper(self.csc, measured=self._lookups.timestamp_tokens),
        )

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
        return self.backend.credential(credential_id)

    def trust_roots(self) -> list[x509.Certificate]:
        """The provider's root certificate, from its PKI (``/pki/ca/root.cer``); fetched once per client."""
        if self._lookups.trust_roots is None:
            answer = self._client.requestor.request("GET", "pki", "/ca/root.cer")
            self._lookups.trust_roots = [read_body(answer, load_certificate)]
        return list(self._lookups.trust_roots)

    # -- jesign's choices in the provider's steps ---------------------------------------------------------------------

    def _seal_credential(self, credential_id: str | None, firm_id: str | None) -> str:
        if firm_id is not None:
            return SEAL_PREFIX + firm_id
        return super()._seal_credential(credential_id, None)

    def _long_term_roots(self) -> list[x509.Certificate]:
        return self.trust_roots()

    def _signing_time(self) -> datetime:
        return self._client.clock()

    def _leeway_now(self) -> timedelta:
        return self._client.leeway

    def _refused(self, error: APIStatusError, credential_id: str | None) -> None:
        # Also a suspension by the platform (terms not accepted, delegation withdrawn): the credential's status
        # changes when it ends, so the next call looks again.
        if error.code in (
            "credential_not_found",
            "credential_revoked",
            "credential_expired",
            "service_not_open",
            "sign_delegation_required",
        ):
            self._lookups.credentials.clear()

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


def _personal(listed: list[str]) -> str:
    """The person's own credential among those ``credentials/list`` gives (the seals are ``seal_<firm id>``)."""
    personal = [c for c in listed if not c.startswith(SEAL_PREFIX)]
    if not personal:
        raise NotFoundError(
            "no personal signing credential: finish the registration first",
            status_code=404,
            code="credential_not_found",
        )
    return personal[0]
