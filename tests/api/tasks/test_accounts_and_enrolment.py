# SPDX-License-Identifier: EUPL-1.2
"""Accounts, cookie sessions, enrolment, suspension, merchant staff, GDPR export and erasure, CLI."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from backend.keystore.models import CustodialKey
from backend.models.accounts import PersonalData, User
from backend.models.audit import AuditEntry
from backend.models.participants import Citizen
from backend.relayer.models import Intent
from heitje.settings import Settings
from indexer.models import IdxBalance
from tests.api.conftest import PASSWORD, Actor
from tests.api.tasks import world
from tests.api.tasks.world import fast_hashing  # noqa: F401


def test_cookie_session_needs_the_csrf_token_on_unsafe_requests(client: TestClient, officer: Actor) -> None:
    r = client.post("/api/v1/auth/session", json={"username": "admin@heerlen.example", "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookies = r.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("heitje_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("heitje_csrf="))
    assert "HttpOnly" in session_cookie
    assert "samesite=lax" in session_cookie.lower()
    assert "HttpOnly" not in csrf_cookie
    csrf = r.json()["csrf_token"]
    assert client.get("/api/v1/me").json()["kind"] == "officer"  # the cookie authenticates reads
    refused = client.post("/api/v1/tasks", json=world.task_body())
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    wrong = client.post("/api/v1/tasks", json=world.task_body(), headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/tasks", json=world.task_body(), headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    assert client.request("DELETE", "/api/v1/auth/session").status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/me").status_code == 401


def test_registration_keeps_personal_data_encrypted_and_out_of_the_logs(
    client: TestClient, db: sessionmaker[Session], officer: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = world.citizen_body("geheim@example.nl", name="Gerda Geheimhouder", phone="+31687654321")
    r = client.post("/api/v1/citizens", json=body)
    assert r.status_code == 201
    cid = r.json()["id"]
    assert r.json()["personal_data"]["name"] == "Gerda Geheimhouder"
    client.post(f"/api/v1/citizens/{cid}/approve", headers=officer.headers)
    for secret in ("Gerda", "Geheimhouder", "geheim@example.nl", "687654321"):
        assert secret not in caplog.text
    with db() as s:
        raw = s.scalars(select(PersonalData)).one()
        assert raw.ciphertext is not None
        assert b"Gerda" not in raw.ciphertext
        assert all(b"geheim" not in (u.login_hash or "").encode() for u in s.scalars(select(User)))
    # a registrar sees it; an approver sees the citizen only through claims, never the PII
    seen = client.get(f"/api/v1/citizens/{cid}", headers=officer.headers).json()
    assert seen["personal_data"]["phone"] == "+31687654321"


def test_approval_creates_a_custodial_wallet_and_queues_the_enrolment(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl", approve=False)
    r = client.post(f"/api/v1/citizens/{anna.id}/approve", headers=officer.headers)
    assert r.status_code == 200
    address = r.json()["address"]
    assert client.post(f"/api/v1/citizens/{anna.id}/approve", headers=officer.headers).status_code == 409
    with db() as s:
        citizen = s.get(Citizen, anna.id)
        assert citizen is not None
        intent = s.scalars(select(Intent).where(Intent.business_key == f"enrol:citizen:{anna.id}")).one()
        assert intent.args["citizenId"] == citizen.citizen_id
        assert intent.args["account"].lower() == address
        assert len(bytes.fromhex(citizen.citizen_id[2:])) == 32
        key = s.get(CustodialKey, intent.args["account"])
        assert key is not None
        assert key.encrypted_key is not None


def test_suspension_stops_claims_and_approvals_until_reinstated(
    client: TestClient, db: sessionmaker[Session], officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    cid = world.submitted_claim(client, officer, anna)
    assert client.post(f"/api/v1/citizens/{anna.id}/suspend", headers=officer.headers).json()["status"] == "suspended"
    assert client.post(f"/api/v1/citizens/{anna.id}/suspend", headers=officer.headers).status_code == 409
    tid = world.task(client, officer)
    assert client.post(f"/api/v1/tasks/{tid}/claims", headers=anna.headers).status_code == 409
    r = client.post(f"/api/v1/claims/{cid}/approve", headers=officer.headers)
    assert r.status_code == 409
    assert "suspended" in r.json()["detail"]
    assert client.post(f"/api/v1/citizens/{anna.id}/reinstate", headers=officer.headers).status_code == 200
    assert client.post(f"/api/v1/claims/{cid}/approve", headers=officer.headers).status_code == 200
    with db() as s:
        actions = [(i.action, i.business_key.split(":")[2]) for i in s.scalars(select(Intent).order_by(Intent.id))
                   if i.business_key.startswith("citizen:")]  # fmt: skip
        assert actions == [("suspend", "suspend"), ("reinstate", "reinstate")]


def test_merchant_owner_manages_staff_and_staff_cannot(client: TestClient, officer: Actor) -> None:
    shop = world.merchant(client, officer, "shop@example.nl")
    r = client.post(f"/api/v1/merchants/{shop.id}/staff", headers=shop.headers,
                    json={"email": "kassa@example.nl", "password": PASSWORD, "display_name": "Kim"})  # fmt: skip
    assert r.status_code == 201, r.text
    staff = world.login(client, "kassa@example.nl")
    me = client.get("/api/v1/me", headers=staff).json()
    assert (me["kind"], me["merchant_id"]) == ("merchant", shop.id)
    assert client.get(f"/api/v1/merchants/{shop.id}", headers=staff).status_code == 200
    assert client.get(f"/api/v1/merchants/{shop.id}/staff", headers=staff).status_code == 403
    assert (
        client.delete(f"/api/v1/merchants/{shop.id}/staff/{r.json()['user_id']}", headers=shop.headers).status_code
        == 204
    )
    assert client.get("/api/v1/me", headers=staff).status_code == 401


def test_gdpr_export_and_erasure_shred_personal_data_and_the_wallet_key(
    client: TestClient, db: sessionmaker[Session], migrated: Settings, officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    cid = world.submitted_claim(client, officer, anna)
    export = client.get("/api/v1/me/export", headers=anna.headers).json()
    assert export["citizen"]["personal_data"]["email"] == "anna@example.nl"
    assert export["claims"][0]["id"] == cid
    photo = export["claims"][0]["photo_sha256"]
    assert (migrated.data_dir / "uploads" / photo[:2] / photo).exists()
    wallet = client.get("/api/v1/me/wallet", headers=anna.headers).json()["address"]
    with db() as s, s.begin():  # the indexer saw a balance
        s.add(IdxBalance(address=wallet, balance=125, transfers=1))
    assert client.post("/api/v1/me/erase", json={"password": "wrong password"}, headers=anna.headers).status_code == 403
    refused = client.post("/api/v1/me/erase", json={"password": PASSWORD}, headers=anna.headers)
    assert refused.status_code == 409
    assert refused.json()["balance_cents"] == 125
    r = client.post("/api/v1/me/erase", json={"password": PASSWORD, "forfeit_balance": True}, headers=anna.headers)
    assert r.status_code == 204, r.text
    assert client.get("/api/v1/me", headers=anna.headers).status_code == 401
    assert (
        client.post("/api/v1/auth/token", json={"username": "anna@example.nl", "password": PASSWORD}).status_code == 401
    )
    assert not (migrated.data_dir / "uploads" / photo[:2] / photo).exists()
    with db() as s:
        pd = s.scalars(select(PersonalData)).one()
        assert (pd.wrapped_key, pd.ciphertext) == (None, None)
        key = s.scalars(select(CustodialKey)).one()
        assert (key.encrypted_key, key.wrapped_data_key) == (None, None)
        citizen = s.get(Citizen, anna.id)
        assert citizen is not None
        assert citizen.status == "erased"
        assert (
            s.scalars(select(Intent).where(Intent.business_key == f"citizen:{anna.id}:erase")).one().action == "suspend"
        )
        assert "citizen.erase" in [e.action for e in s.scalars(select(AuditEntry))]
    seen = client.get(f"/api/v1/citizens/{anna.id}", headers=officer.headers).json()
    assert seen["personal_data"] is None
    assert client.get(f"/api/v1/claims/{cid}", headers=officer.headers).json()["status"] == "withdrawn"
    # the address is free for a new registration
    assert client.post("/api/v1/citizens", json=world.citizen_body("anna@example.nl")).status_code == 201


def test_admin_cli_bootstraps_an_officer(migrated: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from heitje.cli import app

    monkeypatch.setenv("HEITJE_DATABASE_URL", migrated.effective_database_url)
    monkeypatch.setenv("HEITJE_DATA_DIR", str(migrated.data_dir))
    runner = CliRunner()
    r = runner.invoke(app, ["admin", "create-officer", "--email", "eerste@heerlen.example", "--name", "Eerste",
                            "--role", "admin", "--password", "a strong password"])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["admin", "set-roles", "--email", "eerste@heerlen.example", "--role", "auditor"])
    assert r.exit_code == 0, r.output
    listed = runner.invoke(app, ["admin", "list-officers"])
    assert "Eerste" in listed.output
    assert "auditor" in listed.output
    bad = runner.invoke(app, ["admin", "create-officer", "--email", "x@heerlen.example", "--name", "X",
                              "--role", "emperor", "--password", "a strong password"])  # fmt: skip
    assert bad.exit_code == 1


def test_password_confirmation_is_rate_limited_per_account(client: TestClient, officer: Actor) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    for _ in range(5):
        r = client.put("/api/v1/me/pin", json={"password": "not the password", "pin": "9999"}, headers=anna.headers)
        assert r.status_code == 403
    r = client.put("/api/v1/me/pin", json={"password": PASSWORD, "pin": "9999"}, headers=anna.headers)
    assert r.status_code == 429
    assert client.post("/api/v1/me/erase", json={"password": PASSWORD}, headers=anna.headers).status_code == 429


def test_seed_creates_the_demo_world_once_and_only_in_development(
    migrated: Settings, db: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    from backend.dev import DEMO_PASSWORD, print_logins, seed
    from backend.models.tasks import Task
    from heitje.errors import ConfigurationError
    from heitje.settings import Environment

    logins = seed(migrated)
    again = seed(migrated)
    assert logins == again
    with db() as s:
        assert len(list(s.scalars(select(User)))) == len(logins)
        assert len(list(s.scalars(select(Task)))) == 4
        assert sorted(i.action for i in s.scalars(select(Intent))) == ["enrolCitizen", "enrolCitizen", "enrolMerchant"]
    print_logins(logins)
    assert "anna@example.nl  PIN 1234" in capsys.readouterr().out
    production = migrated.model_copy(update={"env": Environment.production})
    with pytest.raises(ConfigurationError):
        seed(production)
    assert DEMO_PASSWORD not in "".join(str(v) for v in migrated.model_dump().values())
