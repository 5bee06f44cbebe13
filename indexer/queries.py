# SPDX-License-Identifier: EUPL-1.2
"""Typed reads of the mirror for the API, the dashboard and the CLI. Each takes an open `Session`.

Addresses, ids and references are accepted in any case and compared lowercase. Every lookup is served by
a primary key or an index (a wallet read stays at a few milliseconds with 100,000+ events indexed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from indexer.models import (
    IdxBalance,
    IdxContractState,
    IdxCursor,
    IdxEarning,
    IdxMerchantReceipt,
    IdxParticipant,
    IdxPayment,
    IdxRedemption,
    IdxSupply,
    IdxTaskReward,
    IdxTransfer,
)


def _hex(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value.lower()


@dataclass(frozen=True)
class Movement:
    """One line of a wallet's history. `amount` is signed from the wallet's point of view."""

    block_number: int
    log_index: int
    tx_hash: str
    time: datetime
    kind: str
    counterparty: str
    amount: int
    reference: str | None


@dataclass(frozen=True)
class TaskReward:
    task_id: int
    citizen: str
    citizen_id: str | None
    amount: int
    year: int
    block_number: int
    block_time: datetime
    tx_hash: str


@dataclass(frozen=True)
class Redemption:
    payout_id: str
    merchant: str
    amount: int
    status: str  # requested | settled | rejected
    bank_reference: str | None
    reason: str | None
    returned_to: str | None
    requested_block: int
    requested_time: datetime
    settled_block: int | None
    settled_time: datetime | None
    settled_tx_hash: str | None


@dataclass(frozen=True)
class Payment:
    kind: str  # payment | refund
    citizen: str
    merchant: str
    amount: int
    payment_ref: str
    nonce: int
    block_number: int
    block_time: datetime
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class Participant:
    address: str
    kind: str  # citizen | merchant
    citizen_id: str | None
    suspended: bool
    enrolled_block: int
    enrolled_time: datetime
    recovered_from: str | None
    recovered_to: str | None

    @property
    def active(self) -> bool:
        return self.recovered_to is None and not self.suspended


@dataclass(frozen=True)
class Supply:
    minted: int
    burned: int
    escrow: int
    outstanding: int
    paused: bool
    yearly_cap: int


@dataclass(frozen=True)
class MerchantTotals:
    merchant: str
    payments: int
    received: int
    refunds: int
    refunded: int
    redemptions: int
    redeemed: int
    settled: int
    rejected: int


@dataclass(frozen=True)
class Status:
    """Where the mirror stands. `lag` is set when the caller passes the node's head block."""

    block_number: int
    block_hash: str
    events: int
    reorgs: int
    updated_at: datetime
    head: int | None = None

    @property
    def lag(self) -> int | None:
        return None if self.head is None else max(0, self.head - self.block_number)


def balance_of(session: Session, address: str) -> int:
    """The balance in cents (0 for an address the mirror never saw)."""
    value = session.scalar(select(IdxBalance.balance).where(IdxBalance.address == _hex(address)))
    return int(value or 0)


def earnings(session: Session, citizen_id: str | bytes, year: int) -> int:
    """Cents minted to the person `citizen_id` in Amsterdam civil year `year` (the earnings statement)."""
    value = session.scalar(
        select(IdxEarning.amount).where(IdxEarning.citizen_id == _hex(citizen_id), IdxEarning.year == year)
    )
    return int(value or 0)


def earnings_by_year(session: Session, citizen_id: str | bytes) -> dict[int, int]:
    rows = session.execute(
        select(IdxEarning.year, IdxEarning.amount)
        .where(IdxEarning.citizen_id == _hex(citizen_id))
        .order_by(IdxEarning.year)
    )
    return {year: int(amount) for year, amount in rows}


