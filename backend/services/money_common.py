# SPDX-License-Identifier: EUPL-1.2
"""Shared pieces of the money side: its failures, identifiers, row locks, the pause check, the available
balance (indexed balance minus what is already signed but not yet indexed) and the merchant event feed."""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from eth_utils import keccak
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend.errors import Conflict, Forbidden, LedgerPaused, NotFound, ValidationFailed
from backend.models.accounts import User, UserKind
from backend.models.money import ChainStatus, LedgerStatus, MerchantEvent, Payment, Payout, PayoutStatus, Refund
from backend.models.participants import Citizen, Merchant, MerchantMember, ParticipantStatus
from backend.services.rows import lock
from indexer.models import IdxBalance, IdxContractState

log = logging.getLogger(__name__)

T = TypeVar("T")

#: PostgreSQL NOTIFY channel of the merchant feed; the payload is only the merchant id (no PII, no amounts).
EVENTS_CHANNEL = "heitje_merchant_events"
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed by hand
#: Characters a SEPA bank reference or EndToEndId may carry (EPC Latin subset).
SEPA_TEXT = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,35}$")


# ─────────────────────────── failures ───────────────────────────


class InsufficientBalance(Conflict):
    code, title = "insufficient-balance", "Not enough Heitjes"


class AlreadyPaid(Conflict):
    code, title = "already-paid", "This payment request is already paid"


class RequestExpired(Conflict):
    status, code, title = 410, "expired", "This payment request has expired"


class RefundTooLarge(Conflict):
    code, title = "refund-too-large", "A refund cannot exceed what was paid and not yet refunded"


class InvalidState(Conflict):
    code, title = "invalid-state", "Not possible in the current state"


class FourEyesRequired(Forbidden):
    code, title = "four-eyes-required", "A second officer must approve this"


# ─────────────────────────── identifiers ───────────────────────────


def now() -> datetime:
    return datetime.now(UTC)


def short_code(length: int = 8) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def random_b32() -> str:
    return "0x" + secrets.token_bytes(32).hex()


def text_b32(value: str) -> str:
    """A short ASCII text as bytes32 (right-padded, readable on-chain); longer texts are hashed."""
    raw = value.encode("ascii")
    if len(raw) <= 32:
        return "0x" + raw.ljust(32, b"\0").hex()
    return "0x" + keccak(raw).hex()


def sepa_text(value: str, what: str) -> str:
    value = value.strip()
    if not SEPA_TEXT.match(value):
        raise ValidationFailed(f"{what} must be 1 to 35 characters: letters, digits, space and /-?:().,'+")
    return value


# ─────────────────────────── locks and lookups ───────────────────────────


def membership(session: Session, user: User) -> MerchantMember:
    if user.kind != UserKind.merchant:
        raise Forbidden("only for merchant accounts")
    member = session.scalars(select(MerchantMember).where(MerchantMember.user_id == user.id)).one_or_none()
    if member is None:
        raise Forbidden("this account does not belong to a merchant")
    return member


def active_merchant(session: Session, user: User, *, owner_only: bool = False, for_update: bool = False) -> Merchant:
    member = membership(session, user)
    if owner_only and member.role != "owner":
        raise Forbidden("only the merchant's owner may do this")
    merchant = lock(session, Merchant, member.merchant_id) if for_update else session.get(Merchant, member.merchant_id)
    if merchant is None:
        raise NotFound("merchant not found")
    if merchant.status != ParticipantStatus.active or not merchant.address:
        raise InvalidState("the merchant is not active on the ledger")
    return merchant


def citizen_of(session: Session, user: User, *, for_update: bool = False) -> Citizen:
    if user.kind != UserKind.citizen:
        raise Forbidden("only for citizen accounts")
    cid = session.scalar(select(Citizen.id).where(Citizen.user_id == user.id))
    if cid is None:
        raise Forbidden("this account has no citizen profile")
    citizen = lock(session, Citizen, cid) if for_update else session.get(Citizen, cid)
    assert citizen is not None
    return citizen


