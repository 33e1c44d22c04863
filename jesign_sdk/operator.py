"""The operator's side of the trust provider: the calls a platform or an integrator's server makes with its own
credentials, not a person's login.

:class:`TrustOperator` authenticates with the operator's API key (``Authorization: Bearer``, as Universign
documents it), or, the mock's extension, a confidential client's id and secret (HTTP Basic). Its calls:

- :attr:`TrustOperator.registrations`: Universign's ``POST /v1/registrations`` (form-encoded: ``applicant``,
  ``level``, ``fullname``...), answering the hosted page's ``url``; the owner's ``GET`` of one, and the list
  (auto-paging over the mock's cursor pages, with its filters).

- :attr:`TrustOperator.id_validations`: identity prevalidation, Universign's ``POST /v1/id-validations`` (a
  multipart form with ``document`` once or twice, ``document_type``, ``email``, ``full_name``, ``birthdate``),
  and the mock's own read of one validation.
- :attr:`TrustOperator.files` and :attr:`TrustOperator.transactions`: Universign's transaction API as far as the
  mock has it (a first slice: PDFs uploaded, a draft with its documents, signature fields and signers, started,
  cancelled, read and listed; the signers' side is not there yet).
- :attr:`TrustOperator.seals`: the standalone seal service, Universign's ``POST /v1/seals``: a PDF sealed with a
  firm's seal in one call (no person, no SMS code).

Every failure is a :class:`~jesign_sdk.JesignError` (the requestor's errors: an :class:`~jesign_sdk.APIStatusError`
with the problem's code for a refusal, an :class:`~jesign_sdk.APIConnectionError` when no answer came).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import requests

from jesign_sdk._json import field as _field
from jesign_sdk._json import json_object, objects, optional, optional_time, time
from jesign_sdk._requestor import Auth, Endpoints, Requestor, RetryPolicy, basic, bearer, read_json
from jesign_sdk.resources.trust import DocumentSide

T = TypeVar("T")

__all__ = [
    "CreatedRegistration",
    "Files",
    "IdValidation",
    "IdValidations",
    "OperatorRegistration",
    "OperatorRegistrations",
    "SealField",
    "Seals",
    "Transaction",
    "TransactionDocument",
    "TransactionField",
    "Transactions",
    "TrustOperator",
    "UploadedFile",
]


@dataclass(frozen=True)
class IdValidation:
    """One identity prevalidation: ``state`` ``valid`` or ``invalid``; when invalid, ``reason`` holds the refusing
    rule's ``code``, ``message`` and ``field``."""

    id: str
    state: str
    document_type: str
    email: str
    full_name: str
    birthdate: date
    document_number: str | None
    document_expiry: date | None
    reason: dict[str, str] | None
    created_at: datetime
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.state == "valid"

    @classmethod
    def from_json(cls, body: Any) -> IdValidation:
        expiry = optional(body, "document_expiry", str)
        reason = optional(body, "reason", dict)
        return cls(
            id=_field(body, "id", str),
            state=_field(body, "state", str),
            document_type=_field(body, "document_type", str),
            email=_field(body, "email", str),
            full_name=_field(body, "full_name", str),
            birthdate=date.fromisoformat(_field(body, "birthdate", str)),
            document_number=optional(body, "document_number", str),
            document_expiry=date.fromisoformat(expiry) if expiry else None,
            reason={str(k): str(v) for k, v in reason.items()} if reason else None,
            created_at=time(body, "created_at"),
            raw=json_object(body),
        )


class _OperatorResource:
    """A group of the operator's calls: the client's requestor and the operator's credential."""

    def __init__(self, requestor: Requestor, auth: Auth) -> None:
        self._requestor = requestor
        self._auth = auth


class IdValidations(_OperatorResource):
    """``/id-validations`` at the trust provider."""

    def create(
        self,
        documents: Sequence[DocumentSide | bytes | str | Path],
        *,
        document_type: str,
        email: str,
        full_name: str,
        birthdate: date,
        idempotency_key: str | None = None,
    ) -> IdValidation:
        """Send a document for prevalidation: a passport's photo page, or an identity card as one file (both sides)
        or two (front, then back). Answers the validation, ``valid`` or ``invalid`` with its reason; a request the
        provider cannot judge raises :class:`~jesign_sdk.BadRequestError` (``invalid_id_validation``)."""
        sides = [side if isinstance(side, DocumentSide) else DocumentSide.load(side) for side in documents]
        files = [("document", (side.filename, side.content, side.media_type)) for side in sides]
        data = {
            "document_type": document_type,
            "email": email,
            "full_name": full_name,
            "birthdate": birthdate.isoformat(),
        }
        response = self._requestor.request(
            "POST",
            "trust",
            "/id-validations",
            auth=self._auth,
            data=data,
            files=files,
            idempotency_key=idempotency_key,
        )
        return read_json(response, IdValidation.from_json)

    def get(self, validation_id: str) -> IdValidation:
        """One validation this operator sent (another's, or an unknown id: :class:`~jesign_sdk.NotFoundError`)."""
        response = self._requestor.request("GET", "trust", f"/id-validations/{validation_id}", auth=self._auth)
        return read_json(response, IdValidation.from_json)


