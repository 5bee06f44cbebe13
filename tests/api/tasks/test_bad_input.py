# SPDX-License-Identifier: EUPL-1.2
"""Bad input on every part-1 endpoint gets a clear 4xx problem+json, never a 500, and nothing half-written."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.models.accounts import User
from backend.models.tasks import Claim
from heitje.settings import Settings
from tests.api.conftest import Actor
from tests.api.tasks import world
from tests.api.tasks.world import fast_hashing  # noqa: F401

JSON_POSTS = [
    ("POST", "/api/v1/citizens", world.citizen_body("x@example.nl")),
    ("POST", "/api/v1/merchants", world.merchant_body("y@example.nl")),
    ("POST", "/api/v1/tasks", world.task_body()),
    ("POST", "/api/v1/claims/{claim}/reject", {"reason": "blurry photo"}),
    ("POST", "/api/v1/citizens/{citizen}/reject", {"reason": "duplicate"}),
    ("PUT", "/api/v1/admin/settings", {"hourly_max_cents": 500}),
    ("POST", "/api/v1/admin/officers",
     {"email": "o@x.nl", "password": "p" * 12, "display_name": "O", "roles": ["auditor"]}),
    ("PUT", "/api/v1/me/pin", {"password": "p" * 12, "pin": "1234"}),
    ("POST", "/api/v1/me/erase", {"password": "p" * 12}),
    ("POST", "/api/v1/auth/session", {"username": "abc@x.nl", "password": "secret"}),
]  # fmt: skip


def _mutations(body: dict[str, Any]) -> list[Any]:
    """Wrong types, missing fields, unknown fields, control characters, absurd sizes, not an object."""
    out: list[Any] = [[], "text", 12, None, {**body, "unexpected": 1}]
    for key, value in body.items():
        out.append({k: v for k, v in body.items() if k != key})
        wrong: Any = "not-a-number" if isinstance(value, int | float) and not isinstance(value, bool) else {"x": [1]}
        out.append({**body, key: wrong})
        if isinstance(value, str):
            out.append({**body, key: value + "\x00"})
            out.append({**body, key: "x" * 100_000})
        if isinstance(value, int) and not isinstance(value, bool):
            out.append({**body, key: 10**30})
            out.append({**body, key: -(10**30)})
    return out


def _assert_problem(r: Any, what: str) -> None:
    assert 400 <= r.status_code < 500, (what, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json"), (what, r.text[:200])
    assert r.json()["status"] == r.status_code


@pytest.mark.slow
def test_malformed_json_bodies_are_problems_never_500(client: TestClient, officer: Actor) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    claim = world.submitted_claim(client, officer, anna)
    pending = world.citizen(client, officer, "piet@example.nl", approve=False)
    for method, template, body in JSON_POSTS:
        path = template.format(claim=claim, citizen=pending.id)
        for raw in (b"{", b'{"a":', b"\xff\xfe", b"[" * 5000):
            r = client.request(
                method, path, content=raw, headers={**officer.headers, "content-type": "application/json"}
            )
            _assert_problem(r, f"{path} {raw[:10]!r}")
        for mutated in _mutations(body):
            r = client.request(method, path, json=mutated, headers=officer.headers)
            if r.status_code < 300:
                continue  # a mutation that is still valid (e.g. dropping an optional field)
            _assert_problem(r, f"{path} {str(mutated)[:80]}")


def test_bad_path_and_query_values_are_problems(client: TestClient, officer: Actor) -> None:
    for path in (
        "/api/v1/tasks/abc", "/api/v1/tasks/0", "/api/v1/tasks/99999999999999999999", "/api/v1/claims/-1",
        "/api/v1/claims/2147483648/approve", "/api/v1/tasks?lat=nan&lon=5", "/api/v1/tasks?radius_km=1e309&lat=1&lon=1",
        "/api/v1/tasks?neighbourhood=64%0011", "/api/v1/tasks?category=gold", "/api/v1/claims?status=weird",
        "/api/v1/leaderboard?month=2026-13", "/api/v1/tasks?limit=100000", "/api/v1/tasks?offset=-1",
        "/api/v1/citizens/1?x=%00",
    ):  # fmt: skip
        method = "POST" if path.endswith("/approve") else "GET"
        r = client.request(method, path, headers=officer.headers)
        if r.status_code == 404 and path.startswith("/api/v1/citizens/1?"):
            continue
        _assert_problem(r, path)


def test_a_huge_body_is_413(client: TestClient, officer: Actor) -> None:
    huge = b'{"title": "' + b"a" * (13 * 1024 * 1024) + b'"}'
    r = client.post("/api/v1/tasks", content=huge, headers={**officer.headers, "content-type": "application/json"})
    assert r.status_code == 413


def _webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buf, "WEBP")
    return buf.getvalue()


def test_uploads_are_checked_by_content_and_size(client: TestClient, migrated: Settings, officer: Actor) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    client.put("/api/v1/admin/settings", json={"max_active_claims": 20}, headers=officer.headers)
    cid = world.claim(client, anna, world.task(client, officer, slots=5))
    bad = {
        "a script named .png": (b"#!/bin/sh\necho hi\n", 415),
        "a GIF": (b"GIF89a" + b"\x00" * 40, 415),
        "a PDF": (b"%PDF-1.4\n" + b"0" * 100, 415),
        "an empty file": (b"", 422),
        "a truncated PNG": (world.png()[:30], 422),
        "PNG magic on garbage": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, 422),
        "too large": (b"\xff\xd8\xff" + b"\x00" * (8 * 1024 * 1024 + 10), 413),
    }
    for what, (data, status) in bad.items():
        r = world.submit(client, anna, cid, photo=data)
        assert r.status_code == status, (what, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/problem+json")
    # no photo field at all, a text field instead of a file
    r = client.post(f"/api/v1/claims/{cid}/submission", data={"note": "x"}, headers=anna.headers)
    _assert_problem(r, "no photo")
    r = client.post(f"/api/v1/claims/{cid}/submission", data={"photo": "not a file"}, headers=anna.headers)
    _assert_problem(r, "text photo")
    # nothing half-written: the claim is still open and no file is stored
    assert client.get(f"/api/v1/claims/{cid}", headers=anna.headers).json()["status"] == "claimed"
    assert not list((migrated.data_dir / "uploads").glob("*/*"))
    for photo in (world.png(), world.jpeg(), _webp()):
        cid2 = world.claim(client, anna, world.task(client, officer))
        r = world.submit(client, anna, cid2, photo=photo)
        assert r.status_code == 200, r.text
        stored = r.json()["photo_sha256"]
        assert (migrated.data_dir / "uploads" / stored[:2] / stored).read_bytes() == photo
        got = client.get(f"/api/v1/claims/{cid2}/photo", headers=anna.headers)
        assert got.content == photo
        assert got.headers["content-type"] == r.json()["photo_type"]


def test_a_refused_registration_writes_nothing(client: TestClient, db: sessionmaker[Session]) -> None:
    r = client.post("/api/v1/merchants", json=world.merchant_body("shop@example.nl", iban="NL00 ABNA 0000 0000 00"))
    assert r.status_code == 422
    assert r.json()["field"] == "iban"
    with db() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0
    ok = client.post("/api/v1/merchants", json=world.merchant_body("shop@example.nl"))
    assert ok.status_code == 201, ok.text
    assert ok.json()["bic"] == "ABNANL2A"  # derived from the IBAN
    again = client.post("/api/v1/merchants", json=world.merchant_body("Shop@Example.nl"))
    assert again.status_code == 409


def test_claims_are_refused_when_the_task_or_citizen_is_not_ready(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    pending = world.citizen(client, officer, "pending@example.nl", approve=False)
    tid = world.task(client, officer, slots=1)
    r = client.post(f"/api/v1/tasks/{tid}/claims", headers=pending.headers)
    assert r.status_code == 409
    assert "pending" in r.json()["detail"]
    anna = world.citizen(client, officer, "anna@example.nl")
    cid = world.claim(client, anna, tid)
    assert client.post(f"/api/v1/tasks/{tid}/claims", headers=anna.headers).status_code == 409  # twice
    # withdrawal releases the slot
    assert client.post(f"/api/v1/claims/{cid}/withdraw", headers=anna.headers).json()["status"] == "withdrawn"
    assert client.get(f"/api/v1/tasks/{tid}", headers=anna.headers).json()["slots_left"] == 1
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == 1
