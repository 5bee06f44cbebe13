# SPDX-License-Identifier: EUPL-1.2
"""The money side's tables: payment requests, payments, refunds, payouts, settlement batches, recoveries,
the pause flag and the merchant event feed. Amounts are integer cents (`Cents`: Numeric on PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from heitje.db import Base, Cents
from heitje.db import UTCDateTime as UtcDateTime


class RequestStatus(StrEnum):
    open = "open"  # waiting for a citizen
    paying = "paying"  # a citizen authorized it; the relayer is submitting
    paid = "paid"  # PaymentMade indexed
    cancelled = "cancelled"


class ChainStatus(StrEnum):
    """Status of one signed movement: queued for the relayer → confirmed by the indexer, or failed."""

    pending = "pending"
    confirmed = "confirmed"
    failed = "failed"


class PayoutStatus(StrEnum):
    requested = "requested"  # authorization queued, tokens not in escrow yet
    escrowed = "escrowed"  # RedemptionRequested indexed: waiting for a batch
    batched = "batched"  # in a settlement batch
    settling = "settling"  # bank confirmed; settleRedemption queued
    settled = "settled"  # RedemptionSettled indexed (burned)
    rejecting = "rejecting"  # bank line failed; rejectRedemption queued
    rejected = "rejected"  # RedemptionRejected indexed (tokens back)
    failed = "failed"  # the request never reached escrow


class BatchStatus(StrEnum):
    awaiting_approval = "awaiting_approval"  # over the four-eyes threshold
    ready = "ready"  # may be downloaded and sent to the bank
    confirmed = "confirmed"  # bank reference recorded; settle/reject queued per line
    closed = "closed"  # every line settled or rejected on-chain


class RecoveryStatus(StrEnum):
    awaiting_approval = "awaiting_approval"
    approved = "approved"  # recoverAccount queued
    completed = "completed"  # AccountRecovered indexed
    rejected = "rejected"


class PaymentRequest(Base):
    __tablename__ = "payment_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # short public code in the QR and the URL
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[int] = mapped_column(Cents)
    description: Mapped[str] = mapped_column(String(140), default="")
    status: Mapped[str] = mapped_column(String(12), default=RequestStatus.open, index=True)
    payment_ref: Mapped[str] = mapped_column(String(66), unique=True)  # bytes32 0x-hex, on-chain reference
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Payment(Base):
    """One citizen's signed payment of a request. At most one non-failed payment per request."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_citizen_status", "citizen_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("payment_requests.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    from_address: Mapped[str] = mapped_column(String(42))
    to_address: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Cents)
    payment_ref: Mapped[str] = mapped_column(String(66), index=True)
    nonce: Mapped[str] = mapped_column(String(78))
    business_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=ChainStatus.pending)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (Index("ix_refunds_from_nonce", "from_address", "nonce", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_address: Mapped[str] = mapped_column(String(42))
    to_address: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Cents)
    reason: Mapped[str] = mapped_column(String(140), default="")
    nonce: Mapped[str] = mapped_column(String(78))
    business_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=ChainStatus.pending)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SettlementBatch(Base):
    __tablename__ = "settlement_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)  # pain.001 MsgId
    execution_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    total: Mapped[int] = mapped_column(Cents)
    line_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    bank_reference: Mapped[str | None] = mapped_column(String(35))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Σ cents of lines the bank executed (confirmed): what reconciliation compares with Σ burned.
    confirmed_total: Mapped[int | None] = mapped_column(Cents)


class Payout(Base):
    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # SEPA EndToEndId; bytes32 on-chain
    payout_id: Mapped[str] = mapped_column(String(66), unique=True)  # bytes32 0x-hex of public_id
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_address: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Cents)
    nonce: Mapped[str] = mapped_column(String(78))
    business_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=PayoutStatus.requested, index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_batches.id"), index=True)
    bank_reference: Mapped[str | None] = mapped_column(String(35))
    reject_reason: Mapped[str | None] = mapped_column(String(140))
    # Creditor details frozen at request time: the SEPA line pays exactly these.
    creditor_name: Mapped[str] = mapped_column(String(70))
    creditor_iban: Mapped[str] = mapped_column(String(34))
    creditor_bic: Mapped[str] = mapped_column(String(11))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    escrowed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Recovery(Base):
    __tablename__ = "recoveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    lost_address: Mapped[str] = mapped_column(String(42))
    replacement_address: Mapped[str] = mapped_column(String(42), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LedgerStatus(Base):
    """The operational pause flag (one row): set at once by a pauser, so the API refuses value-moving calls
    before the on-chain pause is even mined."""

    __tablename__ = "ledger_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(200), default="")
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class MerchantEvent(Base):
    """The merchant live feed, in the database so every API worker serves every merchant (SSE)."""

    __tablename__ = "merchant_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_merchant_events_merchant_id_id", "merchant_id", "id"),)
