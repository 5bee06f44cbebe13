# SPDX-License-Identifier: EUPL-1.2
"""The task lifecycle through the API: register → enrol → task → claim → proof → approve (outbox) → paid."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.models.audit import AuditEntry
from backend.relayer.models import Intent
from backend.services import audit
from heitje.settings import Settings
from tests.api.conftest import Actor
from tests.api.tasks import world
from tests.api.tasks.world import fast_hashing  # noqa: F401


def test_approval_enqueues_exactly_one_mint_in_the_same_transaction(
    client: TestClient, db: sessionmaker[Session], migrated: Settings, officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    cid = world.submitted_claim(client, officer, anna)
    r = client.post(f"/api/v1/claims/{cid}/approve", headers=officer.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    assert r.json()["mint_status"] == "queued"
    with db() as s:
        intents = {i.business_key: i for i in s.scalars(select(Intent))}
        mint = intents[f"claim:{cid}"]
        assert mint.action == "mintForTask"
        assert mint.args["amount"] == 500
        assert mint.args["taskId"] == cid
        assert intents[f"enrol:citizen:{anna.id}"].action == "enrolCitizen"
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        assert actions == ["citizen.approve", "task.create", "claim.approve"]
        assert audit.verify(s).ok
    wallet = client.get("/api/v1/me/wallet", headers=anna.headers).json()
    assert wallet["this_year"]["pending_cents"] == 500
    assert wallet["this_year"]["remaining_cents"] == 150_000 - 500


def test_reward_above_the_hourly_maximum_is_refused(client: TestClient, officer: Actor) -> None:
    r = client.post(
        "/api/v1/tasks", json=world.task_body(reward_cents=501, estimated_minutes=60), headers=officer.headers
    )
    assert r.status_code == 422
    assert r.json()["max_reward_cents"] == 500
    assert (
        client.post(
            "/api/v1/tasks", json=world.task_body(reward_cents=250, estimated_minutes=30), headers=officer.headers
        ).status_code
        == 201
    )
    # configurable by an admin
    assert (
        client.put("/api/v1/admin/settings", json={"hourly_max_cents": 600}, headers=officer.headers).status_code == 200
    )
    r = client.post("/api/v1/tasks", json=world.task_body(reward_cents=501), headers=officer.headers)
    assert r.status_code == 201


def test_the_approval_queue_lists_submitted_claims_oldest_first(client: TestClient, officer: Actor) -> None:
    client.put("/api/v1/admin/settings", json={"max_active_claims": 10}, headers=officer.headers)
    anna = world.citizen(client, officer, "anna@example.nl")
    first = world.submitted_claim(client, officer, anna)
    second = world.submitted_claim(client, officer, anna)
    world.claim(client, anna, world.task(client, officer))  # claimed, not submitted: not in the queue
    queue = client.get("/api/v1/claims?status=submitted", headers=officer.headers).json()
    assert [c["id"] for c in queue["items"]] == [first, second]
    assert queue["items"][0]["has_photo"] is True
    client.post(f"/api/v1/claims/{first}/approve", headers=officer.headers)
    queue = client.get("/api/v1/claims?status=submitted", headers=officer.headers).json()
    assert [c["id"] for c in queue["items"]] == [second]
    mine = client.get("/api/v1/claims?limit=2", headers=anna.headers).json()
    assert (mine["total"], len(mine["items"])) == (3, 2)
