"""The transactions' tables: the operators' uploaded files, the transactions, their documents, fields and
signatures (a signer bound to a field).

Every row names its ``owner`` (the operator client that made it) or belongs to a transaction that does: an operator
sees only its own. ``core/models.py`` imports this module, so that ``Database.create_schema`` creates these tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mock_provider.core.storage import Base, UtcDateTime


class TrustFile(Base):
    """A PDF an operator uploaded (``POST /v1/files``), kept for its owner only."""

    __tablename__ = "trust_files"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    #: Each page's width and height in points, as the reader shows it (rotation applied): JSON ``[[w, h], ...]``.
    pages: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SigningTransaction(Base):
    """A transaction: ``draft`` until started, then ``started`` until cancelled or expired."""

    __tablename__ = "signing_transactions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), index=True)
    name: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), index=True)
    #: How long it runs once started, in minutes (Universign's ``duration``).
    duration: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: When it was cancelled or expired.
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: Creation order, which survives a clock that stands still.
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class TransactionDocument(Base):
    __tablename__ = "transaction_documents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("signing_transactions.id"), index=True)
    file_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(255))
    pages: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class TransactionField(Base):
    __tablename__ = "transaction_fields"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("signing_transactions.id"), index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("transaction_documents.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    page: Mapped[int] = mapped_column(Integer)
    x: Mapped[int] = mapped_column(Integer)
    y: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class TransactionSignature(Base):
    """A signer bound to a field: one per field (the unique constraint backs the rule under concurrency)."""

    __tablename__ = "transaction_signatures"
    __table_args__ = (UniqueConstraint("field_id", name="uq_transaction_signatures_field"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("signing_transactions.id"), index=True)
    field_id: Mapped[str] = mapped_column(ForeignKey("transaction_fields.id"))
    signer: Mapped[str] = mapped_column(String(320))
    position: Mapped[int] = mapped_column(Integer)