@dataclass(frozen=True)
class SealField:
    """Where a visible seal goes: ``page`` from 1, its top left corner ``x``, ``y`` points from the page's top left
    corner (the seal is 200 x 50 points)."""

    page: int = 1
    x: int = 0
    y: int = 0


class Seals(_OperatorResource):
    """``/seals`` at the trust provider."""

    def seal(
        self,
        pdf: bytes | str | Path,
        *,
        seal_id: str,
        label: str | None = None,
        field: SealField | None = None,
        language: str | None = None,
        idempotency_key: str | None = None,
    ) -> bytes:
        """The PDF sealed with ``seal_id`` (PAdES): invisible without ``field``. A request the provider refuses
        raises the matching :class:`~jesign_sdk.APIStatusError` (``invalid_seal_request``, ``seal_not_found``,
        ``service_not_open``, ``credential_revoked``...)."""
        content = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
        name = "document.pdf" if isinstance(pdf, bytes) else Path(pdf).name
        data = {"seal_id": seal_id}
        if label is not None:
            data["label"] = label
        if language is not None:
            data["language"] = language
        if field is not None:
            data.update(field_page=str(field.page), field_x=str(field.x), field_y=str(field.y))
        response = self._requestor.request(
            "POST",
            "trust",
            "/seals",
            auth=self._auth,
            data=data,
            files={"file": (name, content, "application/pdf")},
            idempotency_key=idempotency_key,
        )
        return response.content


@dataclass(frozen=True)
class CreatedRegistration:
    """A registration just opened: its ``url`` is the hosted page to send the applicant to."""

    id: str
    state: str
    url: str
    expires_at: datetime | None
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, body: Any) -> CreatedRegistration:
        return cls(
            id=_field(body, "id", str),
            state=_field(body, "state", str),
            url=_field(body, "url", str),
            expires_at=optional_time(body, "expires_at"),
            raw=json_object(body),
        )


@dataclass(frozen=True)
class OperatorRegistration:
    """A registration as its operator reads it (``GET /trust/v1/registrations/{id}``)."""

    id: str
    state: str
    level: str
    applicant: str
    fullname: str | None
    language: str
    redirect_url: str | None
    certificate_id: str | None
    created_at: datetime
    expires_at: datetime | None
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, body: Any) -> OperatorRegistration:
        return cls(
            id=_field(body, "id", str),
            state=_field(body, "state", str),
            level=_field(body, "level", str),
            applicant=_field(body, "applicant", str),
            fullname=optional(body, "fullname", str),
            language=_field(body, "language", str),
            redirect_url=optional(body, "redirect_url", str),
            certificate_id=optional(body, "certificate_id", str),
            created_at=time(body, "created_at"),
            expires_at=optional_time(body, "expires_at"),
            raw=json_object(body),
        )


