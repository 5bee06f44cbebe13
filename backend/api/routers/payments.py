# SPDX-License-Identifier: EUPL-1.2
"""Payment requests (QR), paying with the PIN, refunds, the merchant's payments and its live event feed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.api.deps import CitizenUser, CurrentUser, DbSession, LedgerDep, MerchantUser, SettingsDep, bearer_or_cookie
from backend.api.money_schemas import (
    IdPath,
    Offset,
    PayBody,
    PaymentOut,
    PaymentRequestCreate,
    PaymentRequestOut,
    PaymentSummary,
    RefundBody,
    RefundOut,
)
from backend.api.schemas import Page
from backend.errors import Forbidden, Unauthenticated
from backend.models.money import PaymentRequest
from backend.services import payments, ratelimit
from backend.services.accounts import resolve_token
from backend.services.money_common import EVENTS_CHANNEL, events_after, last_event_id, membership
from heitje.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["payments"])

PAY_RATE_PER_MINUTE = 20
KEEP_ALIVE = 15.0  # seconds between SSE comments, so proxies keep the stream open


def _request_out(settings: Settings, view: payments.RequestView) -> PaymentRequestOut:
    r = view.request
    p = view.payment
    return PaymentRequestOut(
        code=r.code,
        status="expired" if view.expired else r.status,
        amount=r.amount,
        description=r.description,
        merchant_name=view.merchant_name,
        expires_at=r.expires_at,
        created_at=r.created_at,
        paid_at=r.paid_at,
        pay_url=payments.payment_url(settings, r.code),
        qr_svg_url=f"/api/v1/payment-requests/{r.code}/qr.svg",
        payment=PaymentSummary(id=p.id, status=p.status, amount=p.amount, tx_hash=p.tx_hash) if p else None,
    )


@router.post("/payment-requests", status_code=201, response_model=PaymentRequestOut,
             summary="Create a payment request (merchant owner or staff); show its QR code to the citizen")  # fmt: skip
def create_payment_request(
    body: PaymentRequestCreate, user: MerchantUser, session: DbSession, settings: SettingsDep
) -> PaymentRequestOut:
    req = payments.create_request(
        session, settings, user, amount=body.amount, description=body.description, ttl_seconds=body.ttl_seconds
    )
    return _request_out(settings, payments.view_request(session, user, req.code))


@router.get("/payment-requests/{code}", response_model=PaymentRequestOut,
            summary="A payment request by its short code: merchant, amount and status")  # fmt: skip
def get_payment_request(code: str, user: CurrentUser, session: DbSession, settings: SettingsDep) -> PaymentRequestOut:
    return _request_out(settings, payments.view_request(session, user, code))


@router.get("/payment-requests/{code}/qr.svg", summary="The request's QR code (SVG) encoding its payment URL",
            response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})  # fmt: skip
def payment_request_qr(code: str, user: MerchantUser, session: DbSession, settings: SettingsDep) -> Response:
    view = payments.view_request(session, user, code)
    return Response(payments.qr_svg(settings, view.request.code), media_type="image/svg+xml")


@router.post("/payment-requests/{code}/pay", response_model=PaymentRequestOut,
             summary="Pay a request, confirmed with the PIN (citizen). Send an Idempotency-Key.")  # fmt: skip
def pay_payment_request(
    code: str, body: PayBody, user: CitizenUser, session: DbSession, settings: SettingsDep, ledger: LedgerDep
) -> PaymentRequestOut:
    ratelimit.hit(session, f"pay:{user.id}", PAY_RATE_PER_MINUTE, 60)
    payments.pay(session, ledger, user, code, body.pin)
    return _request_out(settings, payments.view_request(session, user, code))


@router.post("/payment-requests/{code}/cancel", response_model=PaymentRequestOut,
             summary="Cancel an open request (merchant)")  # fmt: skip
def cancel_payment_request(
    code: str, user: MerchantUser, session: DbSession, settings: SettingsDep
) -> PaymentRequestOut:
    payments.cancel_request(session, user, code)
    return _request_out(settings, payments.view_request(session, user, code))


@router.post("/payments/{payment_id}/refund", status_code=201, response_model=RefundOut,
             summary="Refund all or part of a payment to the citizen who paid (merchant)")  # fmt: skip
def refund_payment(payment_id: IdPath, body: RefundBody, user: MerchantUser, session: DbSession,
                   ledger: LedgerDep) -> RefundOut:  # fmt: skip
    ratelimit.hit(session, f"refund:{user.id}", PAY_RATE_PER_MINUTE, 60)
    r = payments.refund(session, ledger, user, payment_id, body.amount, body.reason)
    return RefundOut(id=r.id, payment_id=r.payment_id, amount=r.amount, status=r.status, created_at=r.created_at)


@router.get("/merchant/payments", response_model=Page[PaymentOut], summary="The merchant's payments, newest first")
def merchant_payments(
    user: MerchantUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[PaymentOut]:
    rows, total, refunded = payments.merchant_payments(session, user, limit, offset)
    codes = dict(
        session.execute(
            select(PaymentRequest.id, PaymentRequest.code).where(PaymentRequest.id.in_([r.request_id for r in rows]))
        )
        .tuples()
        .all()
    )
    items = [
        PaymentOut(
            id=r.id,
            request_code=codes.get(r.request_id),
            status=r.status,
            amount=r.amount,
            refunded=refunded.get(r.id, 0),
            created_at=r.created_at,
            confirmed_at=r.confirmed_at,
            tx_hash=r.tx_hash,
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


# ─────────────────────────── live events (SSE) ───────────────────────────


def _sse_merchant(request: Request) -> int:
    """Authenticate without the per-request unit of work: the stream outlives it, and must not hold a
    transaction (on SQLite that would be the database write lock) while it waits."""
    token, _ = bearer_or_cookie(request)
    if not token:
        raise Unauthenticated()
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        user = resolve_token(session, token)
        if user is None:
            raise Unauthenticated("the token is unknown, expired or revoked")
        if user.kind != "merchant":
            raise Forbidden("only for merchant accounts")
        merchant_id = membership(session, user).merchant_id
        session.rollback()
    return merchant_id


class _PgListener:
    """LISTEN on the feed channel on a dedicated async connection: wakes up when any API worker or the
    indexer commits an event, on any machine. Async, so a waiting stream holds no thread."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    async def open(cls, engine: Engine) -> _PgListener:
        import psycopg

        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
        await conn.execute(f"LISTEN {EVENTS_CHANNEL}")
        return cls(conn)

    async def wait(self, merchant_id: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            async for note in self.conn.notifies(timeout=left, stop_after=1):
                if note.payload == str(merchant_id):
                    return

    async def close(self) -> None:
        await self.conn.close()


def _fetch(factory: sessionmaker[Session], merchant_id: int, after: int) -> list[dict[str, Any]]:
    with factory() as session:
        rows = events_after(session, merchant_id, after)
        out = [{"id": e.id, "kind": e.kind, "payload": e.payload, "at": e.created_at.isoformat()} for e in rows]
        session.rollback()
    return out


def _latest(factory: sessionmaker[Session], merchant_id: int) -> int:
    with factory() as session:
        value = last_event_id(session, merchant_id)
        session.rollback()
    return value


@router.get("/merchant/events", summary="Live merchant events (Server-Sent Events): payments, refunds, payouts",
            response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})  # fmt: skip
