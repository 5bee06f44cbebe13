# SPDX-License-Identifier: EUPL-1.2
"""Idempotency and races on the value-moving claim endpoints: one effect, one consistent outcome."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.models.accounts import UserKind
from backend.models.participants import Citizen as CitizenRow
from backend.models.tasks import Claim
from backend.relayer.models import Intent
from backend.services import accounts
from heitje.settings import Settings
from tests.api.conftest import Actor, make_actor
from tests.api.tasks import world
from tests.api.tasks.world import fast_hashing  # noqa: F401


def _together(n: int, fn: Any) -> list[Any]:
    barrier = Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def _mints(db: sessionmaker[Session]) -> int:
    with db() as s:
        return int(s.scalar(select(func.count()).select_from(Intent).where(Intent.action == "mintForTask")) or 0)


def test_fifty_concurrent_identical_approvals_have_one_effect_and_identical_responses(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    cid = world.submitted_claim(client, officer, anna)
    headers = {**officer.headers, "Idempotency-Key": f"approve-{cid}"}
    responses = _together(50, lambda _: client.post(f"/api/v1/claims/{cid}/approve", headers=headers))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert _mints(db) == 1
    # same key, another request → 409; state unchanged
    other = client.post(f"/api/v1/claims/{cid}/reject", json={"reason": "blurry photo"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert client.get(f"/api/v1/claims/{cid}", headers=officer.headers).json()["status"] == "approved"


def test_same_key_with_another_body_is_409(client: TestClient, officer: Actor) -> None:
    headers = {**officer.headers, "Idempotency-Key": "task-1"}
    body = world.task_body(title="Sweep the square")
    first = client.post("/api/v1/tasks", json=body, headers=headers)
    again = client.post("/api/v1/tasks", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = client.post("/api/v1/tasks", json={**body, "title": "Paint the fence"}, headers=headers)
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")


def test_double_approval_without_a_key_is_a_conflict_and_one_mint(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    cid = world.submitted_claim(client, officer, anna)
    results = _together(8, lambda _: client.post(f"/api/v1/claims/{cid}/approve", headers=officer.headers))
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * 7, codes
    assert _mints(db) == 1


def test_approving_a_rejected_claim_is_refused(client: TestClient, db: sessionmaker[Session], officer: Actor) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    cid = world.submitted_claim(client, officer, anna)
    assert client.post(f"/api/v1/claims/{cid}/reject", json={"reason": "not the right park"},
                       headers=officer.headers).status_code == 200  # fmt: skip
    r = client.post(f"/api/v1/claims/{cid}/approve", headers=officer.headers)
    assert r.status_code == 409
    assert "rejected" in r.json()["detail"]
    assert _mints(db) == 0


def test_approval_racing_a_withdrawal_has_one_consistent_outcome(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    for _ in range(3):
        cid = world.submitted_claim(client, officer, anna)

        def act(i: int, cid: int = cid) -> Any:
            if i == 0:
                return client.post(f"/api/v1/claims/{cid}/approve", headers=officer.headers)
            return client.post(f"/api/v1/claims/{cid}/withdraw", headers=anna.headers)

        approve, withdraw = _together(2, act)
        assert sorted([approve.status_code, withdraw.status_code]) == [200, 409]
        with db() as s:
            claim = s.get(Claim, cid)
            assert claim is not None
            minted = s.scalar(select(func.count()).select_from(Intent).where(Intent.business_key == f"claim:{cid}"))
            if approve.status_code == 200:
                assert (claim.status, minted) == ("approved", 1)
            else:
                assert (claim.status, minted) == ("withdrawn", 0)


def test_concurrent_claims_never_exceed_the_slots(
    client: TestClient, db: sessionmaker[Session], migrated: Settings, officer: Actor
) -> None:
    people = [world.citizen(client, officer, f"c{i}@example.nl") for i in range(6)]
    tid = world.task(client, officer, slots=2)
    results = _together(6, lambda i: client.post(f"/api/v1/tasks/{tid}/claims", headers=people[i].headers))
    assert sorted(r.status_code for r in results) == [201, 201, 409, 409, 409, 409]
    assert client.get(f"/api/v1/tasks/{tid}", headers=officer.headers).json()["slots_left"] == 0


def test_concurrent_approvals_for_one_citizen_respect_the_yearly_cap(
    client: TestClient, db: sessionmaker[Session], migrated: Settings, officer: Actor
) -> None:
    """The citizen row is locked during approval: two approvals cannot both use the last allowance."""
    assert client.put("/api/v1/admin/settings", json={"default_yearly_cap_cents": 1000, "max_active_claims": 10},
                      headers=officer.headers).status_code == 200  # fmt: skip
    anna = world.citizen(client, officer, "anna@example.nl")
    claims = [world.submitted_claim(client, officer, anna, reward_cents=400, estimated_minutes=60) for _ in range(4)]
    # four different approvers, so that nothing but the citizen lock serialises the approvals
    approvers = [make_actor(db, migrated, UserKind.officer, f"approver{i}@heerlen.example", roles=["approver"])
                 for i in range(4)]  # fmt: skip
    results = _together(4, lambda i: client.post(f"/api/v1/claims/{claims[i]}/approve", headers=approvers[i].headers))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 200, 409, 409], codes
    refused = [r for r in results if r.status_code == 409]
    assert all(r.json()["type"].endswith("/yearly-cap-exceeded") for r in refused)
    wallet = client.get("/api/v1/me/wallet", headers=anna.headers).json()["this_year"]
    assert (wallet["pending_cents"], wallet["remaining_cents"]) == (800, 200)


def test_a_login_taken_between_check_and_insert_is_a_conflict_not_a_500(
    client: TestClient, db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race window of two concurrent registrations, made deterministic: the existence check misses the
    other request's account, the unique index catches it, and the caller gets 409 with nothing written."""
    assert client.post("/api/v1/citizens", json=world.citizen_body("twin@example.nl")).status_code == 201
    monkeypatch.setattr(accounts, "find_by_login", lambda *a, **k: None)
    r = client.post("/api/v1/citizens", json=world.citizen_body("twin@example.nl"))
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    with db() as s:
        assert s.scalar(select(func.count()).select_from(CitizenRow)) == 1


def test_fifty_concurrent_identical_claims_make_one_claim(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    tid = world.task(client, officer, slots=5)
    headers = {**anna.headers, "Idempotency-Key": "claim-once"}
    responses = _together(50, lambda _: client.post(f"/api/v1/tasks/{tid}/claims", headers=headers))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == 1
