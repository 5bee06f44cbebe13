# SPDX-License-Identifier: EUPL-1.2
"""Emergency pause and account recovery (four-eyes): officer actions that move no money themselves but
decide whether and where it may move."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import keystore
from backend.errors import NotFound, ValidationFailed
from backend.models.accounts import User
from backend.models.money import LedgerStatus, Recovery, RecoveryStatus
from backend.models.participants import Citizen, ParticipantStatus
from backend.relayer import outbox
from backend.services import audit
from backend.services.money_common import FourEyesRequired, InvalidState, ensure_not_paused, lock, now

log = logging.getLogger(__name__)


# ─────────────────────────── pause ───────────────────────────


def set_paused(session: Session, officer: User, paused: bool, reason: str) -> LedgerStatus:
    """Flip the operational flag at once (the API refuses value-moving calls from this commit on) and queue
    the on-chain pause/unpause, which stops every movement at the contract."""
    reason = reason.strip()
    if paused and not reason:
        raise ValidationFailed("say why the ledger is paused; the reason is shown to every user", field="reason")
    row = session.scalars(select(LedgerStatus).where(LedgerStatus.id == 1).with_for_update()).one_or_none()
    if row is None:
        row = LedgerStatus(id=1, paused=False, reason="", generation=0)
        session.add(row)
        session.flush()
    if row.paused == paused:
        raise InvalidState("the ledger is already paused" if paused else "the ledger is not paused")
    row.paused = paused
    row.reason = reason if paused else ""
    row.changed_by = officer.id
    row.changed_at = now()
    row.generation += 1
    action = "pause" if paused else "unpause"
    outbox.enqueue(session, business_key=f"ledger-{action}:{row.generation}", action=action, args={})
    audit.append(session, actor_id=officer.id, action=f"ledger.{action}", subject_type="ledger", subject_id=1,
                 details={"reason": reason})  # fmt: skip
    log.warning("ledger %s by officer %s", action, officer.id)
    return row


# ─────────────────────────── recovery ───────────────────────────


def start_recovery(session: Session, officer: User, citizen_id: int, reason: str) -> Recovery:
    """A recovery officer starts a recovery: a fresh custodial key is created as the replacement address."""
    ensure_not_paused(session)
    citizen = session.get(Citizen, citizen_id)
    if citizen is None:
        raise NotFound(f"citizen {citizen_id} does not exist")
    if citizen.status not in (ParticipantStatus.active, ParticipantStatus.suspended) or not citizen.address:
        raise InvalidState("only an enrolled citizen's account can be recovered")
    open_ = session.scalar(
        select(func.count(Recovery.id)).where(
            Recovery.citizen_id == citizen.id,
            Recovery.status.in_((RecoveryStatus.awaiting_approval, RecoveryStatus.approved)),
        )
    )
    if open_:
        raise InvalidState("a recovery for this citizen is already in progress")
    replacement = keystore.create_account(session, "citizen").lower()
    rec = Recovery(
        citizen_id=citizen.id,
        lost_address=citizen.address.lower(),
        replacement_address=replacement,
        reason=reason.strip()[:200],
        status=RecoveryStatus.awaiting_approval,
        requested_by=officer.id,
        requested_at=now(),
    )
    session.add(rec)
    session.flush()
    audit.append(session, actor_id=officer.id, action="recovery.start", subject_type="citizen",
                 subject_id=citizen.id, details={"recovery": rec.id})  # fmt: skip
    return rec


def decide_recovery(session: Session, officer: User, recovery_id: int, approve: bool) -> Recovery:
    """A second recovery officer approves (→ on-chain recoverAccount queued) or rejects."""
    ensure_not_paused(session)
    rec = lock(session, Recovery, recovery_id)
    if rec.status != RecoveryStatus.awaiting_approval:
        raise InvalidState(f"this recovery is {rec.status}")
    if rec.requested_by == officer.id:
        raise FourEyesRequired("the officer who started a recovery cannot approve it")
    rec.decided_by, rec.decided_at = officer.id, now()
    if approve:
        rec.status = RecoveryStatus.approved
        outbox.enqueue(session, business_key=f"recovery:{rec.id}", action="recoverAccount",
                       args={"lost": rec.lost_address, "replacement": rec.replacement_address})  # fmt: skip
    else:
        rec.status = RecoveryStatus.rejected
    audit.append(session, actor_id=officer.id, action="recovery.approve" if approve else "recovery.reject",
                 subject_type="citizen", subject_id=rec.citizen_id, details={"recovery": rec.id})  # fmt: skip
    return rec


def get_recovery(session: Session, recovery_id: int) -> Recovery:
    rec = session.get(Recovery, recovery_id)
    if rec is None:
        raise NotFound(f"recovery {recovery_id} does not exist")
    return rec


def list_recoveries(session: Session, limit: int, offset: int) -> tuple[list[Recovery], int]:
    total = int(session.scalar(select(func.count(Recovery.id))) or 0)
    return list(session.scalars(select(Recovery).order_by(Recovery.id.desc()).limit(limit).offset(offset))), total
