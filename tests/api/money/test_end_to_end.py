# SPDX-License-Identifier: EUPL-1.2
"""End to end on a real chain, with the real relayer and indexer in-process (threads, as `heitje dev` runs
them): citizen earns → pays a merchant via a payment request → merchant refunds part → merchant requests a
payout → settlement batch + SEPA file → confirm → burn indexed → reconciliation clean → the statement lists
the earnings."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sepaxml
import xmlschema
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.ledger import Ledger
from backend.relayer.models import Intent
from backend.relayer.worker import Relayer, RelayerConfig
from heitje.chain.abi import heitje_abi
from heitje.chain.client import Chain
from heitje.deploy import Deployment, deploy
from heitje.settings import Settings
from heitje.signing import ROLE_NAMES, LocalKeySigner, dev_account
from indexer.bootstrap import bootstrap, discover_hooks
from indexer.follower import IndexerConfig
from tests.api.conftest import PIN, Actor

ABI = heitje_abi()
PASSWORD = "correct horse battery"


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 40)).save(buf, "PNG")
    return buf.getvalue()


def register_citizen(c: TestClient, email: str) -> int:
    body = {"email": email, "password": PASSWORD, "pin": PIN, "name": "Anna de Vries", "phone": "+31612345678",
            "postcode4": "6411", "birth_year": 1980, "display_name": "anna"}  # fmt: skip
    r = c.post("/api/v1/citizens", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def register_merchant(c: TestClient, email: str) -> int:
    body = {"email": email, "password": PASSWORD, "display_name": "Bart", "business_name": "Bakkerij Bart",
            "kvk_number": "12345678", "iban": "NL91 ABNA 0417 1643 00", "street_address": "Markt 1, Heerlen",
            "postcode4": "6411", "category": "bakery"}  # fmt: skip
    r = c.post("/api/v1/merchants", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def login(c: TestClient, email: str) -> dict[str, str]:
    r = c.post("/api/v1/auth/token", json={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def earn(c: TestClient, admin: dict[str, str], citizen: dict[str, str], cents: int, title: str) -> int:
    """Part 1's task lifecycle: create → claim → proof → approve (which queues the mint)."""
    task = {"title": title, "description": "Bags and gloves at the community centre.", "category": "litter",
            "neighbourhood": "6411", "lat": 50.888, "lon": 5.979, "reward_cents": cents, "estimated_minutes": 60,
            "slots": 1, "claim_deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(), "kit_note": "",
            "extra_work": True}  # fmt: skip
    r = c.post("/api/v1/tasks", json=task, headers=admin)
    assert r.status_code == 201, r.text
    claim = c.post(f"/api/v1/tasks/{r.json()['id']}/claims", headers=citizen)
    assert claim.status_code == 201, claim.text
    claim_id = int(claim.json()["id"])
    proof = c.post(f"/api/v1/claims/{claim_id}/submission", files={"photo": ("proof.png", png(), "image/png")},
                   data={"note": "done"}, headers=citizen)  # fmt: skip
    assert proof.status_code == 200, proof.text
    assert c.post(f"/api/v1/claims/{claim_id}/approve", headers=admin).status_code == 200
    return claim_id


def until(
    what: str, predicate: Callable[[], Any], timeout: float = 45.0, explain: Callable[[], str] | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f"; {explain()}" if explain else ""))


def intents_summary(db: sessionmaker[Session]) -> str:
    """What the relayer did with every intent: the first thing to read when a wait times out."""
    with db() as s:
        return "; ".join(
            f"{i.business_key}={i.status}{'(' + str(i.error_name) + ')' if i.error_name else ''}"
            for i in s.scalars(select(Intent).order_by(Intent.id))
        )


def chain_settled(db: sessionmaker[Session]) -> bool:
    """Every intent mined (none failed): the relayer has nothing left to do."""
    with db() as s:
        intents = list(s.scalars(select(Intent)))
    failed = [f"{i.business_key}: {i.error_name}" for i in intents if i.status == "failed"]
    assert not failed, failed
    return all(i.status == "mined" for i in intents)


@pytest.fixture
def ledger(chain: Chain, migrated: Settings, snapshot: None) -> Deployment:
    return deploy(chain, LocalKeySigner(dev_account(0)), migrated, dev_chain=True, force=True)