class OperatorRegistrations(_OperatorResource):
    """``/registrations`` at the trust provider, the operator's side."""

    def create(
        self,
        *,
        applicant: str,
        level: str,
        fullname: str | None = None,
        fullname_type: str | None = None,
        phone_number: str | None = None,
        phone_number_type: str | None = None,
        language: str | None = None,
        redirect_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedRegistration:
        """Open a registration for ``applicant`` (an e-mail) at ``level`` (``lcp``, ``qcp``, ``qcpnqscd``), sent
        form-encoded as Universign documents it; the answer's ``url`` is the hosted page."""
        given = {
            "applicant": applicant,
            "level": level,
            "fullname": fullname,
            "fullname_type": fullname_type,
            "phone_number": phone_number,
            "phone_number_type": phone_number_type,
            "language": language,
            "redirect_url": redirect_url,
        }
        form = {name: value for name, value in given.items() if value is not None}
        response = self._requestor.request(
            "POST", "trust", "/registrations", auth=self._auth, data=form, idempotency_key=idempotency_key
        )
        return read_json(response, CreatedRegistration.from_json)

    def get(self, registration_id: str) -> OperatorRegistration:
        """One of this operator's registrations (another's, or an unknown id: :class:`~jesign_sdk.NotFoundError`)."""
        response = self._requestor.request("GET", "trust", f"/registrations/{registration_id}", auth=self._auth)
        return read_json(response, OperatorRegistration.from_json)

    def list(
        self,
        *,
        state: str | None = None,
        applicant: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        page_size: int = 20,
    ) -> Iterator[OperatorRegistration]:
        """Every registration of this operator that the filters keep, newest first, fetched a page at a time."""
        params: dict[str, Any] = {"limit": page_size}
        for name, value in (("state", state), ("applicant", applicant)):
            if value is not None:
                params[name] = value
        for name, instant in (("created_after", created_after), ("created_before", created_before)):
            if instant is not None:
                params[name] = instant.isoformat()
        while True:
            response = self._requestor.request("GET", "trust", "/registrations", auth=self._auth, params=params)
            page = read_json(response, _page)
            yield from page[0]
            if page[1] is None:
                return
            params["cursor"] = page[1]


def _page(body: Any) -> tuple[list[OperatorRegistration], str | None]:
    items = [OperatorRegistration.from_json(item) for item in objects(body, "data")]
    more = _field(body, "has_more", bool)
    return items, optional(body, "next_cursor", str) if more else None


@dataclass(frozen=True)
class UploadedFile:
    """A PDF kept by the trust provider for this operator, to add to transactions by its ``id``."""

    id: str
    name: str
    size: int
    pages: int

    @classmethod
    def from_json(cls, body: Any) -> UploadedFile:
        return cls(
            id=_field(body, "id", str),
            name=_field(body, "name", str),
            size=_field(body, "size", int),
            pages=_field(body, "pages", int),
        )


@dataclass(frozen=True)
class TransactionField:
    """A signature field: its ``page`` (from 1) and box corner ``x``, ``y``, and the signer bound to it."""

    id: str
    document_id: str
    page: int
    x: int
    y: int
    signer: str | None

    @classmethod
    def from_json(cls, body: Any) -> TransactionField:
        return cls(
            id=_field(body, "id", str),
            document_id=_field(body, "document", str),
            page=_field(body, "page", int),
            x=_field(body, "x", int),
            y=_field(body, "y", int),
            signer=optional(body, "signer", str),
        )


@dataclass(frozen=True)
class TransactionDocument:
    id: str
    name: str
    file_id: str
    pages: int
    fields: tuple[TransactionField, ...]

    @classmethod
    def from_json(cls, body: Any) -> TransactionDocument:
        return cls(
            id=_field(body, "id", str),
            name=_field(body, "name", str),
            file_id=_field(body, "file", str),
            pages=_field(body, "pages", int),
            fields=tuple(TransactionField.from_json(f) for f in objects(body, "fields")),
        )


@dataclass(frozen=True)
class Transaction:
    """A transaction: ``state`` ``draft``, ``started``, ``cancelled``, ``expired``..., its documents and signers."""

    id: str
    name: str
    state: str
    language: str
    created_at: datetime
    started_at: datetime | None
    expires_at: datetime | None
    documents: tuple[TransactionDocument, ...]
    signers: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, body: Any) -> Transaction:
        return cls(
            id=_field(body, "id", str),
            name=_field(body, "name", str),
            state=_field(body, "state", str),
            language=_field(body, "language", str),
            created_at=time(body, "created_at"),
            started_at=optional_time(body, "started_at"),
            expires_at=optional_time(body, "expires_at"),
            documents=tuple(TransactionDocument.from_json(d) for d in objects(body, "documents")),
            signers=tuple(_field(p, "email", str) for p in objects(body, "participants")),
            raw=json_object(body),
        )


class Files(_OperatorResource):
    """``/files``: PDFs kept for this operator's transactions."""

    def upload(self, pdf: bytes | str | Path, *, idempotency_key: str | None = None) -> UploadedFile:
        content = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
        name = "document.pdf" if isinstance(pdf, bytes) else Path(pdf).name
        response = self._requestor.request(
            "POST",
            "trust",
            "/files",
            auth=self._auth,
            files={"file": (name, content, "application/pdf")},
            idempotency_key=idempotency_key,
        )
        return read_json(response, UploadedFile.from_json)


