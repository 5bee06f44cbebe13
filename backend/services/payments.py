# SPDX-License-Identifier: EUPL-1.2
"""Payment requests, payments and refunds.

A merchant creates a request (amount, description, expiry) with a short code; the citizen opens it by code
and confirms with the PIN. The backend then signs the citizen's EIP-712 authorization with the custodial key
and queues it in the outbox, all in one transaction. The request becomes "paid" when the indexer sees
`PaymentMade` (see `chain_sync`). Refunds are the same, signed by the merchant, never more than paid minus
what is already refunded or being refunded.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import timedelta

import segno
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.errors import Forbidden, NotFound, ValidationFailed
from backend.ledger import Ledger
from backend.models.accounts import User, UserKind
from backend.models.money import ChainStatus, Payment, PaymentRequest, Refund, RequestStatus
from backend.models.participants import Citizen, Merchant, MerchantMember, ParticipantStatus
from backend.relayer import outbox
from backend.relayer.authorizations import sign_transfer
from backend.services import accounts
from backend.services.money_common import (
    AlreadyPaid,
    InsufficientBalance,
    InvalidState,
    RefundTooLarge,
    RequestExpired,
    active_merchant,
    available,
    citizen_of,
    ensure_not_paused,
    lock,
    membership,
    now,
    publish,
    random_b32,
    refresh_failures,
    short_code,
)
from heitje.settings import Settings

log = logging.getLogger(__name__)

MAX_PAYMENT_CENTS = 100_000  # €1,000 per payment: the yearly cap is €1,500, so anything above is a typo
AUTHORIZATION_VALID_FOR = 3600


def payment_url(settings: Settings, code: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/pay/{code}"


def qr_svg(settings: Settings, code: str) -> bytes:
    buf = io.BytesIO()
    segno.make(payment_url(settings, code), error="m").save(buf, kind="svg", scale=8, border=2, title=code)
    return buf.getvalue()


def create_request(
    session: Session, settings: Settings, user: User, *, amount: int, description: str, ttl_seconds: int | None
) -> PaymentRequest:
    merchant = active_merchant(session, user)
    if not 1 <= amount <= MAX_PAYMENT_CENTS:
        raise ValidationFailed(f"amount must be 1 to {MAX_PAYMENT_CENTS} cents", field="amount")
    ttl = ttl_seconds if ttl_seconds is not None else settings.payment_request_ttl_seconds
    if not 30 <= ttl <= 86_400:
        raise ValidationFailed("ttl_seconds must be 30 to 86400", field="ttl_seconds")
    created = now()
    for _ in range(5):
        code = short_code()
        if session.scalar(select(PaymentRequest.id).where(PaymentRequest.code == code)) is None:
            break
    req = PaymentRequest(
        code=code,
        merchant_id=merchant.id,
        created_by=user.id,
        amount=amount,
        description=description,
        status=RequestStatus.open,
        payment_ref=random_b32(),
        expires_at=created + timedelta(seconds=ttl),
        created_at=created,
    )
    session.add(req)
    session.flush()
    publish(session, merchant.id, "payment_request.created", {"code": code, "amount": amount})
    return req


def find_request(session: Session, code: str) -> PaymentRequest:
    req = session.scalars(select(PaymentRequest).where(PaymentRequest.code == code.upper())).one_or_none()
    if req is None:
        raise NotFound("no payment request with this code")
    return req


@dataclass(frozen=True)
class RequestView:
    request: PaymentRequest
    merchant_name: str
    payment: Payment | None
    expired: bool


def view_request(session: Session, user: User, code: str) -> RequestView:
    """Merchant members see their own requests; citizens see open ones (the code is the capability) and
    the ones they paid; officers with a reading role see all."""
    req = find_request(session, code)
    payment = session.scalars(
        select(Payment).where(Payment.request_id == req.id, Payment.status != ChainStatus.failed)
    ).first()
    if payment is not None:
        refresh_failures(session, [payment])
        if payment.status == ChainStatus.failed:
            payment = None
    if user.kind == UserKind.merchant:
        if membership(session, user).merchant_id != req.merchant_id:
            raise NotFound("no payment request with this code")
    elif user.kind == UserKind.citizen:
        mine = payment is not None and payment.citizen_id == citizen_of(session, user).id
        if req.status not in (RequestStatus.open,) and not mine:
            raise NotFound("no payment request with this code")
    elif not user.has_role("auditor", "settlement_officer"):
        raise Forbidden("needs the auditor or settlement officer role")
    merchant = session.get(Merchant, req.merchant_id)
    assert merchant is not None
    return RequestView(req, merchant.business_name, payment, is_expired(req))


def is_expired(req: PaymentRequest) -> bool:
    return req.status == RequestStatus.open and req.expires_at <= now()


def pay(session: Session, ledger: Ledger, user: User, code: str, pin: str) -> Payment:
    """Pay a request: PIN, then every check, then sign and queue — in one transaction, under row locks on the
    request and the citizen so that two payments can never spend the same balance."""
    ensure_not_paused(session)
    citizen = citizen_of(session, user, for_update=True)
    accounts.check_pin(session, user, pin)
    req_id = find_request(session, code).id
    req = lock(session, PaymentRequest, req_id)
    if req.status in (RequestStatus.paying, RequestStatus.paid):
        raise AlreadyPaid("this payment request is already paid")
    if req.status != RequestStatus.open:
        raise InvalidState("this payment request was cancelled")
    if req.expires_at <= now():
        raise RequestExpired("this payment request has expired; ask the shop for a new one")
    if citizen.status != ParticipantStatus.active or not citizen.address:
        raise InvalidState("your wallet is not active")
    merchant = session.get(Merchant, req.merchant_id)
    if merchant is None or merchant.status != ParticipantStatus.active or not merchant.address:
        raise InvalidState("this shop cannot receive payments at the moment")
    can_spend = available(session, citizen.address)
    if req.amount > can_spend:
        raise InsufficientBalance(
            f"you have {can_spend / 100:.2f} Heitjes available; this payment is {req.amount / 100:.2f}",
            available=can_spend,
            amount=req.amount,
        )
    payment = Payment(
        request_id=req.id,
        citizen_id=citizen.id,
        merchant_id=merchant.id,
        from_address=citizen.address.lower(),
        to_address=merchant.address.lower(),
        amount=req.amount,
        payment_ref=req.payment_ref,
        nonce="0",
        business_key=f"payment-request:{req.id}:{short_code(6)}",
        status=ChainStatus.pending,
        created_at=now(),
    )
    args = sign_transfer(
        session,
        ledger.chain_id,
        ledger.address,
        from_=citizen.address,
        to=merchant.address,
        value=req.amount,
        payment_ref=req.payment_ref,
        valid_for=AUTHORIZATION_VALID_FOR,
    )
    payment.nonce = str(args["nonce"])
    session.add(payment)
    session.flush()
    payment.business_key = f"payment:{payment.id}"
    outbox.enqueue(session, business_key=payment.business_key, action="transferWithAuthorization", args=args)
    req.status = RequestStatus.paying
    publish(session, merchant.id, "payment.authorized", {"code": req.code, "payment_id": payment.id,
                                                         "amount": req.amount})  # fmt: skip
    log.info("payment %s authorized for request %s", payment.id, req.id)
    return payment


def cancel_request(session: Session, user: User, code: str) -> PaymentRequest:
    member = membership(session, user)
    req = lock(session, PaymentRequest, find_request(session, code).id)
    if req.merchant_id != member.merchant_id:
        raise NotFound("no payment request with this code")
    if req.status != RequestStatus.open:
        raise InvalidState(f"a {req.status} request cannot be cancelled")
    req.status = RequestStatus.cancelled
    return req


def refunded_or_pending(session: Session, payment_id: int) -> int:
    rows = list(session.scalars(select(Refund).where(Refund.payment_id == payment_id)))
    refresh_failures(session, rows)
    return sum(r.amount for r in rows if r.status != ChainStatus.failed)


def refund(session: Session, ledger: Ledger, user: User, payment_id: int, amount: int, reason: str) -> Refund:
    ensure_not_paused(session)
    merchant = active_merchant(session, user, for_update=True)
    payment = session.get(Payment, payment_id)
    if payment is None or payment.merchant_id != merchant.id:
        raise NotFound("no such payment")
    if payment.status != ChainStatus.confirmed:
        raise InvalidState("only a payment that has arrived can be refunded")
    if amount < 1:
        raise ValidationFailed("amount must be at least 1 cent", field="amount")
    left = payment.amount - refunded_or_pending(session, payment.id)
    if amount > left:
        raise RefundTooLarge(f"at most {left / 100:.2f} can still be refunded on this payment", refundable=left)
    assert merchant.address is not None
    if amount > available(session, merchant.address):
        raise InsufficientBalance("the shop's balance is too low for this refund (payouts in progress?)")
    citizen = session.get(Citizen, payment.citizen_id)
    assert citizen is not None
    if not citizen.address or citizen.status != ParticipantStatus.active:
        raise InvalidState("the citizen's wallet is not active; contact the municipality")
    args = sign_transfer(
        session,
        ledger.chain_id,
        ledger.address,
        from_=merchant.address,
        to=citizen.address,
        value=amount,
        payment_ref=payment.payment_ref,
        valid_for=AUTHORIZATION_VALID_FOR,
    )
    row = Refund(
        payment_id=payment.id,
        merchant_id=merchant.id,
        citizen_id=citizen.id,
        created_by=user.id,
        from_address=merchant.address.lower(),
        to_address=citizen.address.lower(),
        amount=amount,
        reason=reason,
        nonce=str(args["nonce"]),
        business_key=f"refund:{payment.id}:{args['nonce']}",
        status=ChainStatus.pending,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    outbox.enqueue(session, business_key=row.business_key, action="transferWithAuthorization", args=args)
    publish(session, merchant.id, "refund.authorized", {"payment_id": payment.id, "refund_id": row.id,
                                                        "amount": amount})  # fmt: skip
    return row


def merchant_payments(
    session: Session, user: User, limit: int, offset: int
) -> tuple[list[Payment], int, dict[int, int]]:
    member = membership(session, user)
    q = select(Payment).where(Payment.merchant_id == member.merchant_id, Payment.status != ChainStatus.failed)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = list(session.scalars(q.order_by(Payment.id.desc()).limit(limit).offset(offset)))
    refresh_failures(session, rows)
    refunded: dict[int, int] = {}
    if rows:
        for pid, amount in session.execute(
            select(Refund.payment_id, func.sum(Refund.amount))
            .where(Refund.payment_id.in_([r.id for r in rows]), Refund.status != ChainStatus.failed)
            .group_by(Refund.payment_id)
        ):
            refunded[int(pid)] = int(amount or 0)
    return rows, total, refunded


def merchant_of_user(session: Session, user_id: int) -> int | None:
    return session.scalar(select(MerchantMember.merchant_id).where(MerchantMember.user_id == user_id))
