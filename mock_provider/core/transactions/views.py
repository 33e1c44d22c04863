"""What the transaction API answers: typed, frozen views of a file, a transaction and its parts, each with its
JSON shape (``as_json``: Universign's field names, with ``object`` naming the kind), and :func:`transaction_view`,
which reads one transaction's parts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core.transactions import rules
from mock_provider.core.transactions.models import (
    SigningTransaction,
    TransactionDocument,
    TransactionField,
    TransactionSignature,
)


def instant(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class FileView:
    id: str
    name: str
    size: int
    pages: int
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "object": "file",
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "pages": self.pages,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class FieldView:
    id: str
    document_id: str
    type: str
    page: int
    x: int
    y: int
    #: The signer bound to it, if any.
    signer: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "object": "field",
            "id": self.id,
            "document": self.document_id,
            "type": self.type,
            "page": self.page,
            "x": self.x,
            "y": self.y,
            "width": rules.FIELD_WIDTH,
            "height": rules.FIELD_HEIGHT,
            "signer": self.signer,
        }


@dataclass(frozen=True)
class DocumentView:
    id: str
    name: str
    file_id: str
    pages: int
    fields: tuple[FieldView, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "object": "document",
            "id": self.id,
            "name": self.name,
            "file": self.file_id,
            "pages": self.pages,
            "fields": [f.as_json() for f in self.fields],
        }


@dataclass(frozen=True)
class SignatureView:
    id: str
    signer: str
    field_id: str
    document_id: str

    def as_json(self) -> dict[str, Any]:
        return {
            "object": "signature",
            "id": self.id,
            "signer": self.signer,
            "field": self.field_id,
            "document": self.document_id,
        }


@dataclass(frozen=True)
class TransactionView:
    id: str
    name: str
    language: str
    state: str
    duration: int
    created_at: datetime
    started_at: datetime | None
    expires_at: datetime | None
    ended_at: datetime | None
    documents: tuple[DocumentView, ...]
    signatures: tuple[SignatureView, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "object": "transaction",
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "state": self.state,
            "duration": self.duration,
            "created_at": self.created_at.isoformat(),
            "started_at": instant(self.started_at),
            "expires_at": instant(self.expires_at),
            "ended_at": instant(self.ended_at),
            "documents": [d.as_json() for d in self.documents],
            "participants": [{"email": e} for e in dict.fromkeys(s.signer for s in self.signatures)],
            "signatures": [s.as_json() for s in self.signatures],
        }


@dataclass(frozen=True)
class TransactionPage:
    data: tuple[TransactionView, ...]
    has_more: bool

    def as_json(self) -> dict[str, Any]:
        return {"data": [t.as_json() for t in self.data], "has_more": self.has_more}


def transaction_view(session: Session, tx: SigningTransaction) -> TransactionView:
    """The transaction as it is in ``session``, with its documents, fields and signatures in their order."""
    documents = session.scalars(
        select(TransactionDocument)
        .where(TransactionDocument.transaction_id == tx.id)
        .order_by(TransactionDocument.position)
    ).all()
    fields = session.scalars(
        select(TransactionField).where(TransactionField.transaction_id == tx.id).order_by(TransactionField.position)
    ).all()
    signatures = session.scalars(
        select(TransactionSignature)
        .where(TransactionSignature.transaction_id == tx.id)
        .order_by(TransactionSignature.position)
    ).all()
    signer_of = {s.field_id: s.signer for s in signatures}
    document_of = {f.id: f.document_id for f in fields}
    return TransactionView(
        id=tx.id,
        name=tx.name,
        language=tx.language,
        state=tx.state,
        duration=tx.duration,
        created_at=tx.created_at,
        started_at=tx.started_at,
        expires_at=tx.expires_at,
        ended_at=tx.ended_at,
        documents=tuple(
            DocumentView(
                d.id,
                d.name,
                d.file_id,
                len(json.loads(d.pages)),
                tuple(
                    FieldView(f.id, d.id, f.type, f.page, f.x, f.y, signer_of.get(f.id))
                    for f in fields
                    if f.document_id == d.id
                ),
            )
            for d in documents
        ),
        signatures=tuple(SignatureView(s.id, s.signer, s.field_id, document_of[s.field_id]) for s in signatures),
    )
