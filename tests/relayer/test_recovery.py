# SPDX-License-Identifier: EUPL-1.2
"""Exactly-once effect through crashes: the relayer process killed with SIGKILL at random points, and the
node restarted mid-run from its persisted state."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.relayer import MINED, SENT, enqueue
from heitje.chain.anvil import Anvil
from heitje.db import unit_of_work
from heitje.settings import PROJECT_ROOT
from heitje.signing import ROLE_NAMES, dev_account, keystore_path, write_keystore
from tests.relayer.helpers import ChainEnv, make_env, next_task_ids, open_count, running, statuses, wait_final

DB = tuple[Engine, sessionmaker[Session]]
KILLS = 10
INTENTS = 1000


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainEnv]:
    tmp = tmp_path_factory.mktemp("recovery-chain")
    node = Anvil(block_time=0.25, state_path=tmp / "state.json", log_path=tmp / "anvil.log").start()
    try:
        chain_env = make_env(node, tmp)
        # The relayer subprocess unlocks the role keys from keystores at every start; a light scrypt
        # cost keeps ten restarts quick (production keystores use the default cost).
        password = chain_env.settings.keystore_password.get_secret_value()
        for index, role in enumerate(ROLE_NAMES):
            write_keystore(keystore_path(chain_env.settings, role), dev_account(index), password, scrypt_n=2**10)
        yield chain_env
    finally:
        node.stop()


def _mint_items(env: ChainEnv, n: int) -> list[tuple[str, dict[str, object]]]:
    return [
        (f"task:{t}", {"citizen": env.citizens[t % len(env.citizens)], "amount": 1 + t % 7, "taskId": t})
        for t in next_task_ids(n)
    ]


def _enqueue(
    sf: sessionmaker[Session], items: list[tuple[str, dict[str, object]]], chunk: int = 10, pause: float = 0.0
) -> None:
    for i in range(0, len(items), chunk):
        with unit_of_work(sf) as s:
            for key, args in items[i : i + chunk]:
                enqueue(s, business_key=key, action="mintForTask", args=args)
        time.sleep(pause)


def _start_relayer(env: ChainEnv, database_url: str, log_path: Path) -> subprocess.Popen[bytes]:
    environ = {
        **os.environ,
        "HEITJE_ENV": "test",
        "HEITJE_RPC_URL": env.node.url,
        "HEITJE_DATABASE_URL": database_url,
        "HEITJE_DATA_DIR": str(env.settings.data_dir),
        "HEITJE_DEPLOYMENTS_DIR": str(env.settings.deployments_dir),
        "HEITJE_KEYSTORE_DIR": str(env.settings.keystore_dir),
    }
    log = log_path.open("ab")
    cmd = [sys.executable, "-m", "backend.relayer", "--batch-size", "10", "--resend-after", "1"]
    return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)


def _wait_for_leader(proc: subprocess.Popen[bytes], log_path: Path, seen: int, timeout: float = 20) -> int:
    """Wait until this process logs that it leads (the `seen`-th such line in the shared log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = log_path.read_text(errors="replace").count("relayer is the leader")
        if count > seen:
            return count
        assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
        time.sleep(0.02)
    raise AssertionError("relayer did not become leader in time")


def test_kill_9_at_random_points_rewards_every_task_exactly_once(
    env: ChainEnv, db: DB, database_url: str, tmp_path: Path
) -> None:
    _, sf = db
    block0 = env.chain.block_number()
    supply0 = env.total_supply()
    items = _mint_items(env, INTENTS)
    approved = sum(int(args["amount"]) for _, args in items)  # type: ignore[call-overload]
    log_path = tmp_path / "relayer.log"
    per_cycle = INTENTS // KILLS
    in_flight_at_kill: list[int] = []
    leaders = 0
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    for cycle in range(KILLS):
        proc = _start_relayer(env, database_url, log_path)
        # Work keeps arriving while the relayer runs, so the kill lands on intents at every stage.
        feeder = threading.Thread(
            target=_enqueue, args=(sf, items[cycle * per_cycle : (cycle + 1) * per_cycle], 10, 0.08)
        )
        try:
            leaders = _wait_for_leader(proc, log_path, leaders)
            feeder.start()
            time.sleep(rng.uniform(0.05, 0.9))
            in_flight_at_kill.append(open_count(sf)[0])
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
            if feeder.is_alive() or feeder.ident is not None:
                feeder.join()

    proc = _start_relayer(env, database_url, log_path)
    try:
        wait_final(sf, INTENTS, timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    rewarded = env.rewarded(block0)
    tasks = [int(args["taskId"]) for _, args in items]  # type: ignore[call-overload]
    duplicates = sum(1 for t in tasks if rewarded[t] > 1)
    lost = sum(1 for t in tasks if rewarded[t] == 0)
    print(
        f"\nkill -9 test: kills={len(in_flight_at_kill)} intents={INTENTS} duplicates={duplicates} lost={lost} "
        f"in-flight at each kill={in_flight_at_kill}"
    )
    assert len(in_flight_at_kill) == KILLS
    assert sum(1 for n in in_flight_at_kill if n > 0) >= KILLS // 2  # the kills really hit work in flight
    assert duplicates == 0
    assert lost == 0
    assert statuses(sf) == {MINED: INTENTS}
    assert env.total_supply() - supply0 == approved


def test_node_restarted_mid_run_from_persisted_state_gives_no_duplicates(env: ChainEnv, db: DB) -> None:
    _, sf = db
    block0 = env.chain.block_number()
    supply0 = env.total_supply()
    items = _mint_items(env, 600)
    relayer = env.relayer(sf, batch_size=20, resend_after=1.0)
    with running(relayer):
        _enqueue(sf, items[:300], chunk=50)
        deadline = time.monotonic() + 20
        while statuses(sf)[SENT] == 0:  # stop the node while transactions wait in its pool
            assert time.monotonic() < deadline
            time.sleep(0.005)
        env.node.stop()  # SIGTERM: anvil writes its state; the pool is lost
        in_pool_at_stop = statuses(sf)[SENT]
        _enqueue(sf, items[300:], chunk=50)  # the outbox keeps accepting work while the node is away
        time.sleep(1.0)
        env.node.start()
        wait_final(sf, 600, timeout=60)
    assert in_pool_at_stop > 0
    assert relayer.counters.reconciles >= 2  # on start, and again once the node was back
    rewarded = env.rewarded(block0)
    assert {int(a["taskId"]): rewarded[int(a["taskId"])] for _, a in items} == {  # type: ignore[call-overload]
        int(a["taskId"]): 1  # type: ignore[call-overload]
        for _, a in items
    }
    assert statuses(sf) == {MINED: 600}
    assert env.total_supply() - supply0 == sum(int(a["amount"]) for _, a in items)  # type: ignore[call-overload]
