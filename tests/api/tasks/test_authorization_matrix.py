# SPDX-License-Identifier: EUPL-1.2
"""Object-level authorization: every endpoint × {anonymous, citizen A, citizen B, merchant, each officer role}.

Allowed cells must get through authorization (2xx, or 409 when an earlier allowed cell already changed the
object's state); every other cell must be refused with 401, 403 or 404 — and citizen B never sees or acts on
citizen A's claims, photos or profile."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.models.accounts import UserKind
from heitje.settings import Settings
from tests.api.conftest import PASSWORD, Actor, make_actor
from tests.api.tasks import world
from tests.api.tasks.world import fast_hashing  # noqa: F401

ANON, A, B, M = "anonymous", "citizen_a", "citizen_b", "merchant"
CITIZENS = {A, B}
EVERYONE = {A, B, M, *world.ROLES}
_seq = itertools.count()


@dataclass
class Cell:
    method: str
    path: str
    allowed: set[str]
    body: Any = None
    files: Any = None


def _admin(*roles: str) -> set[str]:
    return {*roles, "admin"}


def build(client: TestClient, db: sessionmaker[Session], settings: Settings) -> tuple[dict[str, Any], list[Cell]]:
    boss = make_actor(db, settings, UserKind.officer, "boss@heerlen.example", roles=["admin"])
    a = world.citizen(client, boss, "a@example.nl")
    b = world.citizen(client, boss, "b@example.nl")
    c = world.citizen(client, boss, "c@example.nl")
    m = world.merchant(client, boss, "shop@example.nl")
    pending_citizens = [world.citizen(client, boss, f"p{i}@example.nl", approve=False).id for i in range(2)]
    pm = client.post("/api/v1/merchants", json=world.merchant_body("pm@example.nl")).json()["id"]
    pm2 = client.post("/api/v1/merchants", json=world.merchant_body("pm2@example.nl")).json()["id"]
    assert (
        client.put(
            "/api/v1/admin/settings", json={"max_active_claims": 20, "registrations_per_ip": 1000}, headers=boss.headers
        ).status_code
        == 200
    )
    t = world.task(client, boss, slots=50)
    t_close = world.task(client, boss)
    claim_a = world.claim(client, a, t)
    assert world.submit(client, a, claim_a).status_code == 200
    claim_a_open = world.claim(client, a, world.task(client, boss))
    claim_a_reject = world.submitted_claim(client, boss, a)
    claim_b = world.submitted_claim(client, boss, b)
    staff_body = {"email": "kassa@example.nl", "password": PASSWORD, "display_name": "Kim"}
    staff = client.post(f"/api/v1/merchants/{m.id}/staff", headers=m.headers, json=staff_body).json()["user_id"]
    actors: dict[str, Any] = {A: a.headers, B: b.headers, M: m.headers, ANON: {}}
    for role, actor in world.officers(db, settings).items():
        actors[role] = actor.headers
    reason = {"reason": "not eligible"}
    photo = {"photo": ("p.png", world.png(), "image/png")}
    cells = [
        Cell("GET", "/api/v1/me", EVERYONE),
        Cell("GET", "/api/v1/me/export", EVERYONE),
        Cell("PUT", "/api/v1/me/preferences", CITIZENS, {"leaderboard_opt_in": True}),
        Cell("GET", "/api/v1/me/wallet", CITIZENS),
        Cell("GET", "/api/v1/me/wallet/history", CITIZENS),
        Cell("GET", "/api/v1/me/badges", CITIZENS),
        Cell("GET", "/api/v1/leaderboard", EVERYONE),
        Cell("POST", "/api/v1/citizens", {ANON, *EVERYONE}, lambda: world.citizen_body(f"n{next(_seq)}@example.nl")),
        Cell("GET", "/api/v1/citizens", _admin("registrar", "auditor")),
        Cell("GET", f"/api/v1/citizens/{a.id}", _admin(A, "registrar", "auditor")),
        Cell("GET", f"/api/v1/citizens/{b.id}", _admin(B, "registrar", "auditor")),
        Cell("POST", f"/api/v1/citizens/{pending_citizens[0]}/approve", _admin("registrar")),
        Cell("POST", f"/api/v1/citizens/{pending_citizens[1]}/reject", _admin("registrar"), reason),
        Cell("POST", f"/api/v1/citizens/{c.id}/suspend", _admin("registrar")),
        Cell("POST", f"/api/v1/citizens/{c.id}/reinstate", _admin("registrar")),
        Cell("POST", "/api/v1/merchants", {ANON, *EVERYONE}, lambda: world.merchant_body(f"m{next(_seq)}@example.nl")),
        Cell("GET", "/api/v1/merchants", _admin("registrar", "settlement_officer", "auditor")),
        Cell("GET", f"/api/v1/merchants/{m.id}", _admin(M, "registrar", "settlement_officer", "auditor")),
        Cell("POST", f"/api/v1/merchants/{pm}/approve", _admin("registrar")),
        Cell("POST", f"/api/v1/merchants/{pm2}/reject", _admin("registrar"), reason),
        Cell("POST", f"/api/v1/merchants/{m.id}/suspend", _admin("registrar")),
        Cell("POST", f"/api/v1/merchants/{m.id}/reinstate", _admin("registrar")),
        Cell("GET", f"/api/v1/merchants/{m.id}/staff", {M}),
        Cell("POST", f"/api/v1/merchants/{m.id}/staff", {M},
             lambda: {"email": f"s{next(_seq)}@example.nl", "password": "staff password 1", "display_name": "Sam"}),
        Cell("GET", "/api/v1/tasks", EVERYONE),
        Cell("GET", f"/api/v1/tasks/{t}", EVERYONE),
        Cell("POST", "/api/v1/tasks", _admin("task_manager"), world.task_body()),
        Cell("POST", f"/api/v1/tasks/{t_close}/close", _admin("task_manager")),
        Cell("POST", f"/api/v1/tasks/{t}/claims", CITIZENS),
        Cell("GET", "/api/v1/claims", _admin(A, B, "approver", "task_manager", "auditor")),
        Cell("GET", f"/api/v1/claims/{claim_a}", _admin(A, "approver", "task_manager", "auditor")),
        Cell("GET", f"/api/v1/claims/{claim_b}", _admin(B, "approver", "task_manager", "auditor")),
        Cell("GET", f"/api/v1/claims/{claim_a}/photo", _admin(A, "approver", "task_manager", "auditor")),
        Cell("POST", f"/api/v1/claims/{claim_a_open}/submission", {A}, files=photo),
        Cell("POST", f"/api/v1/claims/{claim_a_open}/withdraw", {A}),
        Cell("POST", f"/api/v1/claims/{claim_a}/approve", _admin("approver")),
        Cell("POST", f"/api/v1/claims/{claim_a_reject}/reject", _admin("approver"), reason),
        Cell("GET", "/api/v1/admin/officers", {"admin"}),
        Cell("POST", "/api/v1/admin/officers", {"admin"},
             lambda: {"email": f"o{next(_seq)}@heerlen.example", "password": "officer password", "display_name": "O",
                      "roles": ["auditor"]}),
        Cell("PUT", f"/api/v1/admin/officers/{boss.user_id}/roles", {"admin"}, {"roles": ["admin"]}),
        Cell("GET", "/api/v1/admin/settings", {"admin"}),
        Cell("PUT", "/api/v1/admin/settings", {"admin"}, {"max_active_claims": 20}),
        Cell("PUT", "/api/v1/me/pin", EVERYONE, {"password": PASSWORD, "pin": "1357"}),
        Cell("DELETE", f"/api/v1/merchants/{m.id}/staff/{staff}", {M}),
        Cell("POST", "/api/v1/me/erase", EVERYONE, {"password": PASSWORD}),  # last: it closes the accounts
    ]  # fmt: skip
    return actors, cells


@pytest.mark.slow
def test_only_allowed_cells_get_through(client: TestClient, db: sessionmaker[Session], migrated: Settings) -> None:
    actors, cells = build(client, db, migrated)
    failures = []
    for cell in cells:
        for name, headers in actors.items():
            body = cell.body() if callable(cell.body) else cell.body
            r = client.request(cell.method, cell.path, headers=headers, json=body if cell.files is None else None,
                               files=cell.files)  # fmt: skip
            ok = r.status_code < 300 or r.status_code == 409
            denied = r.status_code in (401, 403, 404)
            if r.status_code >= 400:
                assert r.headers["content-type"].startswith("application/problem+json"), (cell.path, r.text)
            if name in cell.allowed and not ok:
                failures.append(f"{name} refused {cell.method} {cell.path}: {r.status_code} {r.text[:120]}")
            if name not in cell.allowed and not denied:
                failures.append(f"{name} got through {cell.method} {cell.path}: {r.status_code} {r.text[:120]}")
            if name == ANON and name not in cell.allowed:
                assert r.status_code == 401, (cell.path, r.status_code)
    assert not failures, "\n".join(failures)


def test_citizen_b_never_reads_citizen_a_data(client: TestClient, db: sessionmaker[Session], officer: Actor) -> None:
    a = world.citizen(client, officer, "a@example.nl")
    b = world.citizen(client, officer, "b@example.nl")
    claim_a = world.submitted_claim(client, officer, a)
    world.submitted_claim(client, officer, b)
    listed = client.get("/api/v1/claims", headers=b.headers).json()
    assert listed["total"] == 1
    assert all(item["id"] != claim_a for item in listed["items"])
    for path in (f"/api/v1/claims/{claim_a}", f"/api/v1/claims/{claim_a}/photo", f"/api/v1/citizens/{a.id}"):
        r = client.get(path, headers=b.headers)
        assert r.status_code == 404, path
        assert "Anna" not in r.text
    export = client.get("/api/v1/me/export", headers=b.headers).json()
    assert export["citizen"]["id"] == b.id
    assert [c["id"] for c in export["claims"]] != [claim_a]