class Transactions(_OperatorResource):
    """``/transactions``: prepare a draft (documents, fields, signers), start it, cancel it, read and list them.
    Every body is form-encoded, as Universign's examples."""

    def _post(self, path: str, form: dict[str, str], idempotency_key: str | None, parse: Callable[[Any], T]) -> T:
        response = self._requestor.request(
            "POST", "trust", f"/transactions{path}", auth=self._auth, data=form, idempotency_key=idempotency_key
        )
        return read_json(response, parse)  # a malformed answer: APIResponseValidationError

    def create(
        self,
        *,
        name: str | None = None,
        language: str | None = None,
        duration_minutes: int | None = None,
        idempotency_key: str | None = None,
    ) -> Transaction:
        given = {"name": name, "language": language, "duration": duration_minutes}
        form = {key: str(value) for key, value in given.items() if value is not None}
        return self._post("", form, idempotency_key, Transaction.from_json)

    def add_document(
        self,
        transaction_id: str,
        file: UploadedFile | str,
        *,
        name: str | None = None,
        idempotency_key: str | None = None,
    ) -> TransactionDocument:
        form = {"document": file.id if isinstance(file, UploadedFile) else file}
        if name is not None:
            form["name"] = name
        return self._post(f"/{transaction_id}/documents", form, idempotency_key, TransactionDocument.from_json)

    def add_field(
        self, transaction_id: str, document_id: str, *, page: int, x: int, y: int, idempotency_key: str | None = None
    ) -> TransactionField:
        form = {"type": "signature", "page": str(page), "x": str(x), "y": str(y)}
        path = f"/{transaction_id}/documents/{document_id}/fields"
        return self._post(path, form, idempotency_key, TransactionField.from_json)

    def add_signature(
        self, transaction_id: str, *, signer: str, field_id: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Bind ``signer`` (an e-mail) to the field; answers the signature as the provider describes it."""
        form = {"signer": signer, "field": field_id}
        return self._post(f"/{transaction_id}/signatures", form, idempotency_key, json_object)

    def start(self, transaction_id: str, *, idempotency_key: str | None = None) -> Transaction:
        return self._post(f"/{transaction_id}/start", {}, idempotency_key, Transaction.from_json)

    def cancel(self, transaction_id: str, *, idempotency_key: str | None = None) -> Transaction:
        return self._post(f"/{transaction_id}/cancel", {}, idempotency_key, Transaction.from_json)

    def get(self, transaction_id: str) -> Transaction:
        response = self._requestor.request("GET", "trust", f"/transactions/{transaction_id}", auth=self._auth)
        return read_json(response, Transaction.from_json)

    def list(self, *, state: str | None = None, page_size: int = 20) -> Iterator[Transaction]:
        """Every transaction of this operator (of ``state``), a page at a time."""
        params: dict[str, Any] = {"limit": page_size}
        if state is not None:
            params["state"] = state
        while True:
            response = self._requestor.request("GET", "trust", "/transactions", auth=self._auth, params=params)
            found, more = read_json(response, _transactions_page)
            yield from found
            if not more or not found:
                return
            params["starting_after"] = found[-1].id


def _transactions_page(body: Any) -> tuple[list[Transaction], bool]:
    return [Transaction.from_json(item) for item in objects(body, "data")], _field(body, "has_more", bool)


class TrustOperator:
    """The trust provider's operator API, with the operator's ``api_key`` (or a confidential client's
    ``client_id`` and ``client_secret``, the mock's extension).

    ``base_url`` serves every party from one origin, as the mock does; give ``endpoints`` when they live apart.
    Neither the key (but its first characters) nor the secret appears in the object's repr.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        endpoints: Endpoints | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.requestor = Requestor.for_client(
            base_url, endpoints, session=session, timeout=timeout, max_retries=max_retries, retry=retry
        )
        if api_key is not None:
            auth = bearer(api_key)
            self._who = f"api_key={api_key[:8]}…"
        elif client_id is not None and client_secret is not None:
            auth = basic(client_id, client_secret)
            self._who = f"client_id={client_id!r}"
        else:
            raise ValueError("give the operator's api_key, or a confidential client's client_id and client_secret")
        self.registrations = OperatorRegistrations(self.requestor, auth)
        self.id_validations = IdValidations(self.requestor, auth)
        self.seals = Seals(self.requestor, auth)
        self.files = Files(self.requestor, auth)
        self.transactions = Transactions(self.requestor, auth)

    def __repr__(self) -> str:
        trust = self.requestor.endpoints.trust if self.requestor.endpoints is not None else None
        return f"TrustOperator({self._who}, trust={trust!r})"
