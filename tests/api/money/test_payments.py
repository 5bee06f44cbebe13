# SPDX-License-Identifier: EUPL-1.2
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from backend.errors import BackendError
from backend.models.accounts import User
from backend.models.money import MerchantEvent, Payment, PaymentRequest, Refund
from backend.relayer.models import Intent
from backend.services import payments
from backend.services.money_common import InsufficientBalance, publish
from tests.api.conftest import PIN
from tests.api.money.conftest import FAKE_LEDGER, World, idem


def _request(w: World, amount: int = 750, headers: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    r = w.client.post("/api/v1/payment-requests", json={"amount": amount, "description": "Brood", **extra},
                      headers={**(headers or w.shop.headers), **idem()})  # fmt: skip
    assert r.status_code == 201, r.text
    return dict(r.json())


def _pay(w: World, code: str, pin: str = PIN, key: str | None = None) -> Any:
    return w.client.post(f"/api/v1/payment-requests/{code}/pay", json={"pin": pin},
                         headers={**w.anna.headers, **idem(key)})  # fmt: skip


def _counts(w: World) -> tuple[int, int, int]:
    with w.db() as s:
        return (
            int(s.scalar(select(func.count(Payment.id))) or 0),
            int(s.scalar(select(func.count(Refund.id))) or 0),
            int(s.scalar(select(func.count(Intent.id))) or 0),
        )


def test_staff_creates_a_request_with_a_qr_code_and_the_citizen_pays_it_with_the_pin(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 2_000)
    req = _request(w, headers=w.staff.headers)
    assert req["status"] == "open"
    assert req["amount"] == 750
    assert req["pay_url"].endswith("/pay/" + req["code"])
    qr = w.client.get(req["qr_svg_url"], headers=w.shop.headers)
    assert qr.status_code == 200
    assert qr.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in qr.content

    seen = w.client.get(f"/api/v1/payment-requests/{req['code']}", headers=w.anna.headers)
    assert seen.status_code == 200
    assert seen.json()["merchant_name"] == "Winkel bakker"

    r = _pay(w, req["code"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paying"
    with w.db() as s:
        intent = s.scalars(select(Intent)).one()
        assert intent.action == "transferWithAuthorization"
        assert intent.args["from"].lower() == w.anna.address
        assert intent.args["value"] == 750
        assert intent.args["paymentRef"] == s.scalars(select(PaymentRequest.payment_ref)).one()

    w.ledger.process()
    for who in (w.anna, w.shop):
        paid = w.client.get(f"/api/v1/payment-requests/{req['code']}", headers=who.headers).json()
        assert paid["status"] == "paid"
        assert paid["payment"]["status"] == "confirmed"
    assert w.ledger.balance(w.shop.address) == 750
    listing = w.client.get("/api/v1/merchant/payments", headers=w.staff.headers).json()
    assert listing["total"] == 1
    assert listing["items"][0]["status"] == "confirmed"


def test_paying_twice_an_expired_request_or_without_balance_is_refused_and_changes_nothing(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    req = _request(w, amount=600)
    assert _pay(w, req["code"]).status_code == 200
    before = _counts(w)
    again = _pay(w, req["code"])
    assert again.status_code == 409
    assert again.json()["type"].endswith("/already-paid")
    assert _counts(w) == before

    # The first payment is pending: its 6.00 is no longer available even before the indexer sees it.
    second = _request(w, amount=600)
    short = _pay(w, second["code"])
    assert short.status_code == 409, short.text
    body = short.json()
    assert body["type"].endswith("/insufficient-balance")
    assert body["available"] == 400
    assert _counts(w) == before

    expired = _request(w, amount=100)
    with w.db() as s, s.begin():
        s.execute(update(PaymentRequest).where(PaymentRequest.code == expired["code"])
                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))  # fmt: skip
    r = _pay(w, expired["code"])
    assert r.status_code == 410
    assert r.json()["type"].endswith("/expired")
    assert w.client.get(f"/api/v1/payment-requests/{expired['code']}", headers=w.shop.headers).json()["status"] == (
        "expired"
    )
    assert _counts(w) == before


def test_wrong_pin_is_refused_before_signing(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    req = _request(w)
    r = _pay(w, req["code"], pin="0000")
    assert r.status_code == 401
    assert r.json()["field"] == "pin"
    assert _counts(w) == (0, 0, 0)


def test_bad_input_gets_a_clear_4xx(world: World) -> None:
    w = world
    for body in ({"amount": 0}, {"amount": -5}, {"amount": "ten"}, {"amount": 100, "x": 1}, {"amount": 10**9}):
        r = w.client.post("/api/v1/payment-requests", json=body, headers=w.shop.headers)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert w.client.post("/api/v1/payment-requests/NOPE1234/pay", json={"pin": PIN},
                         headers=w.anna.headers).status_code == 404  # fmt: skip
    req = _request(w)
    assert w.client.post(f"/api/v1/payment-requests/{req['code']}/pay", json={"pin": "12ab"},
                         headers=w.anna.headers).status_code == 422  # fmt: skip
    assert w.client.post("/api/v1/payments/999/refund", json={"amount": 1}, headers=w.shop.headers).status_code == 404


def test_a_failed_payment_opens_the_request_again_and_frees_the_balance(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 500)
    req = _request(w, amount=500)
    assert _pay(w, req["code"]).status_code == 200
    with w.db() as s:
        key = s.scalars(select(Payment.business_key)).one()
    w.ledger.process(fail={key})
    assert w.client.get(f"/api/v1/payment-requests/{req['code']}", headers=w.shop.headers).json()["status"] == "open"
    assert _pay(w, req["code"]).status_code == 200


def test_refunds_never_exceed_what_was_paid(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    req = _request(w, amount=800)
    _pay(w, req["code"])
    w.ledger.process()
    pid = w.client.get("/api/v1/merchant/payments", headers=w.shop.headers).json()["items"][0]["id"]
    too_much = w.client.post(f"/api/v1/payments/{pid}/refund", json={"amount": 801}, headers=w.shop.headers)
    assert too_much.status_code == 409
    assert too_much.json()["type"].endswith("/refund-too-large")
    ok = w.client.post(f"/api/v1/payments/{pid}/refund", json={"amount": 300, "reason": "kapot"},
                       headers={**w.staff.headers, **idem()})  # fmt: skip
    assert ok.status_code == 201, ok.text
    # The pending refund counts: only 5.00 is left to refund.
    rest = w.client.post(f"/api/v1/payments/{pid}/refund", json={"amount": 501}, headers=w.shop.headers)
    assert rest.status_code == 409
    assert rest.json()["refundable"] == 500
    w.ledger.process()
    assert w.ledger.balance(w.anna.address) == 500
    assert w.ledger.balance(w.shop.address) == 500
    # Another merchant cannot refund this payment, nor see it.
    other = w.client.post(f"/api/v1/payments/{pid}/refund", json={"amount": 1}, headers=w.shop2.headers)
    assert other.status_code == 404
    assert w.client.get(f"/api/v1/payment-requests/{req['code']}", headers=w.shop2.headers).status_code == 404
    # Bob (another citizen) cannot see Anna's paid request.
    assert w.client.get(f"/api/v1/payment-requests/{req['code']}", headers=w.bob.headers).status_code == 404


def _concurrent(n: int, fn: Any) -> list[Any]:
    results: list[Any] = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_fifty_concurrent_identical_pays_make_one_payment_with_identical_responses(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    req = _request(w, amount=250)
    results = _concurrent(50, lambda: _pay(w, req["code"], key="pay-once"))
    assert {r.status_code for r in results} == {200}, {r.text for r in results}
    assert len({r.content for r in results}) == 1
    assert _counts(w)[0] == 1
    assert _counts(w)[2] == 1
    other = w.client.post(f"/api/v1/payment-requests/{req['code']}/pay", json={"pin": "9999"},
                          headers={**w.anna.headers, "Idempotency-Key": "pay-once"})  # fmt: skip
    assert other.status_code == 409


def test_concurrent_payments_of_different_requests_cannot_overspend(world: World) -> None:
    """Without the row lock on the citizen both would see 10.00 available; with it, exactly one of two
    8.00 payments is authorized."""
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    codes = [_request(w, amount=800)["code"] for _ in range(2)]
    it = iter(codes)
    lock = threading.Lock()

    def one() -> Any:
        with lock:
            code = next(it)
        return _pay(w, code)

    results = _concurrent(2, one)
    assert sorted(r.status_code for r in results) == [200, 409]
    assert _counts(w)[0] == 1


def test_fifty_concurrent_identical_refunds_make_one_refund(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    _pay(w, _request(w, amount=900)["code"])
    w.ledger.process()
    pid = w.client.get("/api/v1/merchant/payments", headers=w.shop.headers).json()["items"][0]["id"]
    results = _concurrent(50, lambda: w.client.post(f"/api/v1/payments/{pid}/refund", json={"amount": 100},
                                                    headers={**w.shop.headers, "Idempotency-Key": "r1"}))  # fmt: skip
    assert {r.status_code for r in results} == {201}
    assert len({r.content for r in results}) == 1
    assert _counts(w)[1] == 1


def test_merchant_events_stream_payments_live_from_the_database(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    req = _request(w, amount=300)
    _pay(w, req["code"])
    # Written by another connection (as the indexer would in another process): the feed lives in the database.
    w.ledger.process()
    with w.db() as s:
        kinds = [k for (k,) in s.execute(select(MerchantEvent.kind).order_by(MerchantEvent.id))]
    assert kinds == ["payment_request.created", "payment.authorized", "payment.received"]
    with w.client.stream("GET", "/api/v1/merchant/events?since=0&max_seconds=1", headers=w.staff.headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    assert "event: payment.received" in text
    assert f'"code": "{req["code"]}"' in text
    # Resuming after the last id gives nothing old again.
    last = text.strip().split("id: ")[-1].split("\n")[0]
    with w.client.stream("GET", "/api/v1/merchant/events?max_seconds=1",
                         headers={**w.shop.headers, "Last-Event-ID": last}) as r:  # fmt: skip
        assert "event:" not in "".join(r.iter_text())
    assert w.client.get("/api/v1/merchant/events?max_seconds=1", headers=w.anna.headers).status_code == 403
    assert w.client.get("/api/v1/merchant/events?max_seconds=1").status_code == 401


def test_an_event_committed_by_another_process_reaches_an_open_stream_at_once(world: World) -> None:
    """The stream is waiting (LISTEN on PostgreSQL, polling on SQLite) when another connection commits an
    event — as the indexer or another API worker would: it arrives without reconnecting."""
    w = world
    received: list[str] = []
    started = threading.Event()

    def listen() -> None:
        with w.client.stream("GET", "/api/v1/merchant/events?max_seconds=8", headers=w.shop.headers) as r:
            for chunk in r.iter_text():
                started.set()
                received.append(chunk)
                if "payment.received" in chunk:
                    return

    t = threading.Thread(target=listen)
    t.start()
    assert started.wait(10)
    time.sleep(0.3)
    sent = time.monotonic()
    with w.db() as s, s.begin():
        publish(s, w.shop.row_id, "payment.received", {"code": "ABC", "amount": 1})
    t.join(10)
    assert any("payment.received" in c for c in received)
    assert time.monotonic() - sent < 3  # not the end of the 8 s stream


def test_a_second_payment_waits_for_the_first_and_then_sees_its_pending_amount(world: World) -> None:
    """The row lock on the citizen, proven deterministically: while one payment's transaction is open, a second
    payment by the same citizen blocks; once the first commits, the second sees the pending amount and is
    refused. Without the lock both would pass the balance check."""
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    codes = [_request(w, amount=800)["code"] for _ in range(2)]
    first = w.db()
    first.begin()
    user = first.get(User, w.anna.actor.user_id)
    assert user is not None
    payments.pay(first, FAKE_LEDGER, user, codes[0], PIN)
    outcome: list[BaseException | None] = []

    def second() -> None:
        with w.db() as s, s.begin():
            try:
                u = s.get(User, w.anna.actor.user_id)
                assert u is not None
                payments.pay(s, FAKE_LEDGER, u, codes[1], PIN)
                outcome.append(None)
            except BackendError as exc:
                outcome.append(exc)

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.8)
    assert t.is_alive(), "the second payment did not wait for the first"
    first.commit()
    first.close()
    t.join(30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], InsufficientBalance)
    assert _counts(w)[0] == 1


def test_two_citizens_racing_for_one_request_make_one_payment(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    w.ledger.fund(w.bob.address, 1_000)
    code = _request(w, amount=400)["code"]
    people = iter([w.anna, w.bob])
    lock = threading.Lock()

    def one() -> Any:
        with lock:
            who = next(people)
        return w.client.post(f"/api/v1/payment-requests/{code}/pay", json={"pin": PIN}, headers=who.headers)

    results = _concurrent(2, one)
    assert sorted(r.status_code for r in results) == [200, 409]
    assert _counts(w)[0] == 1
