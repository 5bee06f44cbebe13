# SPDX-License-Identifier: EUPL-1.2
"""The indexer's page hook for the money side: payments, refunds, payouts, recoveries and the pause flag
move to their on-chain outcome inside the indexer's page transaction, so the SQL state and the mirror never
disagree. Register `on_page` (and `on_rollback`) with the indexer's `Store`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.models.money import (
    BatchStatus,
    ChainStatus,
    LedgerStatus,
    Payment,
    PaymentRequest,
    Payout,
    PayoutStatus,
    Recovery,
    RecoveryStatus,
    Refund,
    RequestStatus,
    SettlementBatch,
)
from backend.models.participants import Citizen, Merchant
from backend.services.money_common import now, publish

log = logging.getLogger(__name__)


def _when(event: Any) -> Any:
    return event.block_time or now()


def on_page(session: Session, events: Sequence[Any]) -> None:
    for e in events:
        handler = _HANDLERS.get(e.name)
        if handler is not None:
            handler(session, e)


def _payment(session: Session, e: Any) -> None:
    a = e.args
    row = session.scalars(
        select(Payment).where(
            Payment.payment_ref == a["paymentRef"],
            Payment.from_address == a["citizen"],
            Payment.nonce == str(a["nonce"]),
        )
    ).first()
    if row is None or row.status == ChainStatus.confirmed:
        return
    row.status, row.tx_hash, row.block_number, row.confirmed_at = (
        ChainStatus.confirmed,
        e.tx_hash,
        e.block_number,
        _when(e),
    )
    req = session.get(PaymentRequest, row.request_id)
    if req is not None:
        req.status, req.paid_at = RequestStatus.paid, _when(e)
        publish(session, row.merchant_id, "payment.received",
                {"code": req.code, "payment_id": row.id, "amount": row.amount, "tx_hash": e.tx_hash})  # fmt: skip


def _refund(session: Session, e: Any) -> None:
    a = e.args
    row = session.scalars(
        select(Refund).where(Refund.from_address == a["merchant"], Refund.nonce == str(a["nonce"]))
    ).first()
    if row is None or row.status == ChainStatus.confirmed:
        return
    row.status, row.tx_hash, row.block_number, row.confirmed_at = (
        ChainStatus.confirmed,
        e.tx_hash,
        e.block_number,
        _when(e),
    )
    publish(session, row.merchant_id, "refund.completed",
            {"payment_id": row.payment_id, "refund_id": row.id, "amount": row.amount})  # fmt: skip


def _payout(session: Session, payout_id: str) -> Payout | None:
    return session.scalars(select(Payout).where(Payout.payout_id == payout_id)).first()


def _requested(session: Session, e: Any) -> None:
    p = _payout(session, e.args["payoutId"])
    if p is None or p.status not in (PayoutStatus.requested, PayoutStatus.failed):
        return
    p.status, p.escrowed_at = PayoutStatus.escrowed, _when(e)
    publish(session, p.merchant_id, "payout.escrowed", {"payout": p.public_id, "amount": p.amount})


def _finished(session: Session, e: Any, status: PayoutStatus) -> None:
    p = _payout(session, e.args["payoutId"])
    if p is None or p.status == status:
        return
    p.status, p.finished_at = status, _when(e)
    publish(session, p.merchant_id, f"payout.{status}", {"payout": p.public_id, "amount": p.amount})
    if p.batch_id is not None:
        open_lines = session.scalar(
            select(Payout.id).where(
                Payout.batch_id == p.batch_id, Payout.status.not_in((PayoutStatus.settled, PayoutStatus.rejected))
            )
        )
        if open_lines is None:
            session.execute(
                update(SettlementBatch)
                .where(SettlementBatch.id == p.batch_id, SettlementBatch.status == BatchStatus.confirmed)
                .values(status=BatchStatus.closed)
            )


def _recovered(session: Session, e: Any) -> None:
    lost, replacement = e.args["lost"], e.args["replacement"]
    rec = session.scalars(
        select(Recovery).where(Recovery.lost_address == lost, Recovery.replacement_address == replacement)
    ).first()
    if rec is not None and rec.status != RecoveryStatus.completed:
        rec.status, rec.completed_at = RecoveryStatus.completed, _when(e)
    for model in (Citizen, Merchant):
        session.execute(update(model).where(model.address == lost).values(address=replacement))


def _pause(session: Session, e: Any, paused: bool) -> None:
    row = session.get(LedgerStatus, 1)
    if row is None:
        row = LedgerStatus(id=1, paused=paused, reason="", generation=0)
        session.add(row)
    if row.paused != paused:
        row.paused = paused
        row.reason = row.reason or ("paused on the ledger" if paused else "")
        row.changed_at = _when(e)
        row.generation += 1


_HANDLERS = {
    "PaymentMade": _payment,
    "RefundMade": _refund,
    "RedemptionRequested": _requested,
    "RedemptionSettled": lambda s, e: _finished(s, e, PayoutStatus.settled),
    "RedemptionRejected": lambda s, e: _finished(s, e, PayoutStatus.rejected),
    "AccountRecovered": _recovered,
    "Paused": lambda s, e: _pause(s, e, True),
    "Unpaused": lambda s, e: _pause(s, e, False),
}


def on_rollback(session: Session, ancestor: int) -> None:
    """After a reorg: movements confirmed above the common ancestor are pending again (the relayer re-sends
    or the indexer sees them again)."""
    for model in (Payment, Refund):
        session.execute(
            update(model)
            .where(model.status == ChainStatus.confirmed, model.block_number > ancestor)
            .values(status=ChainStatus.pending, block_number=None, tx_hash=None, confirmed_at=None)
        )
    session.execute(
        update(PaymentRequest)
        .where(
            PaymentRequest.status == RequestStatus.paid,
            PaymentRequest.id.in_(select(Payment.request_id).where(Payment.status == ChainStatus.pending)),
        )
        .values(status=RequestStatus.paying, paid_at=None)
    )