async def merchant_events(
    request: Request,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    since: Annotated[int | None, Query(ge=0, description="replay events after this id")] = None,
    max_seconds: Annotated[int, Query(ge=1, le=3600, description="close after this long; clients reconnect")] = 300,
) -> StreamingResponse:
    merchant_id = await asyncio.to_thread(_sse_merchant, request)
    factory: sessionmaker[Session] = request.app.state.session_factory
    engine: Engine = request.app.state.engine
    start = since
    if start is None and last_event_id_header and last_event_id_header.isdigit():
        start = int(last_event_id_header)
    if start is None:
        start = await asyncio.to_thread(_latest, factory, merchant_id)
    poll = 0.5

    after: int = start

    async def stream() -> AsyncIterator[bytes]:
        nonlocal after
        listener = None
        if engine.dialect.name == "postgresql":
            listener = await _PgListener.open(engine)
        deadline = time.monotonic() + max_seconds
        last_sent = time.monotonic()
        try:
            yield b"retry: 3000\n: connected\n\n"
            while (left := deadline - time.monotonic()) > 0:
                if await request.is_disconnected():
                    break
                events = await asyncio.to_thread(_fetch, factory, merchant_id, after)
                for ev in events:
                    after = ev["id"]
                    data = json.dumps({"kind": ev["kind"], "at": ev["at"], **ev["payload"]})
                    yield f"id: {ev['id']}\nevent: {ev['kind']}\ndata: {data}\n\n".encode()
                    last_sent = time.monotonic()
                if events:
                    continue
                if listener is not None:
                    await listener.wait(merchant_id, min(15.0, left))
                else:
                    await asyncio.sleep(min(poll, left))
                if time.monotonic() - last_sent > KEEP_ALIVE:
                    yield b": keep-alive\n\n"
                    last_sent = time.monotonic()
        finally:
            if listener is not None:
                await listener.close()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})  # fmt: skip
