# SPDX-License-Identifier: EUPL-1.2
"""Finding tasks, claim expiry, the paid hook, badges and the handyman of the month (never money)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.models.tasks import Claim
from backend.relayer.models import Intent
from backend.services import tasks as task_service
from indexer.models import IdxTaskReward
from tests.api.conftest import Actor
from tests.api.tasks import world
from tests.api.tasks.world import fast_hashing  # noqa: F401


def test_tasks_are_found_by_neighbourhood_category_and_distance(client: TestClient, officer: Actor) -> None:
    near = world.task(client, officer, title="Near the town hall", lat=50.8882, lon=5.9795)
    far = world.task(client, officer, title="Across town", lat=50.9100, lon=5.9300, neighbourhood="6415")
    green = world.task(client, officer, title="Weed the roundabout", category="greenery", lat=50.889, lon=5.978)
    anna = world.citizen(client, officer, "anna@example.nl")
    r = client.get("/api/v1/tasks?lat=50.8880&lon=5.9790", headers=anna.headers).json()
    assert r["items"][0]["id"] == near
    assert [t["id"] for t in r["items"]][-1] == far
    assert r["items"][0]["distance_km"] < 0.1
    within = client.get("/api/v1/tasks?lat=50.8880&lon=5.9790&radius_km=1", headers=anna.headers).json()
    assert {t["id"] for t in within["items"]} == {near, green}
    assert [t["id"] for t in client.get("/api/v1/tasks?neighbourhood=6415", headers=anna.headers).json()["items"]] == [
        far
    ]
    assert [t["id"] for t in client.get("/api/v1/tasks?category=greenery", headers=anna.headers).json()["items"]] == [
        green
    ]
    page = client.get("/api/v1/tasks?limit=2&offset=2", headers=anna.headers).json()
    assert (page["total"], len(page["items"])) == (3, 1)
    assert client.post(f"/api/v1/tasks/{far}/close", headers=officer.headers).status_code == 200
    assert far not in [t["id"] for t in client.get("/api/v1/tasks", headers=anna.headers).json()["items"]]
    assert client.post(f"/api/v1/tasks/{far}/claims", headers=anna.headers).status_code == 409


def test_tasks_must_be_extra_work_with_a_future_deadline(client: TestClient, officer: Actor) -> None:
    r = client.post("/api/v1/tasks", json=world.task_body(extra_work=False), headers=officer.headers)
    assert (r.status_code, r.json()["field"]) == (422, "extra_work")
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = client.post("/api/v1/tasks", json=world.task_body(claim_deadline=past), headers=officer.headers)
    assert (r.status_code, r.json()["field"]) == (422, "claim_deadline")


def test_an_expired_claim_releases_its_slot_and_takes_no_proof(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    bram = world.citizen(client, officer, "bram@example.nl")
    tid = world.task(client, officer, slots=1, claim_hours=1)
    cid = world.claim(client, anna, tid)
    assert client.post(f"/api/v1/tasks/{tid}/claims", headers=bram.headers).status_code == 409
    with db() as s, s.begin():
        s.execute(update(Claim).where(Claim.id == cid).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    assert client.get(f"/api/v1/claims/{cid}", headers=anna.headers).json()["status"] == "expired"
    expired = client.get("/api/v1/claims?status=expired", headers=officer.headers).json()
    assert [c["id"] for c in expired["items"]] == [cid]
    assert client.get("/api/v1/claims?status=claimed", headers=officer.headers).json()["total"] == 0
    assert client.get(f"/api/v1/tasks/{tid}", headers=anna.headers).json()["slots_left"] == 1
    assert world.submit(client, anna, cid).status_code == 409
    assert client.post(f"/api/v1/tasks/{tid}/claims", headers=bram.headers).status_code == 201
    with db() as s:
        assert s.get(Claim, cid).status == "expired"  # type: ignore[union-attr]


def test_open_claims_per_citizen_are_limited(client: TestClient, officer: Actor) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    for _ in range(3):
        world.claim(client, anna, world.task(client, officer))
    r = client.post(f"/api/v1/tasks/{world.task(client, officer)}/claims", headers=anna.headers)
    assert r.status_code == 409
    assert "at most 3" in r.json()["detail"]


def test_the_page_hook_marks_claims_paid_and_a_reorg_unmarks_them(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    cid = world.submitted_claim(client, officer, anna)
    assert client.post(f"/api/v1/claims/{cid}/approve", headers=officer.headers).status_code == 200
    event = SimpleNamespace(
        name="TaskRewarded", args={"taskId": cid}, block_time=datetime.now(UTC), tx_hash="0x" + "ab" * 32
    )
    other = SimpleNamespace(name="Transfer", args={}, block_time=None, tx_hash="0x")
    with db() as s, s.begin():
        assert task_service.mark_paid(s, [other, event]) == 1
        assert task_service.mark_paid(s, [event]) == 0  # replayed page: nothing changes
    claim = client.get(f"/api/v1/claims/{cid}", headers=anna.headers).json()
    assert (claim["status"], claim["paid_tx_hash"]) == ("paid", "0x" + "ab" * 32)
    assert [c["id"] for c in client.get("/api/v1/claims?status=paid", headers=anna.headers).json()["items"]] == [cid]
    with db() as s, s.begin():
        task_service.unmark_paid(s, 0)  # the reward is not (any more) in idx_task_rewards
    assert client.get(f"/api/v1/claims/{cid}", headers=anna.headers).json()["status"] == "approved"
    with db() as s, s.begin():  # indexed, hook not yet run: readers still see it paid, and it is not pending
        s.add(
            IdxTaskReward(
                task_id=str(cid),
                citizen="0x" + "00" * 20,
                citizen_id=None,
                amount=500,
                year=2026,
                block_number=1,
                block_time=datetime.now(UTC),
                tx_hash="0x" + "cd" * 32,
                log_index=0,
            )
        )
    assert client.get(f"/api/v1/claims/{cid}", headers=anna.headers).json()["status"] == "paid"
    assert client.get("/api/v1/me/wallet", headers=anna.headers).json()["this_year"]["pending_cents"] == 0


def test_badges_and_handyman_of_the_month_count_tasks_never_money(client: TestClient, officer: Actor) -> None:
    client.put("/api/v1/admin/settings", json={"max_active_claims": 20}, headers=officer.headers)
    anna = world.citizen(client, officer, "anna@example.nl", display_name="Anna")
    bram = world.citizen(client, officer, "bram@example.nl", display_name="Bram", leaderboard_opt_in=False)
    for category in ("litter", "litter", "litter", "greenery", "social"):
        cid = world.submitted_claim(client, officer, anna, category=category)
        assert client.post(f"/api/v1/claims/{cid}/approve", headers=officer.headers).status_code == 200
    for _ in range(2):
        cid = world.submitted_claim(client, officer, bram, neighbourhood="6412")
        assert client.post(f"/api/v1/claims/{cid}/approve", headers=officer.headers).status_code == 200
    rejected = world.submitted_claim(client, officer, bram, neighbourhood="6412")
    client.post(f"/api/v1/claims/{rejected}/reject", json={"reason": "wrong place"}, headers=officer.headers)
    codes = {b["code"] for b in client.get("/api/v1/me/badges", headers=anna.headers).json()}
    assert codes == {"first-task", "five-tasks", "litter-picker", "all-rounder"}
    board = client.get("/api/v1/leaderboard", headers=bram.headers)
    assert board.status_code == 200
    hoods = {h["neighbourhood"]: h for h in board.json()["neighbourhoods"]}
    assert hoods["6411"]["handyman_of_the_month"] == {"display_name": "Anna", "tasks": 5, "is_you": False}
    # Bram did not opt in: he sees himself, others see "a neighbour"
    assert hoods["6412"]["handyman_of_the_month"] == {"display_name": "a neighbour", "tasks": 2, "is_you": True}
    assert "cents" not in board.text
    assert "amount" not in board.text
    only = client.get("/api/v1/leaderboard?neighbourhood=6412", headers=anna.headers).json()
    assert [h["neighbourhood"] for h in only["neighbourhoods"]] == ["6412"]
    empty = client.get("/api/v1/leaderboard?month=2020-01", headers=anna.headers).json()
    assert empty["neighbourhoods"] == []


def test_every_enrolment_is_idempotent_under_fifty_concurrent_repeats(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    pending = world.citizen(client, officer, "piet@example.nl", approve=False)
    shop = client.post("/api/v1/merchants", json=world.merchant_body("shop@example.nl")).json()["id"]
    for path in (f"/api/v1/citizens/{pending.id}/approve", f"/api/v1/merchants/{shop}/approve"):
        headers = {**officer.headers, "Idempotency-Key": "enrol-" + path}

        def call(_: int, path: str = path, headers: dict[str, str] = headers) -> Any:
            return client.post(path, headers=headers)

        with ThreadPoolExecutor(50) as pool:
            responses = list(pool.map(call, range(50)))
        assert {r.status_code for r in responses} == {200}
        assert len({r.content for r in responses}) == 1
    with db() as s:
        actions = s.execute(select(Intent.action, func.count()).group_by(Intent.action)).all()
        assert dict(actions) == {"enrolCitizen": 1, "enrolMerchant": 1}
