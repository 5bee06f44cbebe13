# SPDX-License-Identifier: EUPL-1.2
from __future__ import annotations

import os
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sepaxml
import xmlschema
from sqlalchemy import func, select

from backend.models.money import Payout, SettlementBatch
from backend.relayer.models import Intent
from tests.api.money.conftest import World, idem

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


def _payout(w: World, amount: int, who: Any = None, key: str | None = None) -> Any:
    return w.client.post("/api/v1/payouts", json={"amount": amount}, headers={**(who or w.shop).headers, **idem(key)})


def _escrowed(w: World, *amounts: int, shop: Any = None) -> list[str]:
    shop = shop or w.shop
    w.ledger.fund(shop.address, sum(amounts))
    ids = []
    for a in amounts:
        r = _payout(w, a, shop)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    w.ledger.process()
    return ids


def _batch(w: World, officer: str = "settlement_officer") -> Any:
    return w.client.post("/api/v1/settlement-batches", json={"execution_date": TOMORROW},
                         headers={**w.officers[officer].headers, **idem()})  # fmt: skip


def _state(w: World) -> tuple[list[tuple[str, str]], int, int]:
    with w.db() as s:
        payouts = [(p.public_id, p.status) for p in s.scalars(select(Payout).order_by(Payout.id))]
        return (
            payouts,
            int(s.scalar(select(func.count(Intent.id))) or 0),
            int(s.scalar(select(func.count(SettlementBatch.id))) or 0),
        )


def test_payout_moves_tokens_into_escrow_and_never_more_than_the_balance(world: World) -> None:
    w = world
    w.ledger.fund(w.shop.address, 5_000)
    too_much = _payout(w, 5_001)
    assert too_much.status_code == 409
    assert too_much.json()["type"].endswith("/insufficient-balance")
    staff = _payout(w, 100, w.staff)
    assert staff.status_code == 403  # payouts are for the owner
    assert _state(w) == ([], 0, 0)
    ok = _payout(w, 3_000)
    assert ok.status_code == 201, ok.text
    assert ok.json()["status"] == "requested"
    assert _payout(w, 2_001).status_code == 409  # the pending 30.00 is no longer available
    w.ledger.process()
    assert w.ledger.balance(w.shop.address) == 2_000
    listed = w.client.get("/api/v1/payouts", headers=w.shop.headers).json()
    assert [p["status"] for p in listed["items"]] == ["escrowed"]
    assert w.client.get("/api/v1/payouts", headers=w.shop2.headers).json()["total"] == 0
    assert w.client.get("/api/v1/payouts", headers=w.anna.headers).status_code == 403


