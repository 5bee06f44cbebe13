# SPDX-License-Identifier: EUPL-1.2
"""Builders for the task-lifecycle tests: citizens, merchants, officers of every role, tasks, photos."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from backend.models.accounts import OfficerRole, UserKind
from heitje.settings import Settings
from tests.api.conftest import PASSWORD, PIN, Actor, make_actor

ROLES = [r.value for r in OfficerRole]


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters for these tests (hundreds of accounts); production keeps the library defaults."""
    import backend.security

    monkeypatch.setattr(backend.security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def png(color: tuple[int, int, int] = (10, 120, 40), size: tuple[int, int] = (16, 16)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def jpeg(size: tuple[int, int] = (16, 16)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def citizen_body(email: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": email,
        "password": PASSWORD,
        "pin": PIN,
        "name": "Anna de Vries",
        "phone": "+31612345678",
        "postcode4": "6411",
        "birth_year": 1980,
        "display_name": email.split("@")[0],
        "leaderboard_opt_in": True,
    }
    body.update(overrides)
    return body


def merchant_body(email: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": email,
        "password": PASSWORD,
        "display_name": "Bakker Bart",
        "business_name": "Bakkerij Bart",
        "kvk_number": "12345678",
        "iban": "NL91 ABNA 0417 1643 00",
        "street_address": "Markt 1, Heerlen",
        "postcode4": "6411",
        "category": "bakery",
    }
    body.update(overrides)
    return body


def task_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Pick up litter in the park",
        "description": "Bags and gloves at the community centre.",
        "category": "litter",
        "neighbourhood": "6411",
        "lat": 50.888,
        "lon": 5.979,
        "reward_cents": 500,
        "estimated_minutes": 60,
        "slots": 2,
        "claim_deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        "kit_note": "gloves",
        "extra_work": True,
    }
    body.update(overrides)
    return body


def login(client: TestClient, email: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@dataclass
class Citizen:
    id: int
    email: str
    headers: dict[str, str]


@dataclass
class Merchant:
    id: int
    email: str
    headers: dict[str, str]


def officers(db: sessionmaker[Session], settings: Settings) -> dict[str, Actor]:
    """One officer per role (admin holds every role implicitly)."""
    return {role: make_actor(db, settings, UserKind.officer, f"{role}@heerlen.example", roles=[role]) for role in ROLES}


def citizen(client: TestClient, registrar: Actor, email: str, approve: bool = True, **overrides: Any) -> Citizen:
    r = client.post("/api/v1/citizens", json=citizen_body(email, **overrides))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    if approve:
        a = client.post(f"/api/v1/citizens/{cid}/approve", headers=registrar.headers)
        assert a.status_code == 200, a.text
    return Citizen(cid, email, login(client, email))


def merchant(client: TestClient, registrar: Actor, email: str, approve: bool = True) -> Merchant:
    r = client.post("/api/v1/merchants", json=merchant_body(email))
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    if approve:
        assert client.post(f"/api/v1/merchants/{mid}/approve", headers=registrar.headers).status_code == 200
    return Merchant(mid, email, login(client, email))


def task(client: TestClient, manager: Actor, **overrides: Any) -> int:
    r = client.post("/api/v1/tasks", json=task_body(**overrides), headers=manager.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def claim(client: TestClient, who: Citizen, task_id: int) -> int:
    r = client.post(f"/api/v1/tasks/{task_id}/claims", headers=who.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def submit(client: TestClient, who: Citizen, claim_id: int, photo: bytes | None = None, note: str = "done") -> Any:
    return client.post(
        f"/api/v1/claims/{claim_id}/submission",
        files={"photo": ("proof.png", photo if photo is not None else png(), "image/png")},
        data={"note": note},
        headers=who.headers,
    )


def submitted_claim(client: TestClient, manager: Actor, who: Citizen, **task_overrides: Any) -> int:
    tid = task(client, manager, **task_overrides)
    cid = claim(client, who, tid)
    r = submit(client, who, cid)
    assert r.status_code == 200, r.text
    return cid