# ─────────────────────────── pause ───────────────────────────


def ledger_status(session: Session) -> LedgerStatus:
    row = session.get(LedgerStatus, 1)
    return row if row is not None else LedgerStatus(id=1, paused=False, reason="", generation=0)


def chain_paused(session: Session) -> bool:
    state = session.get(IdxContractState, 1)
    return bool(state and state.paused)


def ensure_not_paused(session: Session) -> None:
    status = ledger_status(session)
    if status.paused:
        raise LedgerPaused(status.reason or "the ledger is paused by the municipality", paused=True)
    if chain_paused(session):
        raise LedgerPaused("the ledger contract is paused", paused=True)


# ─────────────────────────── balances ───────────────────────────


def indexed_balance(session: Session, address: str) -> int:
    value = session.scalar(select(IdxBalance.balance).where(IdxBalance.address == address.lower()))
    return int(value or 0)


def _intent_failed(session: Session, business_key: str) -> bool:
    from backend.relayer.outbox import get_intent

    intent = get_intent(session, business_key)
    return intent is not None and intent.status == "failed"


def refresh_failures(session: Session, rows: Sequence[Payment | Refund | Payout]) -> None:
    """Mark movements whose relayer intent failed, so they stop counting as pending (and a request that was
    being paid opens again)."""
    from backend.models.money import PaymentRequest, RequestStatus

    for row in rows:
        pending = row.status == (PayoutStatus.requested if isinstance(row, Payout) else ChainStatus.pending)
        if pending and _intent_failed(session, row.business_key):
            row.status = PayoutStatus.failed if isinstance(row, Payout) else ChainStatus.failed
            log.info("%s %s failed on the ledger", type(row).__name__.lower(), row.id)
            if isinstance(row, Payment):
                req = session.get(PaymentRequest, row.request_id)
                if req is not None and req.status == RequestStatus.paying:
                    req.status = RequestStatus.open


def pending_outgoing(session: Session, address: str) -> int:
    """Cents signed away from `address` whose movement is not indexed yet (and has not failed)."""
    addr = address.lower()
    rows: list[Payment | Refund | Payout] = [
        *session.scalars(select(Payment).where(Payment.from_address == addr, Payment.status == ChainStatus.pending)),
        *session.scalars(select(Refund).where(Refund.from_address == addr, Refund.status == ChainStatus.pending)),
        *session.scalars(select(Payout).where(Payout.from_address == addr, Payout.status == PayoutStatus.requested)),
    ]
    refresh_failures(session, rows)
    return sum(r.amount for r in rows if r.status in (ChainStatus.pending, PayoutStatus.requested))


def available(session: Session, address: str) -> int:
    return indexed_balance(session, address) - pending_outgoing(session, address)


# ─────────────────────────── merchant feed ───────────────────────────


def publish(session: Session, merchant_id: int, kind: str, payload: dict[str, Any]) -> None:
    """Add an event to the merchant's feed in the caller's transaction; on PostgreSQL, NOTIFY listeners
    (delivered at commit, so a listener never sees an event that was rolled back)."""
    session.add(
        MerchantEvent(merchant_id=merchant_id, kind=kind, payload=json.loads(json.dumps(payload)), created_at=now())
    )
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:c, :p)"), {"c": EVENTS_CHANNEL, "p": str(merchant_id)})


def events_after(session: Session, merchant_id: int, after_id: int, limit: int = 100) -> list[MerchantEvent]:
    return list(
        session.scalars(
            select(MerchantEvent)
            .where(MerchantEvent.merchant_id == merchant_id, MerchantEvent.id > after_id)
            .order_by(MerchantEvent.id)
            .limit(limit)
        )
    )


def last_event_id(session: Session, merchant_id: int) -> int:
    return int(session.scalar(select(func.max(MerchantEvent.id)).where(MerchantEvent.merchant_id == merchant_id)) or 0)
