# SPDX-License-Identifier: EUPL-1.2
"""The relayer's tables: intents (the outbox), transactions (one per sender and nonce), every signed
variant of a transaction (for receipts after a replacement) and the nonce counter per signing address."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

import backend.keystore.models  # noqa: F401 - the keystore's table shares the relayer's migration branch
from heitje.db import Base

QUEUED, SIGNED, SENT, MINED, FAILED = "queued", "signed", "sent", "mined", "failed"
INTENT_STATUSES = (QUEUED, SIGNED, SENT, MINED, FAILED)


class Intent(Base):
    """One requested contract call, stored under a unique business key in the caller's transaction."""

    __tablename__ = "relayer_intents"
    __table_args__ = (Index("ix_relayer_intents_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_key: Mapped[str] = mapped_column(String(200), unique=True)
    action: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    args_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default=QUEUED)
    tx_id: Mapped[int | None] = mapped_column(ForeignKey("relayer_transactions.id"), index=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    error_name: Mapped[str | None] = mapped_column(String(80))
    error_args: Mapped[list[Any] | None] = mapped_column(JSON)
    #: Largest batch this intent may share after a batch it was in reverted (None: no limit).
    batch_limit: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"Intent({self.business_key!r}, {self.action}, {self.status})"


class Transaction(Base):
    """The transaction at one nonce of one signing address. Its raw bytes are stored before broadcast."""

    __tablename__ = "relayer_transactions"
    __table_args__ = (UniqueConstraint("sender", "nonce"), Index("ix_relayer_transactions_status", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    #: signed → sent → mined / reverted / dropped (nonce used by a transaction the relayer did not sign)
    status: Mapped[str] = mapped_column(String(8))
    tx_hash: Mapped[str] = mapped_column(String(66))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    gas: Mapped[int] = mapped_column(BigInteger)
    max_fee_per_gas: Mapped[int] = mapped_column(BigInteger)
    max_priority_fee_per_gas: Mapped[int] = mapped_column(BigInteger)
    intent_count: Mapped[int] = mapped_column(Integer)
    broadcasts: Mapped[int] = mapped_column(Integer, default=0)
    replacements: Mapped[int] = mapped_column(Integer, default=0)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    error_name: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TransactionVariant(Base):
    """Every signed version of a transaction (original and replacements): any of them may be mined."""

    __tablename__ = "relayer_tx_variants"

    tx_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    tx_id: Mapped[int] = mapped_column(ForeignKey("relayer_transactions.id"), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SenderNonce(Base):
    """Next nonce per signing address; only the leader relayer writes it, under a row lock."""

    __tablename__ = "relayer_nonces"

    sender: Mapped[str] = mapped_column(String(42), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    next_nonce: Mapped[int] = mapped_column(BigInteger)
