# SPDX-License-Identifier: EUPL-1.2
"""The indexer's tables (Alembic branch `indexer`). Other packages read them; names and columns are stable.

Conventions: addresses and bytes32 values are lowercase 0x-hex strings; amounts are `Numeric(78, 0)` read
back as Python `int`; identifiers that may exceed 64 bits (task ids, authorization nonces) are decimal
strings; times are UTC datetimes, always stored next to the block number they come from.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, Numeric, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from heitje.db import Base, UTCDateTime


class Amount(TypeDecorator[int]):
    """uint256 as `Numeric(78, 0)`, exchanged as `int`.

    SQLite keeps NUMERIC values that fit in 64 bits as exact integers; larger values are refused by the
    driver (an error, never a silent rounding). PostgreSQL is exact over the whole uint256 range.
    """

    impl = Numeric(78, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(78, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, Decimal | float):
            return int(value)
        return int(value)


Address = String(42)
Hash32 = String(66)
BigId = String(78)  # decimal text of a uint256


class IdxCursor(Base):
    """Where the mirror stands: the last indexed block (number and hash). One row."""

    __tablename__ = "idx_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contract: Mapped[str] = mapped_column(Address)
    start_block: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(Hash32)
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    reorgs: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdxBlock(Base):
    """Blocks the mirror relies on: every block with an event, plus every block near the head (for the
    parent-hash chain that detects reorgs)."""

    __tablename__ = "idx_blocks"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(Hash32)
    parent_hash: Mapped[str] = mapped_column(Hash32)
    time: Mapped[datetime] = mapped_column(UTCDateTime)


class IdxEvent(Base):
    """The raw mirror: every log of the contract, undecoded, in chain order."""

    __tablename__ = "idx_events"

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tx_hash: Mapped[str] = mapped_column(Hash32)
    tx_index: Mapped[int] = mapped_column(Integer)
    block_hash: Mapped[str] = mapped_column(Hash32)
    name: Mapped[str] = mapped_column(String(64))
    topic0: Mapped[str] = mapped_column(Hash32)
    topic1: Mapped[str | None] = mapped_column(Hash32)
    topic2: Mapped[str | None] = mapped_column(Hash32)
    topic3: Mapped[str | None] = mapped_column(Hash32)
    data: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("uq_idx_events_tx_hash_log_index", "tx_hash", "log_index", unique=True),)


class IdxTransfer(Base):
    """Every token movement with what it was (the wallet history): kind is mint, payment, refund,
    redemption (merchant → escrow), release (escrow → merchant on a rejection), burn (settlement),
    recovery or transfer (a plain ERC-20 transfer between participants). `reference` is the task id
    (mint), payment reference (payment, refund) or payout id (redemption, release, burn)."""

    __tablename__ = "idx_transfers"

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tx_hash: Mapped[str] = mapped_column(Hash32)
    block_time: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    from_address: Mapped[str] = mapped_column(Address)
    to_address: Mapped[str] = mapped_column(Address)
    amount: Mapped[int] = mapped_column(Amount)
    reference: Mapped[str | None] = mapped_column(String(80))

    __table_args__ = (
        Index("ix_idx_transfers_from", "from_address", "block_number", "log_index"),
        Index("ix_idx_transfers_to", "to_address", "block_number", "log_index"),
    )


class IdxBalance(Base):
    """Balance per address (the escrow is the contract's own address). `transfers` counts movements."""

    __tablename__ = "idx_balances"

    address: Mapped[str] = mapped_column(Address, primary_key=True)
    balance: Mapped[int] = mapped_column(Amount)
    transfers: Mapped[int] = mapped_column(BigInteger)


class IdxParticipant(Base):
    """Enrolled addresses. A recovered (lost) address keeps its row with `recovered_to` set and is no longer
    enrolled; its replacement gets a row with `recovered_from`."""

    __tablename__ = "idx_participants"

    address: Mapped[str] = mapped_column(Address, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # citizen | merchant
    citizen_id: Mapped[str | None] = mapped_column(Hash32, index=True)
    suspended: Mapped[bool] = mapped_column(Boolean)
    enrolled_block: Mapped[int] = mapped_column(BigInteger)
    enrolled_time: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolled_tx_hash: Mapped[str] = mapped_column(Hash32)
    recovered_from: Mapped[str | None] = mapped_column(Address)
    recovered_to: Mapped[str | None] = mapped_column(Address)


class IdxTaskReward(Base):
    """One row per rewarded task (`taskId` as decimal text)."""

    __tablename__ = "idx_task_rewards"

    task_id: Mapped[str] = mapped_column(BigId, primary_key=True)
    citizen: Mapped[str] = mapped_column(Address, index=True)
    citizen_id: Mapped[str | None] = mapped_column(Hash32)
    amount: Mapped[int] = mapped_column(Amount)
    year: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_time: Mapped[datetime] = mapped_column(UTCDateTime)
    tx_hash: Mapped[str] = mapped_column(Hash32)
    log_index: Mapped[int] = mapped_column(Integer)


class IdxEarning(Base):
    """Minted per citizen (pseudonymous id) per Europe/Amsterdam civil year: the earnings statement."""

    __tablename__ = "idx_earnings"

    citizen_id: Mapped[str] = mapped_column(Hash32, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    amount: Mapped[int] = mapped_column(Amount)
    tasks: Mapped[int] = mapped_column(Integer)


class IdxPayment(Base):
    """Payments (citizen → merchant) and refunds (merchant → citizen) made with signed authorizations."""

    __tablename__ = "idx_payments"

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tx_hash: Mapped[str] = mapped_column(Hash32)
    block_time: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(8))  # payment | refund
    from_address: Mapped[str] = mapped_column(Address)
    to_address: Mapped[str] = mapped_column(Address)
    citizen: Mapped[str] = mapped_column(Address, index=True)
    merchant: Mapped[str] = mapped_column(Address, index=True)
    amount: Mapped[int] = mapped_column(Amount)
    payment_ref: Mapped[str] = mapped_column(Hash32, index=True)
    nonce: Mapped[str] = mapped_column(BigId)

    __table_args__ = (Index("uq_idx_payments_tx_hash_log_index", "tx_hash", "log_index", unique=True),)


class IdxMerchantReceipt(Base):
    """Per-merchant totals: payments received, refunds given, redemptions requested/settled/rejected."""

    __tablename__ = "idx_merchant_receipts"

    merchant: Mapped[str] = mapped_column(Address, primary_key=True)
    payments: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(Amount)
    refunds: Mapped[int] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(Amount)
    redemptions: Mapped[int] = mapped_column(BigInteger)
    redeemed: Mapped[int] = mapped_column(Amount)
    settled: Mapped[int] = mapped_column(Amount)
    rejected: Mapped[int] = mapped_column(Amount)


class IdxRedemption(Base):
    """Payout requests and their settlement state (requested | settled | rejected)."""

    __tablename__ = "idx_redemptions"

    payout_id: Mapped[str] = mapped_column(Hash32, primary_key=True)
    merchant: Mapped[str] = mapped_column(Address, index=True)
    amount: Mapped[int] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(10), index=True)
    bank_reference: Mapped[str | None] = mapped_column(Hash32)
    reason: Mapped[str | None] = mapped_column(Hash32)
    returned_to: Mapped[str | None] = mapped_column(Address)
    requested_block: Mapped[int] = mapped_column(BigInteger)
    requested_time: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_tx_hash: Mapped[str] = mapped_column(Hash32)
    settled_block: Mapped[int | None] = mapped_column(BigInteger)
    settled_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_tx_hash: Mapped[str | None] = mapped_column(Hash32)


class IdxSupply(Base):
    """Token supply. outstanding = minted − burned = totalSupply (the municipality's euro liability)."""

    __tablename__ = "idx_supply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minted: Mapped[int] = mapped_column(Amount)
    burned: Mapped[int] = mapped_column(Amount)
    escrow: Mapped[int] = mapped_column(Amount)
    outstanding: Mapped[int] = mapped_column(Amount)


class IdxRole(Base):
    """Current role holders (AccessControl); `role_name` is the constant's name where known."""

    __tablename__ = "idx_roles"

    role: Mapped[str] = mapped_column(Hash32, primary_key=True)
    account: Mapped[str] = mapped_column(Address, primary_key=True)
    role_name: Mapped[str] = mapped_column(String(32))
    granted_by: Mapped[str] = mapped_column(Address)
    granted_block: Mapped[int] = mapped_column(BigInteger)
    granted_time: Mapped[datetime] = mapped_column(UTCDateTime)


class IdxContractState(Base):
    """Contract-wide settings as last emitted: pause flag, yearly cap, pending admin handover."""

    __tablename__ = "idx_contract_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean)
    yearly_cap: Mapped[int] = mapped_column(Amount)
    pending_admin: Mapped[str | None] = mapped_column(Address)
    pending_admin_schedule: Mapped[int | None] = mapped_column(BigInteger)


#: Projection tables, emptied and rebuilt from the raw mirror on a reorg or `heitje index --rebuild`.
PROJECTIONS = (
    IdxTransfer,
    IdxBalance,
    IdxParticipant,
    IdxTaskReward,
    IdxEarning,
    IdxPayment,
    IdxMerchantReceipt,
    IdxRedemption,
    IdxSupply,
    IdxRole,
    IdxContractState,
)
