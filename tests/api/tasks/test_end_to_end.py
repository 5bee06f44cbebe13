# SPDX-License-Identifier: EUPL-1.2
"""End to end on a real chain: register → approve enrolment → create task → claim → submit photo → approve →
the relayer mines mintForTask → the indexer indexes TaskRewarded → the claim is paid and the wallet shows it.

The relayer and the indexer run in-process, in threads, exactly as `heitje dev` runs them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.relayer import outbox
from backend.relayer.worker import Relayer, RelayerConfig
from heitje.chain.abi import heitje_abi
from heitje.chain.client import Chain
from heitje.deploy import Deployment, deploy
from heitje.settings import Settings
from heitje.signing import ROLE_NAMES, LocalKeySigner, dev_account
from indexer.bootstrap import bootstrap, discover_hooks
from indexer.follower import IndexerConfig
from tests.api.conftest import Actor
from tests.api.tasks import world
from tests.api.tasks.world import fast_hashing  # noqa: F401


def _until(what: str, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def ledger(chain: Chain, migrated: Settings, snapshot: None) -> Deployment:
    """A fresh HeitjeToken for this test (claim ids restart at 1 in every test database)."""
    return deploy(chain, LocalKeySigner(dev_account(0)), migrated, dev_chain=True, force=True)


@pytest.fixture
def services(
    chain: Chain, ledger: Deployment, migrated: Settings, db: sessionmaker[Session]
) -> Iterator[tuple[Relayer, Any]]:
    signers = {role: LocalKeySigner(dev_account(i)) for i, role in enumerate(ROLE_NAMES)}
    relayer = Relayer(db, Chain(chain.rpc.url, abi=heitje_abi()), ledger.address, signers, RelayerConfig())
    pages, rollbacks = discover_hooks()
    parts = bootstrap(chain.rpc.url, migrated.effective_database_url, ledger.address, ledger.block_number,
                      ledger.chain_id, config=IndexerConfig(confirmations=0, poll_interval=0.1), page_hooks=pages,
                      rollback_hooks=rollbacks)  # fmt: skip
    stop = threading.Event()
    threads = [threading.Thread(target=relayer.run, args=(stop,), daemon=True),
               threading.Thread(target=parts.indexer.run, args=(stop,), daemon=True)]  # fmt: skip
    for t in threads:
        t.start()
    yield relayer, parts
    stop.set()
    for t in threads:
        t.join(timeout=10)
    relayer.chain.close()
    parts.engine.dispose()


def _intent_status(db: sessionmaker[Session], key: str) -> str | None:
    with db() as s:
        intent = outbox.get_intent(s, key)
        if intent is not None and intent.status == "failed":
            raise AssertionError(f"{key} failed on-chain: {intent.error_name}")
        return intent.status if intent else None


@pytest.mark.slow
def test_a_citizen_is_paid_on_chain_for_an_approved_task(
    client: TestClient, db: sessionmaker[Session], officer: Actor, services: Any, chain: Chain, ledger: Deployment
) -> None:
    # register and enrol
    r = client.post("/api/v1/citizens", json=world.citizen_body("anna@example.nl"))
    assert r.status_code == 201, r.text
    citizen_id = r.json()["id"]
    approved = client.post(f"/api/v1/citizens/{citizen_id}/approve", headers=officer.headers)
    assert approved.status_code == 200, approved.text
    address = approved.json()["address"]
    _until("enrolment mined", lambda: _intent_status(db, f"enrol:citizen:{citizen_id}") == "mined")
    anna = world.Citizen(citizen_id, "anna@example.nl", world.login(client, "anna@example.nl"))
    # task → claim → proof → approval
    task_id = world.task(client, officer, reward_cents=450, estimated_minutes=60, title="Clear the playground")
    claim_id = world.claim(client, anna, task_id)
    assert world.submit(client, anna, claim_id).status_code == 200
    r = client.post(f"/api/v1/claims/{claim_id}/approve", headers={**officer.headers, "Idempotency-Key": "e2e"})
    assert r.status_code == 200, r.text
    # relayer mines, indexer indexes TaskRewarded, the page hook marks the claim paid
    _until("mint mined", lambda: _intent_status(db, f"claim:{claim_id}") == "mined")
    paid = _until(
        "claim paid",
        lambda: (c := client.get(f"/api/v1/claims/{claim_id}", headers=anna.headers).json())["status"] == "paid" and c,
    )
    assert paid["paid_tx_hash"].startswith("0x")
    wallet = client.get("/api/v1/me/wallet", headers=anna.headers).json()
    assert wallet["address"] == address
    assert wallet["balance_cents"] == 450
    assert wallet["this_year"]["earned_cents"] == 450
    assert wallet["this_year"]["pending_cents"] == 0
    assert wallet["this_year"]["remaining_cents"] == wallet["this_year"]["cap_cents"] - 450
    history = client.get("/api/v1/me/wallet/history", headers=anna.headers).json()
    assert history["total"] == 1
    assert history["items"][0]["kind"] == "task_reward"
    assert history["items"][0]["amount_cents"] == 450
    assert history["items"][0]["description"] == "Clear the playground"
    # the chain agrees: the balance and the task's reward guard
    abi = heitje_abi()

    def call(fn: str, *args: Any) -> int:
        data = "0x" + abi.functions[fn].encode(*args).hex()
        return int(chain.rpc.call("eth_call", {"to": ledger.address, "data": data}, "latest"), 16)

    assert call("balanceOf", address) == 450
    assert call("isTaskRewarded", claim_id) == 1
    badges = client.get("/api/v1/me/badges", headers=anna.headers).json()
    assert [b["code"] for b in badges] == ["first-task"]
