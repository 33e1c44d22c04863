"""Identity prevalidation (Universign's ``POST /v1/id-validations``): an identity document judged apart from any
registration, for the operator who sent it.

Universign publishes the request: a multipart form with ``document`` once or twice (a passport's photo page; an
identity card as one file holding both sides or as two files, front then back), ``document_type``
(``id_card:fra``, ``passport:<alpha-3>`` ...), ``email``, ``full_name`` and ``birthdate``; JPEG, PNG or PDF, in
colour, 4 MB per side. The document's data is extracted, then matched with what the operator expects; the
outcome is announced by the ``identity-validation.processed`` event. Universign does not publish the answer's
fields: the mock answers the validation at once (``id``, ``state`` ``valid`` or ``invalid``, and, when invalid,
the ``reason`` code and message of the rule that refused it), and queues the event for the operator's webhook
subscriptions (its ``data``: ``object`` ``identity_validation``, ``id``, ``status``, ``reason``). That shape is the
mock's own.

The judgement is the registration's (:mod:`mock_provider.core.documents`): the document type's rules, the sides
by their content, the MRZ read from the files (the mock's stand-in for OCR, see
:func:`~mock_provider.core.documents.read_mrz`) and checked against ``full_name`` and ``birthdate``, and the
expiry. A request that cannot be judged (a field missing or malformed, a side over the limit, too many files) is
refused as bad input and stores nothing; a document that is judged and fails is a validation stored as
``invalid``, as a real provider would keep it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, mapped_column

from mock_provider.core.clock import Clock
from mock_provider.core.documents import DocumentError, check_mrz, inspect_document, parse_document_type
from mock_provider.core.documents.kinds import DocumentType
from mock_provider.core.documents.reading import read_mrz
from mock_provider.core.errors import InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.registration_limits import (
    ID_VALIDATION_HOLDER_UNCHECKED,
    ID_VALIDATION_OVER_LIMIT_ACCEPTED,
)
from mock_provider.core.misbehaviour.switches import Breakages
from mock_provider.core.storage import Base, Database, UtcDateTime
from mock_provider.core.webhooks import events as webhook_events

State = Literal["valid", "invalid"]
#: The most files one validation takes: a passport's page, or an identity card's two sides.
MAX_DOCUMENTS = 2
MAX_FULL_NAME = 200
MAX_EMAIL = 254
#: The refusals that say the document is someone else's (or the right one's with another birth date).
_HOLDER_CODES = frozenset({"mrz_name_mismatch", "mrz_birth_date_mismatch"})


class IdValidation(Base):
    """One identity prevalidation, kept for the operator who asked for it."""

    __tablename__ = "id_validations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The operator (API key or client id) that sent it: the only one that may read it.
    owner: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(16))
    document_type: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(MAX_EMAIL))
    full_name: Mapped[str] = mapped_column(String(MAX_FULL_NAME))
    birth_date: Mapped[date] = mapped_column(Date)
    #: Read from the document when it was valid.
    document_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    document_expiry: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: Why it is invalid: the refusing rule's code, message and field, as JSON.
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class IdValidationView:
    id: str
    state: State
    document_type: str
    email: str
    full_name: str
    birth_date: date
    document_number: str | None
    document_expiry: date | None
    reason: dict[str, str] | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "document_type": self.document_type,
            "email": self.email,
            "full_name": self.full_name,
            "birthdate": self.birth_date.isoformat(),
            "document_number": self.document_number,
            "document_expiry": self.document_expiry.isoformat() if self.document_expiry else None,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class _Request:
    kind: DocumentType
    email: str
    full_name: str
    birth_date: date


class IdValidations:
    """Create and read identity prevalidations (framework-free; the HTTP layer is ``api/id_validations.py``)."""

    def __init__(self, db: Database, clock: Clock, breakages: Breakages, *, max_document_bytes: int) -> None:
        self.db = db
        self.clock = clock
        self.breakages = breakages
        self._max_document_bytes = max_document_bytes

    @property
    def max_document_bytes(self) -> int:
        """The size limit of one side (unlimited while the rule switch ``id_validation_over_limit_accepted`` is on)."""
        if ID_VALIDATION_OVER_LIMIT_ACCEPTED in self.breakages:
            return 2**62
        return self._max_document_bytes

    def create(
        self,
        owner: str,
        *,
        documents: Sequence[bytes],
        document_type: object,
        email: object,
        full_name: object,
        birthdate: object,
    ) -> IdValidationView:
        """Judge the document and keep the outcome; ``400 invalid_id_validation`` (nothing kept) when the request
        cannot be judged."""
        wanted = _parse(document_type, email, full_name, birthdate, documents, self.clock.now().date())
        for index, data in enumerate(documents):
            if len(data) > self.max_document_bytes:
                raise _invalid(
                    "document", "too_large", f"file {index + 1} is over {self.max_document_bytes} bytes (per side)"
                )
        front = documents[0]
        # One file for a two-sided document holds both sides (a scan of both, a PDF of two pages).
        back = (documents[1] if len(documents) > 1 else front) if wanted.kind.needs_back else None
        number: str | None = None
        expiry: date | None = None
        reason: dict[str, str] | None = None
        try:
            number, expiry = self._judge(wanted, front, back)
        except DocumentError as refused:
            reason = {"code": refused.code, "message": refused.message, "field": refused.field}
        now = self.clock.now()
        row = IdValidation(
            id=new_id("idv"),
            owner=owner,
            state="invalid" if reason else "valid",
            document_type=wanted.kind.code,
            email=wanted.email,
            full_name=wanted.full_name,
            birth_date=wanted.birth_date,
            document_number=number,
            document_expiry=expiry,
            reason=json.dumps(reason) if reason else None,
            created_at=now,
        )
        with self.db.transaction() as session:
            session.add(row)
            session.flush()
            view = _view(row)
            processed = {"object": "identity_validation", "id": view.id, "status": view.state, "reason": view.reason}
            webhook_events.emit(
                session, owner=owner, type=webhook_events.IDENTITY_VALIDATION_PROCESSED, data=processed, at=now
            )
            return view

    def get(self, owner: str, validation_id: str) -> IdValidationView:
        """The validation, for the operator that created it only (any other: ``404``, as for an unknown id)."""
        with self.db.read() as session:
            row = session.scalar(
                select(IdValidation).where(IdValidation.id == validation_id, IdValidation.owner == owner)
            )
            if row is None:
                raise NotFound("no such identity validation", code="id_validation_not_found")
            return _view(row)

    def _judge(self, wanted: _Request, front: bytes, back: bytes | None) -> tuple[str | None, date | None]:
        inspect_document(wanted.kind, front=front, back=back, max_bytes=self.max_document_bytes)
        if not wanted.kind.mrz_formats:  # a driving licence: no ICAO MRZ to read, its sides judged only
            return None, None
        mrz = read_mrz(back) if back is not None else None
        mrz = mrz or read_mrz(front)
        if mrz is None:
            raise DocumentError("mrz_unreadable", "no machine-readable zone could be read from the document", "mrz")
        refusal: DocumentError | None = None
        for given, surname in _name_splits(wanted.full_name):
            try:
                result = check_mrz(
                    mrz,
                    document_type=wanted.kind,
                    given_name=given,
                    surname=surname,
                    birth_date=wanted.birth_date,
                    today=self.clock.now().date(),
                )
            except DocumentError as refused:
                if ID_VALIDATION_HOLDER_UNCHECKED in self.breakages and refused.code in _HOLDER_CODES:
                    return None, None  # the rule switch: the document taken whoever it names
                refusal = refused
                if refused.code != "mrz_name_mismatch":
                    break  # the name was not the problem: another split of it would not help
                continue
            return result.document_number, result.expiry_date
        assert refusal is not None
        raise refusal


def _name_splits(full_name: str) -> list[tuple[str, str]]:
    """Every way ``full_name`` reads as given names then surname, or surname then given names."""
    words = full_name.split()
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    splits += [(" ".join(words[i:]), " ".join(words[:i])) for i in range(1, len(words))]
    return splits or [("", full_name)]


def _parse(
    document_type: object,
    email: object,
    full_name: object,
    birthdate: object,
    documents: Sequence[bytes],
    today: date,
) -> _Request:
    errors: list[dict[str, str]] = []
    kind: DocumentType | None = None
    if not isinstance(document_type, str) or not document_type.strip():
        errors.append(_error("document_type", "required", "required, e.g. id_card:fra or passport:fra"))
    else:
        try:
            kind = parse_document_type(document_type)
        except DocumentError as refused:
            errors.append(_error("document_type", "invalid", refused.message))
    if not isinstance(email, str) or "@" not in email or len(email) > MAX_EMAIL or any(c.isspace() for c in email):
        errors.append(_error("email", "invalid", "an e-mail address"))
    if not isinstance(full_name, str) or not full_name.strip() or len(full_name) > MAX_FULL_NAME:
        errors.append(_error("full_name", "invalid", f"the holder's names, 1 to {MAX_FULL_NAME} characters"))
    birth: date | None = None
    try:
        birth = date.fromisoformat(birthdate) if isinstance(birthdate, str) and len(birthdate) == 10 else None
    except ValueError:
        birth = None
    if birth is None or not date(1900, 1, 1) <= birth <= today:
        errors.append(_error("birthdate", "invalid", "a past date, YYYY-MM-DD"))
    if not documents:
        errors.append(_error("document", "required", "one or two files (JPEG, PNG or PDF)"))
    elif len(documents) > MAX_DOCUMENTS:
        errors.append(_error("document", "too_many", f"at most {MAX_DOCUMENTS} files: front, then back"))
    elif kind is not None and not kind.needs_back and len(documents) > 1:
        errors.append(_error("document", "too_many", "a passport takes its photo page only: one file"))
    if errors:
        raise InvalidInput("invalid identity validation request", code="invalid_id_validation", errors=errors)
    assert kind is not None
    assert birth is not None
    assert isinstance(email, str)
    assert isinstance(full_name, str)
    return _Request(kind, email.strip(), " ".join(full_name.split()), birth)


def _error(field: str, code: str, detail: str) -> dict[str, str]:
    return {"field": field, "code": code, "detail": detail}


def _invalid(field: str, code: str, detail: str) -> InvalidInput:
    return InvalidInput(
        "invalid identity validation request", code="invalid_id_validation", errors=[_error(field, code, detail)]
    )


def _view(row: IdValidation) -> IdValidationView:
    return IdValidationView(
        id=row.id,
        state="valid" if row.state == "valid" else "invalid",
        document_type=row.document_type,
        email=row.email,
        full_name=row.full_name,
        birth_date=row.birth_date,
        document_number=row.document_number,
        document_expiry=row.document_expiry,
        reason=json.loads(row.reason) if row.reason else None,
        created_at=row.created_at,
    )