def test_sepa_file_validates_against_the_xsd_and_its_totals_equal_the_batch(world: World) -> None:
    w = world
    ids = _escrowed(w, 1_250, 2_000) + _escrowed(w, 999, shop=w.shop2)
    r = _batch(w)
    assert r.status_code == 201, r.text
    batch = r.json()
    assert batch["status"] == "ready"
    assert batch["total"] == 4_249
    assert batch["line_count"] == 3
    xml = w.client.get(
        f"/api/v1/settlement-batches/{batch['id']}/sepa.xml", headers=w.officers["settlement_officer"].headers
    )
    assert xml.status_code == 200, xml.text
    schema = xmlschema.XMLSchema(os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.001.001.03.xsd"))
    schema.validate(xml.content.decode())
    root = ET.fromstring(xml.content)  # noqa: S314 - our own output
    assert root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == batch["message_id"]
    assert Decimal(root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) or "") == Decimal("42.49")
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert root.findtext(".//p:PmtInf/p:Dbtr/p:Nm", namespaces=NS) == w.settings.debtor_name
    assert root.findtext(".//p:PmtInf/p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == w.settings.debtor_iban
    lines = root.findall(".//p:CdtTrfTxInf", namespaces=NS)
    e2e = {
        x.findtext("p:PmtId/p:EndToEndId", namespaces=NS): Decimal(x.findtext("p:Amt/p:InstdAmt", namespaces=NS) or "")
        for x in lines
    }
    assert e2e == {ids[0]: Decimal("12.50"), ids[1]: Decimal("20.00"), ids[2]: Decimal("9.99")}
    assert sum(e2e.values()) == Decimal(batch["total"]) / 100


def test_four_eyes_over_the_threshold(world: World) -> None:
    w = world  # threshold 500.00 in these tests
    _escrowed(w, 30_000, 25_000)
    batch = _batch(w).json()
    assert batch["status"] == "awaiting_approval"
    so1, so2 = w.officers["settlement_officer"], w.officers["settlement_officer_2"]
    bid = batch["id"]
    assert w.client.get(f"/api/v1/settlement-batches/{bid}/sepa.xml", headers=so1.headers).status_code == 403
    confirm = w.client.post(f"/api/v1/settlement-batches/{bid}/confirm", json={"bank_reference": "BANK-1"},
                            headers=so1.headers)  # fmt: skip
    assert confirm.status_code == 403
    self_approve = w.client.post(f"/api/v1/settlement-batches/{bid}/approve", headers=so1.headers)
    assert self_approve.status_code == 403
    assert self_approve.json()["type"].endswith("/four-eyes-required")
    ok = w.client.post(f"/api/v1/settlement-batches/{bid}/approve", headers=so2.headers)
    assert ok.status_code == 200
    assert ok.json()["status"] == "ready"
    assert ok.json()["approved_by"] == so2.user_id
    assert w.client.get(f"/api/v1/settlement-batches/{bid}/sepa.xml", headers=so1.headers).status_code == 200


def test_confirm_settles_executed_lines_rejects_failed_ones_and_reconciles(world: World) -> None:
    w = world
    ids = _escrowed(w, 1_000, 2_000, 4_000)
    so = w.officers["settlement_officer"]
    bid = _batch(w).json()["id"]
    before = _state(w)
    for body in ({}, {"bank_reference": ""}, {"bank_reference": "   "}, {"bank_reference": "x" * 36},
                 {"bank_reference": "ok", "failed": [{"payout": "HPNOPE", "reason": "x"}]},
                 {"bank_reference": "bad\u00e9char"}):  # fmt: skip
        r = w.client.post(f"/api/v1/settlement-batches/{bid}/confirm", json=body, headers=so.headers)
        assert r.status_code == 422, (body, r.text)
        assert _state(w) == before
    body = {"bank_reference": "RABO-2026-11-30-0042", "failed": [{"payout": ids[1], "reason": "IBAN closed"}]}
    r = w.client.post(f"/api/v1/settlement-batches/{bid}/confirm", json=body, headers={**so.headers, **idem()})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed"
    assert r.json()["confirmed_total"] == 5_000
    twice = w.client.post(
        f"/api/v1/settlement-batches/{bid}/confirm", json={"bank_reference": "AGAIN"}, headers=so.headers
    )
    assert twice.status_code == 409
    assert twice.json()["type"].endswith("/invalid-state")

    rec = w.client.get("/api/v1/reconciliation", headers=w.officers["auditor"].headers).json()
    assert rec["in_flight_cents"] == 5_000
    assert not rec["clean"]
    w.ledger.process()
    statuses = dict(_state(w)[0])
    assert statuses == {ids[0]: "settled", ids[1]: "rejected", ids[2]: "settled"}
    assert w.ledger.balance(w.shop.address) == 2_000  # the failed line came back
    assert w.ledger.supply().burned == 5_000
    batch = w.client.get(f"/api/v1/settlement-batches/{bid}", headers=so.headers).json()
    assert batch["status"] == "closed"
    rec = w.client.get("/api/v1/reconciliation", headers=w.officers["auditor"].headers).json()
    assert rec["confirmed_euros_cents"] == rec["burned_cents"] == 5_000
    assert rec["clean"], rec
    csv = w.client.get("/api/v1/reconciliation?format=csv", headers=so.headers)
    assert csv.headers["content-type"].startswith("text/csv")
    assert "burned_cents,5000" in csv.text
    liability = w.client.get("/api/v1/liability", headers=w.officers["auditor"].headers).json()
    assert liability["outstanding_cents"] == 7_000 - 5_000
    assert sum(m["cents"] for m in liability["settled_per_month"]) == 5_000
    log = w.client.get("/api/v1/audit-log?action=settlement.batch_confirm", headers=w.officers["auditor"].headers)
    assert log.json()["items"][0]["details"]["executed_cents"] == 5_000


def test_rejecting_a_line_before_confirming_returns_the_tokens(world: World) -> None:
    w = world
    ids = _escrowed(w, 1_500, 500)
    so = w.officers["settlement_officer"]
    bid = _batch(w).json()["id"]
    r = w.client.post(f"/api/v1/settlement-batches/{bid}/lines/{ids[0]}/reject", json={"reason": "blocked account"},
                      headers=so.headers)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejecting"
    w.ledger.process()
    assert w.ledger.balance(w.shop.address) == 1_500
    batch = w.client.get(f"/api/v1/settlement-batches/{bid}", headers=so.headers).json()
    assert batch["total"] == 500
    assert [line["payout"] for line in batch["lines"]] == [ids[1]]


def test_two_officers_building_batches_at_once_never_share_a_payout(world: World) -> None:
    w = world
    _escrowed(w, 100, 200, 300)
    results: list[Any] = [None, None]
    barrier = threading.Barrier(2)

    def build(i: int) -> None:
        barrier.wait()
        results[i] = _batch(w, "settlement_officer" if i == 0 else "settlement_officer_2")

    threads = [threading.Thread(target=build, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in results) == [201, 409]
    with w.db() as s:
        assert {p.batch_id for p in s.scalars(select(Payout))} == {
            next(r for r in results if r.status_code == 201).json()["id"]
        }


def test_fifty_concurrent_identical_payouts_and_confirms_have_one_effect(world: World) -> None:
    w = world
    w.ledger.fund(w.shop.address, 10_000)
    barrier = threading.Barrier(50)
    out: list[Any] = []
    lock = threading.Lock()

    def go(fn: Any) -> None:
        barrier.wait()
        r = fn()
        with lock:
            out.append(r)

    def run(fn: Any) -> list[Any]:
        out.clear()
        threads = [threading.Thread(target=go, args=(fn,)) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        return list(out)

    payouts = run(lambda: _payout(w, 4_000, key="payout-1"))
    assert {r.status_code for r in payouts} == {201}
    assert len({r.content for r in payouts}) == 1
    w.ledger.process()
    bid = _batch(w).json()["id"]
    so = w.officers["settlement_officer"]
    confirms = run(lambda: w.client.post(f"/api/v1/settlement-batches/{bid}/confirm", json={"bank_reference": "B-1"},
                                         headers={**so.headers, "Idempotency-Key": "confirm-1"}))  # fmt: skip
    assert {r.status_code for r in confirms} == {200}
    assert len({r.content for r in confirms}) == 1
    with w.db() as s:
        assert s.scalar(select(func.count(Payout.id))) == 1
        assert s.scalar(select(func.count(Intent.id)).where(Intent.action == "settleRedemption")) == 1


def test_rejecting_the_last_line_closes_the_batch(world: World) -> None:
    w = world
    ids = _escrowed(w, 700)
    so = w.officers["settlement_officer"]
    bid = _batch(w).json()["id"]
    r = w.client.post(
        f"/api/v1/settlement-batches/{bid}/lines/{ids[0]}/reject", json={"reason": "x"}, headers=so.headers
    )
    assert r.status_code == 200
    batch = w.client.get(f"/api/v1/settlement-batches/{bid}", headers=so.headers).json()
    assert batch["status"] == "closed"
    assert batch["total"] == 0
    confirm = w.client.post(
        f"/api/v1/settlement-batches/{bid}/confirm", json={"bank_reference": "B"}, headers=so.headers
    )
    assert confirm.status_code == 409
