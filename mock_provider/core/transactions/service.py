"""The transaction API's calls (Universign's ``/v1/files`` and ``/v1/transactions``), each one transaction.

Every call is the operator's (``owner``): another operator's file or transaction is "not found". A refusal raises
before anything is written. Starting and cancelling are conditional updates on the expected state, so that of two
parallel starts one wins and the other is ``409 transaction_wrong_state``; the documents, fields and signatures are
added under the transaction's row lock. A started transaction past its ``expires_at`` (mock clock) becomes
``expired`` when it is next read, listed or changed, and its events (``transaction.lifecycle.*``) are queued in the
same transaction as the change (:func:`mock_provider.core.webhooks.events.emit`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mock_provider.core.clock import Clock
from mock_provider.core.errors import Conflict, InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.transactions import (
    TRANSACTION_DOCUMENT_LIMIT_IGNORED,
    TRANSACTION_OF_ANY_OPERATOR,
    TRANSACTION_STARTED_TWICE,
)
from mock_provider.core.misbehaviour.switches import Breakages
from mock_provider.core.storage import Database, for_update, next_in_sequence, rows_changed
from mock_provider.core.transactions import rules
from mock_provider.core.transactions.models import (
    SigningTransaction,
    TransactionDocument,
    TransactionField,
    TransactionSignature,
    TrustFile,
)
from mock_provider.core.transactions.views import (
    DocumentView,
    FieldView,
    FileView,
    SignatureView,
    TransactionPage,
    TransactionView,
    instant,
    transaction_view,
)
from mock_provider.core.webhooks.events import emit


class Transactions:
    """The operator's files and transactions (framework-free; the HTTP layer is ``api/transactions.py``)."""

    def __init__(self, db: Database, clock: Clock, breakages: Breakages) -> None:
        self.db = db
        self.clock = clock
        self.breakages = breakages

    # -- files ------------------------------------------------------------------------------------------------------

    def upload(self, owner: str, name: str | None, pdf: bytes) -> FileView:
        """Keep ``pdf`` for ``owner``: ``400 invalid_file`` unless it is a readable, unencrypted PDF of at most
        25 MB."""
        pages = rules.pdf_pages(pdf)
        shown = (name or "document.pdf")[: rules.MAX_NAME]
        if not shown.isprintable():
            shown = "document.pdf"
        now = self.clock.now()
        row = TrustFile(
            id=new_id("file"),
            owner=owner,
            name=shown,
            size=len(pdf),
            pages=json.dumps([list(p) for p in pages]),
            content=pdf,
            created_at=now,
        )
        with self.db.transaction() as session:
            session.add(row)
        return FileView(row.id, row.name, row.size, len(pages), now)

    # -- the transaction's preparation ----------------------------------------------------------------------------

    def create(self, owner: str, form: Mapping[str, str]) -> TransactionView:
        """A ``draft``: optional ``name`` (the id by default), ``language`` (``fr``), ``duration`` in minutes
        (15 days by default); ``400 invalid_transaction`` otherwise."""
        errors: list[dict[str, str]] = []
        name = rules.text(form, "name", errors)
        language = form.get("language") or "fr"
        if language not in rules.LANGUAGES:
            errors.append(rules.error("language", f"one of {', '.join(rules.LANGUAGES)}"))
        duration = rules.integer(form, "duration", errors, smallest=1, largest=rules.MAX_DURATION_MINUTES)
        rules.refuse_if(errors, "invalid transaction", "invalid_transaction")
        now = self.clock.now()
        with self.db.transaction() as session:
            tx_id = new_id("tx")
            row = SigningTransaction(
                id=tx_id,
                owner=owner,
                name=name or tx_id,
                language=language,
                state=rules.DRAFT,
                duration=duration or rules.DEFAULT_DURATION_MINUTES,
                created_at=now,
                seq=next_in_sequence(session, SigningTransaction.seq),
            )
            session.add(row)
            session.flush()
            view = transaction_view(session, row)
            emit(session, owner=owner, type="transaction.lifecycle.created", data=_summary(row), at=now)
        return view

    def add_document(self, owner: str, transaction_id: str, form: Mapping[str, str]) -> DocumentView:
        """Add the owner's file ``document`` (a file id) to a draft, with an optional ``name``."""
        errors: list[dict[str, str]] = []
        file_id = form.get("document") or ""
        if not file_id:
            errors.append(rules.error("document", "required: a file id (file_...)", "required"))
        name = rules.text(form, "name", errors)
        rules.refuse_if(errors, "invalid document", "invalid_document")
        with self.db.transaction() as session:
            tx = self._draft(session, owner, transaction_id)
            file = session.scalar(select(TrustFile).where(TrustFile.id == file_id, TrustFile.owner == owner))
            if file is None:
                raise NotFound("no such file", code="file_not_found")
            count = _count(session, TransactionDocument, tx.id)
            if count >= rules.MAX_DOCUMENTS and TRANSACTION_DOCUMENT_LIMIT_IGNORED not in self.breakages:
                raise Conflict(
                    f"a transaction holds at most {rules.MAX_DOCUMENTS} documents",
                    code="too_many_documents",
                    extra={"limit": rules.MAX_DOCUMENTS},
                )
            row = TransactionDocument(
                id=new_id("doc"),
                transaction_id=tx.id,
                file_id=file.id,
                name=name or file.name,
                pages=file.pages,
                position=count,
            )
            session.add(row)
            return DocumentView(row.id, row.name, row.file_id, len(json.loads(row.pages)), ())

    def add_field(self, owner: str, transaction_id: str, document_id: str, form: Mapping[str, str]) -> FieldView:
        """A ``signature`` field on a draft's document: ``page`` (from 1) within the document, the 200 x 50 box
        at ``x``, ``y`` within the page."""
        errors: list[dict[str, str]] = []
        kind = form.get("type") or ""
        if kind not in rules.FIELD_TYPES:
            errors.append(rules.error("type", f"one of {', '.join(rules.FIELD_TYPES)}"))
        numbers = {}
        for name in ("page", "x", "y"):
            value = rules.integer(form, name, errors, smallest=1 if name == "page" else 0, largest=100_000)
            if value is None and not form.get(name):
                errors.append(rules.error(name, "required", "required"))
            numbers[name] = value
        rules.refuse_if(errors, "invalid field", "invalid_field")
        page, x, y = (int(numbers["page"] or 0), int(numbers["x"] or 0), int(numbers["y"] or 0))
        with self.db.transaction() as session:
            tx = self._draft(session, owner, transaction_id)
            document = session.scalar(
                select(TransactionDocument).where(
                    TransactionDocument.id == document_id, TransactionDocument.transaction_id == tx.id
                )
            )
            if document is None:
                raise NotFound("no such document in this transaction", code="document_not_found")
            pages = json.loads(document.pages)
            if page > len(pages):
                raise InvalidInput(
                    "the page is not in the document",
                    code="invalid_field",
                    errors=[rules.error("page", f"1 to {len(pages)}")],
                )
            width, height = pages[page - 1]
            if x + rules.FIELD_WIDTH > width or y + rules.FIELD_HEIGHT > height:
                raise InvalidInput(
                    "the field does not fit on the page",
                    code="invalid_field",
                    errors=[
                        rules.error(
                            "x" if x + rules.FIELD_WIDTH > width else "y",
                            f"a {rules.FIELD_WIDTH} x {rules.FIELD_HEIGHT} box within {width:.0f} x {height:.0f}",
                        )
                    ],
                )
            count = session.scalar(
                select(func.count()).select_from(TransactionField).where(TransactionField.document_id == document.id)
            )
            if (count or 0) >= rules.MAX_FIELDS_PER_DOCUMENT:
                raise Conflict(
                    f"a document holds at most {rules.MAX_FIELDS_PER_DOCUMENT} fields", code="too_many_fields"
                )
            row = TransactionField(
                id=new_id("fld"),
                transaction_id=tx.id,
                document_id=document.id,
                type=kind,
                page=page,
                x=x,
                y=y,
                position=_count(session, TransactionField, tx.id),
            )
            session.add(row)
            return FieldView(row.id, document.id, kind, page, x, y, None)

    def add_signature(self, owner: str, transaction_id: str, form: Mapping[str, str]) -> SignatureView:
        """Bind ``signer`` (an e-mail address) to the draft's ``field``; a field is bound at most once
        (``409 field_already_signed``)."""
        errors: list[dict[str, str]] = []
        signer = rules.email(form, "signer", errors)
        field_id = form.get("field") or ""
        if not field_id:
            errors.append(rules.error("field", "required: a field id (fld_...)", "required"))
        rules.refuse_if(errors, "invalid signature", "invalid_signature")
        assert signer is not None
        with self.db.transaction() as session:
            tx = self._draft(session, owner, transaction_id)
            field = session.scalar(
                select(TransactionField).where(
                    TransactionField.id == field_id, TransactionField.transaction_id == tx.id
                )
            )
            if field is None:
                raise NotFound("no such field in this transaction", code="field_not_found")
            if session.scalar(select(TransactionSignature.id).where(TransactionSignature.field_id == field.id)):
                raise Conflict("this field already has its signer", code="field_already_signed")
            row = TransactionSignature(
                id=new_id("sig"),
                transaction_id=tx.id,
                field_id=field.id,
                signer=signer,
                position=_count(session, TransactionSignature, tx.id),
            )
            session.add(row)
            return SignatureView(row.id, signer, field.id, field.document_id)

    # -- the transaction's life -------------------------------------------------------------------------------------

    def start(self, owner: str, transaction_id: str) -> TransactionView:
        """``draft`` → ``started``, once: a draft with at least one document and one signature
        (``409 transaction_incomplete`` otherwise); any other state is ``409 transaction_wrong_state``."""
        now = self.clock.now()
        with self.db.transaction() as session:
            tx = self._locked(session, owner, transaction_id, now)
            allowed = (rules.DRAFT, rules.STARTED) if TRANSACTION_STARTED_TWICE in self.breakages else (rules.DRAFT,)
            if tx.state not in allowed:
                raise _wrong_state(tx, "only a draft can be started")
            missing = [
                what
                for what, model in (("document", TransactionDocument), ("signature", TransactionSignature))
                if _count(session, model, tx.id) == 0
            ]
            if missing:
                raise Conflict(
                    f"a transaction starts with at least one {' and one '.join(missing)}",
                    code="transaction_incomplete",
                    extra={"missing": missing},
                )
            expires_at = now + timedelta(minutes=tx.duration)
            changed = rows_changed(
                session,
                update(SigningTransaction)
                .where(SigningTransaction.id == tx.id, SigningTransaction.state.in_(allowed))
                .values(state=rules.STARTED, started_at=now, expires_at=expires_at),
            )
            if changed != 1:
                raise _wrong_state(tx, "only a draft can be started")
            session.refresh(tx)
            emit(session, owner=owner, type="transaction.lifecycle.started", data=_summary(tx), at=now)
            return transaction_view(session, tx)

    def cancel(self, owner: str, transaction_id: str) -> TransactionView:
        """``draft`` or ``started`` → ``cancelled``; any other state is ``409 transaction_wrong_state``."""
        now = self.clock.now()
        with self.db.transaction() as session:
            tx = self._locked(session, owner, transaction_id, now)
            cancellable = (rules.DRAFT, rules.STARTED)
            changed = rows_changed(
                session,
                update(SigningTransaction)
                .where(SigningTransaction.id == tx.id, SigningTransaction.state.in_(cancellable))
                .values(state=rules.CANCELLED, ended_at=now),
            )
            if changed != 1:
                raise _wrong_state(tx, "only a draft or a started transaction can be cancelled")
            session.refresh(tx)
            emit(session, owner=owner, type="transaction.lifecycle.cancelled", data=_summary(tx), at=now)
            return transaction_view(session, tx)

    def get(self, owner: str, transaction_id: str) -> TransactionView:
        now = self.clock.now()
        with self.db.transaction() as session:
            return transaction_view(session, self._locked(session, owner, transaction_id, now))

    def list(
        self, owner: str, *, state: str | None = None, limit: int = rules.DEFAULT_LIMIT, after: str | None = None
    ) -> TransactionPage:
        """The owner's transactions, newest first, ``limit`` at most, those older than ``after`` (a transaction
        id of a previous page) when given, in ``state`` when given."""
        now = self.clock.now()
        with self.db.transaction() as session:
            self._expire_due(session, owner, now)
            query = select(SigningTransaction).where(SigningTransaction.owner == owner)
            if state is not None:
                query = query.where(SigningTransaction.state == state)
            if after is not None:
                anchor = session.scalar(
                    select(SigningTransaction.seq).where(
                        SigningTransaction.id == after, SigningTransaction.owner == owner
                    )
                )
                if anchor is None:
                    raise InvalidInput(
                        "no such transaction to continue after",
                        code="invalid_query",
                        errors=[rules.error("starting_after", "a transaction id from a previous page")],
                    )
                query = query.where(SigningTransaction.seq < anchor)
            rows = session.scalars(query.order_by(SigningTransaction.seq.desc()).limit(limit + 1)).all()
            return TransactionPage(tuple(transaction_view(session, r) for r in rows[:limit]), len(rows) > limit)

    # -- helpers ----------------------------------------------------------------------------------------------------

    def _locked(self, session: Session, owner: str, transaction_id: str, now: datetime) -> SigningTransaction:
        """The owner's transaction, locked for the rest of the transaction, expired first if it is due."""
        query = select(SigningTransaction).where(SigningTransaction.id == transaction_id)
        if TRANSACTION_OF_ANY_OPERATOR not in self.breakages:
            query = query.where(SigningTransaction.owner == owner)
        tx = session.scalar(for_update(session, query))
        if tx is None:
            raise NotFound("no such transaction", code="transaction_not_found")
        self._expire_due(session, owner, now, only=tx)
        return tx

    def _draft(self, session: Session, owner: str, transaction_id: str) -> SigningTransaction:
        tx = self._locked(session, owner, transaction_id, self.clock.now())
        if tx.state != rules.DRAFT:
            raise _wrong_state(tx, "documents, fields and signatures are added to a draft (the mock's own rule)")
        return tx

    def _expire_due(
        self, session: Session, owner: str, now: datetime, *, only: SigningTransaction | None = None
    ) -> None:
        """Every started transaction of ``owner`` (or ``only``) past its ``expires_at`` becomes ``expired``."""
        query = select(SigningTransaction).where(
            SigningTransaction.owner == owner,
            SigningTransaction.state == rules.STARTED,
            SigningTransaction.expires_at <= now,
        )
        if only is not None:
            query = query.where(SigningTransaction.id == only.id)
        for tx in session.scalars(query.order_by(SigningTransaction.seq)).all():
            changed = rows_changed(
                session,
                update(SigningTransaction)
                .where(SigningTransaction.id == tx.id, SigningTransaction.state == rules.STARTED)
                .values(state=rules.EXPIRED, ended_at=now),
            )
            if changed == 1:
                session.refresh(tx)
                emit(session, owner=owner, type="transaction.lifecycle.expired", data=_summary(tx), at=now)


def _count(session: Session, model: Any, transaction_id: str) -> int:
    return int(
        session.scalar(select(func.count()).select_from(model).where(model.transaction_id == transaction_id)) or 0
    )


def _wrong_state(tx: SigningTransaction, detail: str) -> Conflict:
    return Conflict(detail, code="transaction_wrong_state", extra={"state": tx.state})


def _summary(tx: SigningTransaction) -> dict[str, Any]:
    """An event's ``data``: the transaction as it is after the change."""
    return {
        "object": "transaction",
        "id": tx.id,
        "name": tx.name,
        "state": tx.state,
        "expires_at": instant(tx.expires_at),
    }
