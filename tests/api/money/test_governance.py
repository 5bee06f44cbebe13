# SPDX-License-Identifier: EUPL-1.2
from __future__ import annotations

from sqlalchemy import func, select

from backend.models.money import Payment, Payout, Recovery
from backend.models.participants import Citizen
from backend.relayer.models import Intent
from tests.api.conftest import PIN
from tests.api.money.conftest import World, idem


def _pay_request(w: World, amount: int = 100) -> str:
    r = w.client.post("/api/v1/payment-requests", json={"amount": amount}, headers=w.shop.headers)
    assert r.status_code == 201
    return str(r.json()["code"])


def test_pause_answers_503_with_the_reason_on_every_value_moving_call_until_unpaused(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 1_000)
    w.ledger.fund(w.shop.address, 1_000)
    code = _pay_request(w)
    assert w.client.get("/api/v1/status").json() == {
        "paused": False, "reason": "", "since": None, "chain_paused": False, "banner": None}  # fmt: skip
    pauser = w.officers["pauser"]
    assert (
        w.client.post("/api/v1/ledger/pause", json={"reason": "x"}, headers=w.officers["auditor"].headers).status_code
        == 403
    )
    assert w.client.post("/api/v1/ledger/pause", json={}, headers=pauser.headers).status_code == 422
    r = w.client.post(
        "/api/v1/ledger/pause", json={"reason": "storing bij de bank"}, headers={**pauser.headers, **idem()}
    )
    assert r.status_code == 200, r.text
    status = w.client.get("/api/v1/status").json()
    assert status["paused"] is True
    assert "storing bij de bank" in status["banner"]

    refused = [
        w.client.post(f"/api/v1/payment-requests/{code}/pay", json={"pin": PIN}, headers=w.anna.headers),
        w.client.post("/api/v1/payouts", json={"amount": 500}, headers=w.shop.headers),
        w.client.post(
            "/api/v1/recoveries", json={"citizen_id": w.anna.row_id}, headers=w.officers["recovery_officer"].headers
        ),
    ]
    for r in refused:
        assert r.status_code == 503, r.text
        assert r.json()["type"].endswith("/ledger-paused")
        assert "storing bij de bank" in r.json()["detail"]
    with w.db() as s:
        assert s.scalar(select(func.count(Payment.id))) == 0
        assert s.scalar(select(func.count(Payout.id))) == 0
        assert [i.action for i in s.scalars(select(Intent))] == ["pause"]
    assert w.client.post("/api/v1/ledger/pause", json={"reason": "again"}, headers=pauser.headers).status_code == 409

    # The on-chain pause is mined and indexed; unpausing lifts both.
    w.ledger.process()
    assert w.client.get("/api/v1/status").json()["chain_paused"] is True
    assert w.client.post("/api/v1/ledger/unpause", json={}, headers=pauser.headers).status_code == 200
    assert w.client.get("/api/v1/status").json()["paused"] is True  # the chain is still paused until mined
    w.ledger.process()
    assert w.client.get("/api/v1/status").json()["paused"] is False
    ok = w.client.post(f"/api/v1/payment-requests/{code}/pay", json={"pin": PIN}, headers=w.anna.headers)
    assert ok.status_code == 200, ok.text
    actions = [
        e["action"] for e in w.client.get("/api/v1/audit-log", headers=w.officers["auditor"].headers).json()["items"]
    ]
    assert actions[:2] == ["ledger.unpause", "ledger.pause"]


def test_recovery_needs_two_officers_and_moves_balance_and_identity(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 1_234)
    ro1, ro2 = w.officers["recovery_officer"], w.officers["recovery_officer_2"]
    assert w.client.post("/api/v1/recoveries", json={"citizen_id": w.anna.row_id},
                         headers=w.officers["registrar"].headers).status_code == 403  # fmt: skip
    assert w.client.post("/api/v1/recoveries", json={"citizen_id": 9999}, headers=ro1.headers).status_code == 404
    r = w.client.post("/api/v1/recoveries", json={"citizen_id": w.anna.row_id, "reason": "phone lost"},
                      headers={**ro1.headers, **idem()})  # fmt: skip
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["status"] == "awaiting_approval"
    assert rec["lost_address"] == w.anna.address
    assert rec["replacement_address"] != w.anna.address
    again = w.client.post("/api/v1/recoveries", json={"citizen_id": w.anna.row_id}, headers=ro2.headers)
    assert again.status_code == 409
    own = w.client.post(f"/api/v1/recoveries/{rec['id']}/approve", headers=ro1.headers)
    assert own.status_code == 403
    with w.db() as s:
        assert s.scalar(select(func.count(Intent.id))) == 0
    ok = w.client.post(f"/api/v1/recoveries/{rec['id']}/approve", headers={**ro2.headers, **idem()})
    assert ok.status_code == 200
    assert ok.json()["status"] == "approved"
    w.ledger.process()
    assert w.ledger.balance(rec["replacement_address"]) == 1_234
    with w.db() as s:
        assert s.get(Citizen, w.anna.row_id).address == rec["replacement_address"]  # type: ignore[union-attr]
        assert s.scalars(select(Recovery.status)).one() == "completed"
    # The citizen pays on with the new key.
    code = _pay_request(w, 200)
    assert (
        w.client.post(f"/api/v1/payment-requests/{code}/pay", json={"pin": PIN}, headers=w.anna.headers).status_code
        == 200
    )
    with w.db() as s:
        assert s.scalars(select(Payment.from_address)).one() == rec["replacement_address"]
    log = w.client.get("/api/v1/audit-log", headers=w.officers["auditor"].headers).json()["items"]
    assert [e["action"] for e in log[:2]] == ["recovery.approve", "recovery.start"]
    assert {e["actor_id"] for e in log[:2]} == {ro1.user_id, ro2.user_id}
