"""The trust provider's side of the registration (steps 2 to 5), behind an interface.

:class:`TrustBackend` is what the SDK needs from a trust provider; :class:`HttpTrustBackend` speaks the mock's
``/trust/v1`` step-by-step API. A backend is bound to one registration by its session token, which the platform's
hand-off gives (:class:`~jesign_sdk.Handoff`).

Those step-by-step calls (identity, document, agreement and SMS code, cancellation, error report) are the mock's
test driver of Universign's hosted page: Universign publishes no API for them, its applicants go through those
steps in the hosted page whose address is the hand-off's ``url``. So :class:`HttpTrustBackend` works against the
mock only; against a real Universign, send the person to ``Handoff.url`` (a browser), and read the outcome from the
platform. Only the operator's calls (``POST``/``GET /v1/registrations``, with an API key) are Universign's shape:
see the documentation's page "The trust API against Universign's".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from jesign_sdk._json import field, json_object
from jesign_sdk._models import Agreement, CodeSent, IssuedCertificate, TrustRegistration
from jesign_sdk._requestor import Requestor, bearer, read_json

__all__ = ["DocumentSide", "HttpTrustBackend", "IdentityDocument", "TrustBackend"]

T = TypeVar("T")

#: A resend cooldown is not a passing overload: its 429 goes straight to the caller.
_NOW_OR_NEVER = frozenset({429})
_MEDIA_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"%PDF": "application/pdf"}


@dataclass(frozen=True)
class DocumentSide:
    """One side of an identity document: bytes and a file name (the server judges by content, not by name); its repr
    leaves the picture out."""

    content: bytes = dataclasses.field(repr=False)
    filename: str = "document"

    @classmethod
    def load(cls, source: str | Path | bytes) -> DocumentSide:
        if isinstance(source, bytes):
            return cls(source)
        path = Path(source)
        return cls(path.read_bytes(), path.name)

    @property
    def media_type(self) -> str:
        for magic, media_type in _MEDIA_TYPES.items():
            if self.content.startswith(magic):
                return media_type
        return "application/octet-stream"


@dataclass(frozen=True)
class IdentityDocument:
    """Step 3: the document type (``id_card:fra``, ``passport:fra`` …), its sides, number and optional MRZ."""

    document_type: str
    front: DocumentSide
    back: DocumentSide | None = None
    document_number: str | None = None
    mrz: str | None = None


class TrustBackend(Protocol):
    """What the SDK needs from a trust provider for one registration. Each call that acts takes a keyword-only
    ``idempotency_key`` (None: the backend makes one, which its retries repeat)."""

    registration_id: str

    def get(self) -> TrustRegistration: ...

    def submit_identity(
        self,
        *,
        birth_date: date,
        accept_terms: bool,
        accept_privacy_policy: bool,
        idempotency_key: str | None = None,
    ) -> TrustRegistration: ...

    def upload_document(
        self, document: IdentityDocument, *, idempotency_key: str | None = None
    ) -> TrustRegistration: ...

    def agreement(self) -> Agreement: ...

    def consent(self, agreement: Agreement, *, idempotency_key: str | None = None) -> CodeSent: ...

    def resend_code(self, *, idempotency_key: str | None = None) -> CodeSent: ...

    def sign(self, code: str, *, idempotency_key: str | None = None) -> TrustRegistration: ...

    def cancel(self, *, idempotency_key: str | None = None) -> TrustRegistration: ...

    def certificate(self) -> IssuedCertificate: ...

    def report_error(self, detail: str, *, idempotency_key: str | None = None) -> TrustRegistration: ...

    def events(self) -> list[dict[str, Any]]: ...


class HttpTrustBackend:
    """Steps 2 to 5 over ``/trust/v1``, as the applicant (the registration's session token): the mock's test driver
    of the hosted page, which a real Universign does not serve."""

    def __init__(self, requestor: Requestor, registration_id: str, session_token: str) -> None:
        self._requestor = requestor
        self.registration_id = registration_id
        self._auth = bearer(session_token)

    def _call(self, method: str, path: str, parse: Callable[[Any], T], **kwargs: Any) -> T:
        answer = self._requestor.request(
            method, "trust", f"/registrations/{self.registration_id}{path}", auth=self._auth, **kwargs
        )
        return read_json(answer, parse)

    def get(self) -> TrustRegistration:
        return self._call("GET", "", TrustRegistration.from_json)

    def submit_identity(
        self,
        *,
        birth_date: date,
        accept_terms: bool,
        accept_privacy_policy: bool,
        idempotency_key: str | None = None,
    ) -> TrustRegistration:
        body = {
            "birth_date": birth_date.isoformat(),
            "accept_terms": accept_terms,
            "accept_privacy_policy": accept_privacy_policy,
        }
        return self._call("POST", "/identity", TrustRegistration.from_json, json=body, idempotency_key=idempotency_key)

    def upload_document(self, document: IdentityDocument, *, idempotency_key: str | None = None) -> TrustRegistration:
        data = {"document_type": document.document_type}
        if document.document_number:
            data["document_number"] = document.document_number
        if document.mrz:
            data["mrz"] = document.mrz
        files = {"front": (document.front.filename, document.front.content, document.front.media_type)}
        if document.back is not None:
            files["back"] = (document.back.filename, document.back.content, document.back.media_type)
        return self._call(
            "POST",
            "/documents",
            TrustRegistration.from_json,
            data=data,
            files=files,
            idempotency_key=idempotency_key,
        )

    def agreement(self) -> Agreement:
        return self._call("GET", "/agreement", Agreement.from_json)

    def consent(self, agreement: Agreement, *, idempotency_key: str | None = None) -> CodeSent:
        """Tick the consent box: a code goes by SMS. A :class:`RateLimitError` (429) means one was sent moments
        ago and is still valid; it is not retried, so that the caller can say so at once."""
        body = {"accept": True, "version": agreement.version, "sha256": agreement.sha256}
        return self._call(
            "POST",
            "/agreement/consent",
            CodeSent.from_json,
            json=body,
            no_retry_on=_NOW_OR_NEVER,
            idempotency_key=idempotency_key,
        )

    def resend_code(self, *, idempotency_key: str | None = None) -> CodeSent:
        return self._call(
            "POST", "/agreement/resend", CodeSent.from_json, no_retry_on=_NOW_OR_NEVER, idempotency_key=idempotency_key
        )

    def sign(self, code: str, *, idempotency_key: str | None = None) -> TrustRegistration:
        return self._call(
            "POST", "/agreement/sign", TrustRegistration.from_json, json={"otp": code}, idempotency_key=idempotency_key
        )

    def cancel(self, *, idempotency_key: str | None = None) -> TrustRegistration:
        return self._call("POST", "/cancel", TrustRegistration.from_json, idempotency_key=idempotency_key)

    def certificate(self) -> IssuedCertificate:
        return self._call("GET", "/certificate", IssuedCertificate.from_json)

    def report_error(self, detail: str, *, idempotency_key: str | None = None) -> TrustRegistration:
        body = {"detail": detail}
        return self._call(
            "POST",
            "/certificate/report-error",
            TrustRegistration.from_json,
            json=body,
            idempotency_key=idempotency_key,
        )

    def events(self) -> list[dict[str, Any]]:
        return self._call("GET", "/events", lambda body: [json_object(e) for e in field(body, "data", list)])