@pytest.fixture
def live(chain: Chain, ledger: Deployment, migrated: Settings, db: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API with the relayer and the indexer (with the backend page hooks) running next to it."""
    signers = {role: LocalKeySigner(dev_account(i)) for i, role in enumerate(ROLE_NAMES)}
    relayer = Relayer(db, Chain(chain.rpc.url, abi=ABI), ledger.address, signers, RelayerConfig(poll_interval=0.02))
    pages, rollbacks = discover_hooks()
    parts = bootstrap(chain.rpc.url, migrated.effective_database_url, ledger.address, ledger.block_number,
                      ledger.chain_id, config=IndexerConfig(confirmations=0, poll_interval=0.05), page_hooks=pages,
                      rollback_hooks=rollbacks)  # fmt: skip
    stop = threading.Event()
    threads = [threading.Thread(target=relayer.run, args=(stop,), daemon=True),
               threading.Thread(target=parts.indexer.run, args=(stop,), daemon=True)]  # fmt: skip
    for t in threads:
        t.start()
    app = create_app(migrated)
    app.state.ledger = Ledger(ledger.chain_id, ledger.address, ledger.block_number, chain.rpc.url)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    stop.set()
    for t in threads:
        t.join(timeout=10)
    relayer.chain.close()
    parts.engine.dispose()


def _on_chain(chain: Chain, ledger: Deployment, fn: str, *args: Any) -> int:
    raw = chain.call(ledger.address, ABI.functions[fn].encode(*args))
    return int(ABI.functions[fn].decode_output(raw)[0])


@pytest.mark.slow
def test_earn_pay_refund_payout_settle_reconcile_and_statement(
    live: TestClient, db: sessionmaker[Session], officer: Actor, chain: Chain, ledger: Deployment
) -> None:
    c = live
    admin = officer.headers  # holds every officer role
    # Enrolment of a citizen and a merchant (part 1's API), on-chain through the relayer.
    citizen_id = register_citizen(c, "anna@example.nl")
    assert c.post(f"/api/v1/citizens/{citizen_id}/approve", headers=admin).status_code == 200
    merchant_id = register_merchant(c, "bart@example.nl")
    assert c.post(f"/api/v1/merchants/{merchant_id}/approve", headers=admin).status_code == 200
    until("enrolments mined", lambda: chain_settled(db))
    anna = login(c, "anna@example.nl")
    bart = login(c, "bart@example.nl")

    # 1. The citizen earns 4.50 for a task.
    claim = earn(c, admin, anna, 450, "Clear the playground")
    until("reward indexed", lambda: c.get(f"/api/v1/claims/{claim}", headers=anna).json()["status"] == "paid")

    # 2. She pays 3.00 at the bakery through a payment request.
    req = c.post("/api/v1/payment-requests", json={"amount": 300, "description": "Vlaai"}, headers=bart).json()
    paid = c.post(f"/api/v1/payment-requests/{req['code']}/pay", json={"pin": PIN},
                  headers={**anna, "Idempotency-Key": "e2e-pay"})  # fmt: skip
    assert paid.status_code == 200, paid.text
    request_url = f"/api/v1/payment-requests/{req['code']}"
    until(
        "payment indexed",
        lambda: c.get(request_url, headers=bart).json()["status"] == "paid",
        explain=lambda: intents_summary(db),
    )
    with c.stream("GET", "/api/v1/merchant/events?since=0&max_seconds=1", headers=bart) as stream:
        feed = "".join(stream.iter_text())
    assert "event: payment.received" in feed

    # 3. The bakery refunds 1.00 of it.
    payment = c.get("/api/v1/merchant/payments", headers=bart).json()["items"][0]
    assert c.post(f"/api/v1/payments/{payment['id']}/refund", json={"amount": 100}, headers=bart).status_code == 201
    until("refund indexed", lambda: chain_settled(db) and "refund.completed" in _events(c, bart))

    # 4. The bakery cashes in its 2.00.
    assert c.post("/api/v1/payouts", json={"amount": 201}, headers=bart).status_code == 409  # more than it has
    payout = c.post("/api/v1/payouts", json={"amount": 200}, headers=bart).json()
    until("escrowed", lambda: c.get("/api/v1/payouts", headers=bart).json()["items"][0]["status"] == "escrowed")

    # 5. Settlement: batch, SEPA file, confirm with the bank reference.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    batch = c.post("/api/v1/settlement-batches", json={"execution_date": tomorrow}, headers=admin).json()
    assert batch["total"] == 200
    assert [line["payout"] for line in batch["lines"]] == [payout["id"]]
    xml = c.get(f"/api/v1/settlement-batches/{batch['id']}/sepa.xml", headers=admin)
    xsd = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.001.001.03.xsd")
    xmlschema.XMLSchema(xsd).validate(xml.content.decode())
    assert f"<EndToEndId>{payout['id']}</EndToEndId>" in xml.text
    confirmed = c.post(f"/api/v1/settlement-batches/{batch['id']}/confirm", json={"bank_reference": "ING-E2E-0001"},
                       headers=admin)  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    until("burn indexed", lambda: c.get("/api/v1/payouts", headers=bart).json()["items"][0]["status"] == "settled")

    # 6. Reconciliation is clean; the chain agrees.
    rec = c.get("/api/v1/reconciliation", headers=admin).json()
    assert rec["clean"], rec
    assert rec["confirmed_euros_cents"] == rec["burned_cents"] == 200
    liability = c.get("/api/v1/liability", headers=admin).json()
    assert liability["outstanding_cents"] == 250
    assert _on_chain(chain, ledger, "totalSupply") == 250
    wallet = c.get("/api/v1/me/wallet", headers=anna).json()
    assert wallet["balance_cents"] == 450 - 300 + 100
    assert _on_chain(chain, ledger, "balanceOf", wallet["address"]) == 250

    # 7. The yearly statement lists the earnings.
    year = datetime.now(UTC).year
    html = c.get(f"/api/v1/me/statements/{year}?format=html", headers=anna).text
    assert "Clear the playground" in html
    assert "4,50" in html
    pdf = c.get(f"/api/v1/me/statements/{year}", headers=anna)
    assert pdf.content.startswith(b"%PDF")


def _events(c: TestClient, headers: dict[str, str]) -> str:
    with c.stream("GET", "/api/v1/merchant/events?since=0&max_seconds=1", headers=headers) as stream:
        return "".join(stream.iter_text())
