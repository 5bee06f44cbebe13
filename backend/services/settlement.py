# SPDX-License-Identifier: EUPL-1.2
"""Payouts and euro settlement.

1. A merchant owner requests a payout (≤ available balance): the merchant's signed redemption is queued;
   the tokens move into escrow on-chain (`RedemptionRequested` → payout "escrowed").
2. A settlement officer builds a batch of escrowed payouts for an execution date. A batch over the
   four-eyes threshold waits for a second settlement officer's approval.
3. The SEPA credit-transfer file (pain.001.001.03, the municipality as debtor, EndToEndId = payout id) is
   built with sepaxml and validated against the XSD shipped with it.
4. After the bank executed it, the officer confirms with the bank reference (lines the bank refused are
   listed as failed): `settleRedemption` (burn) per executed line, `rejectRedemption` (tokens back) per
   failed line, queued in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sepaxml import SepaTransfer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.errors import NotFound, ValidationFailed
from backend.ledger import Ledger
from backend.models.accounts import User
from backend.models.money import BatchStatus, Payout, PayoutStatus, SettlementBatch
from backend.models.participants import Merchant
from backend.relayer import outbox
from backend.relayer.authorizations import sign_redemption
from backend.services import audit
from backend.services.money_common import (
    FourEyesRequired,
    InsufficientBalance,
    InvalidState,
    active_merchant,
    available,
    ensure_not_paused,
    lock,
    membership,
    now,
    publish,
    refresh_failures,
    sepa_text,
    short_code,
    text_b32,
)
from heitje.settings import Settings

log = logging.getLogger(__name__)

SEPA_SCHEMA = "pain.001.001.03"
MIN_PAYOUT_CENTS = 100  # €1: below that the bank costs more than the payout
MAX_LINES_PER_BATCH = 5_000


# ─────────────────────────── payouts ───────────────────────────


def request_payout(session: Session, ledger: Ledger, user: User, amount: int) -> Payout:
    ensure_not_paused(session)
    merchant = active_merchant(session, user, owner_only=True, for_update=True)
    assert merchant.address is not None
    if amount < MIN_PAYOUT_CENTS:
        raise ValidationFailed(f"a payout is at least {MIN_PAYOUT_CENTS} cents", field="amount")
    can = available(session, merchant.address)
    if amount > can:
        raise InsufficientBalance(
            f"the balance available for payout is {can / 100:.2f}; asked {amount / 100:.2f}", available=can
        )
    public_id = "HP" + short_code(14)
    payout_id = text_b32(public_id)
    args = sign_redemption(
        session, ledger.chain_id, ledger.address, merchant=merchant.address, value=amount, payout_id=payout_id
    )
    payout = Payout(
        public_id=public_id,
        payout_id=payout_id,
        merchant_id=merchant.id,
        requested_by=user.id,
        from_address=merchant.address.lower(),
        amount=amount,
        nonce=str(args["nonce"]),
        business_key=f"payout:{public_id}",
        status=PayoutStatus.requested,
        creditor_name=merchant.business_name[:70],
        creditor_iban=merchant.iban.replace(" ", "").upper(),
        creditor_bic=merchant.bic.upper(),
        created_at=now(),
    )
    session.add(payout)
    session.flush()
    outbox.enqueue(session, business_key=payout.business_key, action="requestRedemptionWithAuthorization", args=args)
    publish(session, merchant.id, "payout.requested", {"payout": public_id, "amount": amount})
    return payout


def merchant_payouts(session: Session, user: User, limit: int, offset: int) -> tuple[list[Payout], int]:
    member = membership(session, user)
    q = select(Payout).where(Payout.merchant_id == member.merchant_id)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = list(session.scalars(q.order_by(Payout.id.desc()).limit(limit).offset(offset)))
    refresh_failures(session, rows)
    return rows, total


def all_payouts(session: Session, status: str | None, limit: int, offset: int) -> tuple[list[Payout], int]:
    q = select(Payout)
    if status:
        q = q.where(Payout.status == status)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = list(session.scalars(q.order_by(Payout.id.desc()).limit(limit).offset(offset)))
    refresh_failures(session, rows)
    return rows, total


# ─────────────────────────── batches ───────────────────────────


def create_batch(session: Session, settings: Settings, officer: User, execution_date: date) -> SettlementBatch:
    """Collect every escrowed payout not yet in a batch. Payouts are locked so two officers building a batch
    at once cannot both take the same payout."""
    today = now().date()
    if execution_date < today or execution_date > today + timedelta(days=60):
        raise ValidationFailed("execution_date must be today or within the next 60 days", field="execution_date")
    ids = list(
        session.scalars(
            select(Payout.id)
            .where(Payout.status == PayoutStatus.escrowed, Payout.batch_id.is_(None))
            .order_by(Payout.id)
            .limit(MAX_LINES_PER_BATCH)
        )
    )
    payouts = [lock(session, Payout, i) for i in ids]
    payouts = [p for p in payouts if p.status == PayoutStatus.escrowed and p.batch_id is None]
    if not payouts:
        raise InvalidState("there are no escrowed payouts waiting for settlement")
    total = sum(p.amount for p in payouts)
    needs_approval = total > settings.four_eyes_threshold_cents
    batch = SettlementBatch(
        message_id=f"HEITJE-{now():%Y%m%d}-{short_code(10)}",
        execution_date=execution_date,
        status=BatchStatus.awaiting_approval if needs_approval else BatchStatus.ready,
        total=total,
        line_count=len(payouts),
        created_by=officer.id,
        created_at=now(),
    )
    session.add(batch)
    session.flush()
    for p in payouts:
        p.batch_id = batch.id
        p.status = PayoutStatus.batched
    audit.append(session, actor_id=officer.id, action="settlement.batch_create", subject_type="settlement_batch",
                 subject_id=batch.id, details={"lines": len(payouts), "total_cents": total,
                                               "execution_date": execution_date.isoformat(),
                                               "four_eyes": needs_approval})  # fmt: skip
    return batch


def get_batch(session: Session, batch_id: int, *, for_update: bool = False) -> SettlementBatch:
    batch = lock(session, SettlementBatch, batch_id) if for_update else session.get(SettlementBatch, batch_id)
    if batch is None:
        raise NotFound(f"settlement batch {batch_id} does not exist")
    return batch


def batch_lines(session: Session, batch_id: int) -> list[Payout]:
    return list(session.scalars(select(Payout).where(Payout.batch_id == batch_id).order_by(Payout.id)))


def list_batches(session: Session, limit: int, offset: int) -> tuple[list[SettlementBatch], int]:
    total = int(session.scalar(select(func.count(SettlementBatch.id))) or 0)
    rows = list(
        session.scalars(select(SettlementBatch).order_by(SettlementBatch.id.desc()).limit(limit).offset(offset))
    )
    return rows, total


def approve_batch(session: Session, officer: User, batch_id: int) -> SettlementBatch:
    batch = get_batch(session, batch_id, for_update=True)
    if batch.status != BatchStatus.awaiting_approval:
        raise InvalidState(f"a {batch.status} batch needs no approval")
    if batch.created_by == officer.id:
        raise FourEyesRequired("the officer who built the batch cannot also approve it")
    batch.status = BatchStatus.ready
    batch.approved_by = officer.id
    batch.approved_at = now()
    audit.append(session, actor_id=officer.id, action="settlement.batch_approve", subject_type="settlement_batch",
                 subject_id=batch.id, details={"total_cents": batch.total})  # fmt: skip
    return batch


def sepa_xml(session: Session, settings: Settings, batch_id: int) -> bytes:
    """The pain.001.001.03 credit-transfer file of a batch, validated against the XSD shipped with sepaxml."""
    batch = get_batch(session, batch_id)
    if batch.status == BatchStatus.awaiting_approval:
        raise FourEyesRequired("this batch is over the four-eyes threshold and waits for a second officer")
    lines = batch_lines(session, batch.id)
    sepa = SepaTransfer(
        {
            "name": settings.debtor_name,
            "IBAN": settings.debtor_iban,
            "BIC": settings.debtor_bic,
            "batch": True,
            "currency": "EUR",
        },
        schema=SEPA_SCHEMA,
        clean=True,
    )
    # The message id is the batch's own, so the bank's status reports point back to it.
    msg_id = sepa._xml.find("CstmrCdtTrfInitn/GrpHdr/MsgId")
    assert msg_id is not None
    msg_id.text = sepa.msg_id = batch.message_id
    for p in lines:
        sepa.add_payment(
            {
                "name": p.creditor_name,
                "IBAN": p.creditor_iban,
                "BIC": p.creditor_bic,
                "amount": int(p.amount),
                "execution_date": batch.execution_date,
                "description": f"Heitje uitbetaling {p.public_id}",
                "endtoend_id": p.public_id,
            }
        )
    xml: bytes = sepa.export(validate=True)
    return xml


@dataclass(frozen=True)
class FailedLine:
    payout: str  # public id
    reason: str


def confirm_batch(
    session: Session,
    officer: User,
    batch_id: int,
    bank_reference: str,
    failed: list[FailedLine],
) -> SettlementBatch:
    """The bank executed the batch: settle (burn) every executed line with the bank reference, reject every
    failed line (tokens back to the merchant). One transaction; confirming twice is refused."""
    ensure_not_paused(session)
    reference = sepa_text(bank_reference, "bank_reference")
    batch = get_batch(session, batch_id, for_update=True)
    if batch.status in (BatchStatus.confirmed, BatchStatus.closed):
        raise InvalidState("this batch is already confirmed" if batch.confirmed_at else "this batch has no lines left")
    if batch.status == BatchStatus.awaiting_approval:
        raise FourEyesRequired("this batch waits for a second officer's approval")
    lines = {p.public_id: p for p in batch_lines(session, batch.id)}
    failed_by_id: dict[str, str] = {}
    for f in failed:
        if f.payout not in lines:
            raise ValidationFailed(f"payout {f.payout} is not in this batch", field="failed")
        if f.payout in failed_by_id:
            raise ValidationFailed(f"payout {f.payout} is listed twice", field="failed")
        failed_by_id[f.payout] = sepa_text(f.reason, "reason")
    if len(failed_by_id) == len(lines):
        raise ValidationFailed("every line failed: nothing was executed; reject the lines instead", field="failed")
    executed = 0
    for pid, p in lines.items():
        p = lock(session, Payout, p.id)
        if p.status != PayoutStatus.batched:
            raise InvalidState(f"payout {pid} is {p.status}")
        if pid in failed_by_id:
            p.status = PayoutStatus.rejecting
            p.reject_reason = failed_by_id[pid]
            outbox.enqueue(session, business_key=f"payout-reject:{pid}", action="rejectRedemption",
                           args={"payoutId": p.payout_id, "reason": text_b32(failed_by_id[pid])})  # fmt: skip
        else:
            p.status = PayoutStatus.settling
            p.bank_reference = reference
            executed += p.amount
            outbox.enqueue(session, business_key=f"payout-settle:{pid}", action="settleRedemption",
                           args={"payoutId": p.payout_id, "bankReference": text_b32(reference)})  # fmt: skip
    batch.status = BatchStatus.confirmed
    batch.bank_reference = reference
    batch.confirmed_by = officer.id
    batch.confirmed_at = now()
    batch.confirmed_total = executed
    audit.append(session, actor_id=officer.id, action="settlement.batch_confirm", subject_type="settlement_batch",
                 subject_id=batch.id, details={"bank_reference": reference, "executed_cents": executed,
                                               "failed_lines": sorted(failed_by_id)})  # fmt: skip
    return batch


def reject_line(session: Session, officer: User, batch_id: int, public_id: str, reason: str) -> Payout:
    """Take a line out of a batch that was not confirmed yet (e.g. the bank refused it on upload): the tokens
    go back to the merchant. The batch total shrinks accordingly."""
    ensure_not_paused(session)
    reason = sepa_text(reason, "reason")
    batch = get_batch(session, batch_id, for_update=True)
    if batch.status not in (BatchStatus.ready, BatchStatus.awaiting_approval):
        raise InvalidState(f"lines of a {batch.status} batch cannot be rejected; list failed lines when confirming")
    payout = session.scalars(select(Payout).where(Payout.public_id == public_id, Payout.batch_id == batch.id)).first()
    if payout is None:
        raise NotFound(f"payout {public_id} is not in this batch")
    payout = lock(session, Payout, payout.id)
    if payout.status != PayoutStatus.batched:
        raise InvalidState(f"payout {public_id} is {payout.status}")
    payout.status = PayoutStatus.rejecting
    payout.reject_reason = reason
    payout.batch_id = None
    batch.total -= payout.amount
    batch.line_count -= 1
    if batch.line_count == 0:
        batch.status = BatchStatus.closed  # nothing left to pay: the empty batch is finished
    outbox.enqueue(session, business_key=f"payout-reject:{public_id}", action="rejectRedemption",
                   args={"payoutId": payout.payout_id, "reason": text_b32(reason)})  # fmt: skip
    audit.append(session, actor_id=officer.id, action="settlement.line_reject", subject_type="payout",
                 subject_id=public_id, details={"batch": batch.id, "reason": reason})  # fmt: skip
    return payout


def merchant_name(session: Session, merchant_id: int) -> str:
    m = session.get(Merchant, merchant_id)
    return m.business_name if m else ""


def as_utc(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
