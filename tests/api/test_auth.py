# SPDX-License-Identifier: EUPL-1.2
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.models.accounts import UserKind
from backend.services import audit
from heitje.settings import Settings
from tests.api.conftest import PASSWORD, Actor, make_actor


def test_login_returns_a_bearer_token_that_identifies_the_user(
    client: TestClient, db: sessionmaker[Session], migrated: Settings
) -> None:
    make_actor(db, migrated, UserKind.citizen, "anna@example.nl", pin="1357")
    r = client.post("/api/v1/auth/token", json={"username": "Anna@example.nl", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["kind"] == "citizen"


def test_wrong_password_is_a_problem_and_five_failures_lock_the_account(
    client: TestClient, db: sessionmaker[Session], migrated: Settings
) -> None:
    make_actor(db, migrated, UserKind.citizen, "bram@example.nl")
    for _ in range(5):
        r = client.post("/api/v1/auth/token", json={"username": "bram@example.nl", "password": "wrong-password"})
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post("/api/v1/auth/token", json={"username": "bram@example.nl", "password": PASSWORD})
    assert r.status_code == 423
    assert r.json()["type"].endswith("/locked")


def test_revoked_token_is_refused(client: TestClient, officer: Actor) -> None:
    assert client.get("/api/v1/me", headers=officer.headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=officer.headers).status_code == 204
    r = client.get("/api/v1/me", headers=officer.headers)
    assert r.status_code == 401
    assert r.json()["status"] == 401


def test_malformed_bodies_get_problem_json_not_500(client: TestClient) -> None:
    for body in (b"{", b"[]", b'{"username": 5}', b'{"username": "abc", "password": "x", "extra": 1}'):
        r = client.post("/api/v1/auth/token", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    huge = b'{"username": "' + b"a" * (13 * 1024 * 1024) + b'"}'
    r = client.post("/api/v1/auth/token", content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_idempotency_key_replays_the_first_response_and_refuses_another_body(
    client: TestClient, db: sessionmaker[Session], migrated: Settings
) -> None:
    make_actor(db, migrated, UserKind.citizen, "cas@example.nl")
    headers = {"Idempotency-Key": "login-1"}
    body = {"username": "cas@example.nl", "password": PASSWORD}
    first = client.post("/api/v1/auth/token", json=body, headers=headers)
    again = client.post("/api/v1/auth/token", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    other = client.post("/api/v1/auth/token", json={**body, "password": "x" * 12}, headers=headers)
    assert other.status_code == 409


def test_audit_chain_detects_an_edited_entry(db: sessionmaker[Session]) -> None:
    from backend.models.audit import AuditEntry

    with db() as session, session.begin():
        for i in range(5):
            audit.append(session, actor_id=1, action="task.approve", subject_type="claim", subject_id=i)
    with db() as session:
        assert audit.verify(session).ok
    with db() as session, session.begin():
        entry = session.query(AuditEntry).filter_by(seq=3).one()
        entry.details = {"tampered": True}
    with db() as session:
        result = audit.verify(session)
        assert not result.ok
        assert result.first_bad_seq == 3


def test_idempotency_ignores_the_multipart_boundary_of_a_rebuilt_upload() -> None:
    from backend.api.idempotency import _canonical

    def upload(boundary: str, content: bytes) -> tuple[str, bytes]:
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
                f"Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return f"multipart/form-data; boundary={boundary}", body

    first = _canonical(*upload("aaaa1111", b"\xff\xd8photo"))
    retry = _canonical(*upload("bbbb2222", b"\xff\xd8photo"))
    other = _canonical(*upload("cccc3333", b"\xff\xd8other"))
    assert first == retry
    assert first != other
    assert _canonical("application/json", b"{}") == ("application/json", b"{}")