def history(session: Session, address: str, limit: int = 50, offset: int = 0) -> list[Movement]:
    """A wallet's movements, newest first. Both halves are index range scans limited before the merge."""
    who = _hex(address)
    n = limit + offset
    t = IdxTransfer
    cols = (
        t.block_number,
        t.log_index,
        t.tx_hash,
        t.block_time,
        t.kind,
        t.from_address,
        t.to_address,
        t.amount,
        t.reference,
    )
    order = (t.block_number.desc(), t.log_index.desc())
    out_q = select(*cols).where(t.from_address == who).order_by(*order).limit(n)
    in_q = select(*cols).where(t.to_address == who).order_by(*order).limit(n)
    both = union_all(out_q.subquery().select(), in_q.subquery().select()).subquery()
    rows = session.execute(
        select(both).order_by(both.c.block_number.desc(), both.c.log_index.desc()).limit(limit).offset(offset)
    )
    result = []
    for r in rows:
        outgoing = r.from_address == who
        result.append(
            Movement(
                block_number=r.block_number,
                log_index=r.log_index,
                tx_hash=r.tx_hash,
                time=_utc(r.block_time),
                kind=r.kind,
                counterparty=r.to_address if outgoing else r.from_address,
                amount=-int(r.amount) if outgoing else int(r.amount),
                reference=r.reference,
            )
        )
    return result


def _utc(value: datetime) -> datetime:
    # Rows read through a union bypass the column type: normalise the timezone here.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def task_reward(session: Session, task_id: int) -> TaskReward | None:
    r = session.get(IdxTaskReward, str(task_id))
    if r is None:
        return None
    return TaskReward(
        int(r.task_id), r.citizen, r.citizen_id, r.amount, r.year, r.block_number, r.block_time, r.tx_hash
    )


def redemption(session: Session, payout_id: str | bytes) -> Redemption | None:
    r = session.get(IdxRedemption, _hex(payout_id))
    if r is None:
        return None
    return Redemption(
        r.payout_id,
        r.merchant,
        r.amount,
        r.status,
        r.bank_reference,
        r.reason,
        r.returned_to,
        r.requested_block,
        r.requested_time,
        r.settled_block,
        r.settled_time,
        r.settled_tx_hash,
    )


def payments_by_ref(session: Session, payment_ref: str | bytes) -> list[Payment]:
    """Payments and refunds carrying a payment reference (a QR payment request), oldest first."""
    rows = session.execute(
        select(IdxPayment)
        .where(IdxPayment.payment_ref == _hex(payment_ref))
        .order_by(IdxPayment.block_number, IdxPayment.log_index)
    ).scalars()
    return [
        Payment(
            p.kind,
            p.citizen,
            p.merchant,
            p.amount,
            p.payment_ref,
            int(p.nonce),
            p.block_number,
            p.block_time,
            p.tx_hash,
            p.log_index,
        )
        for p in rows
    ]


def participant(session: Session, address: str) -> Participant | None:
    p = session.get(IdxParticipant, _hex(address))
    if p is None:
        return None
    return Participant(
        p.address,
        p.kind,
        p.citizen_id,
        p.suspended,
        p.enrolled_block,
        p.enrolled_time,
        p.recovered_from,
        p.recovered_to,
    )


def merchant_totals(session: Session, merchant: str) -> MerchantTotals | None:
    m = session.get(IdxMerchantReceipt, _hex(merchant))
    if m is None:
        return None
    return MerchantTotals(
        m.merchant, m.payments, m.received, m.refunds, m.refunded, m.redemptions, m.redeemed, m.settled, m.rejected
    )


def supply(session: Session) -> Supply:
    s = session.get(IdxSupply, 1)
    c = session.get(IdxContractState, 1)
    return Supply(
        minted=s.minted if s else 0,
        burned=s.burned if s else 0,
        escrow=s.escrow if s else 0,
        outstanding=s.outstanding if s else 0,
        paused=c.paused if c else False,
        yearly_cap=c.yearly_cap if c else 0,
    )


def status(session: Session, head: int | None = None) -> Status | None:
    """The cursor (None before the first run); pass the node's head block to get the lag."""
    c = session.get(IdxCursor, 1)
    if c is None:
        return None
    return Status(c.block_number, c.block_hash, c.events, c.reorgs, c.updated_at, head)
