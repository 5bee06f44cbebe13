# SPDX-License-Identifier: EUPL-1.2
"""Relayer figures: sustained mint intents from enqueue to mined on a 1-second-block anvil, the naive
web3.py loop measured in the same run, and a crash run with repeated `kill -9` of the relayer process.

The relayer runs as its own process (`python -m backend.relayer`), as in production; this process plays the
API: it enqueues intents into the outbox in short transactions, as approvals would.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.bench.env import ABI, ISSUER, Node, child_env, enrol_citizens, python
from backend.bench.procs import Child
from backend.relayer import FAILED, MINED, Intent, enqueue
from backend.relayer.models import SenderNonce, Transaction
from heitje.db import make_engine, migrate, session_factory, unit_of_work
from heitje.signing import dev_account

log = logging.getLogger(__name__)

Tick = Callable[[int], None]


@dataclass
class RelayerWorld:
    """A database and a set of enrolled citizens on the 1-second-block node."""

    node: Node
    folder: Path
    citizens: list[str]

    def database(self, name: str) -> tuple[str, Engine, sessionmaker[Session]]:
        url = f"sqlite:///{self.folder / f'{name}.sqlite3'}"
        migrate(url)
        engine = make_engine(url)
        return url, engine, session_factory(engine)

    def relayer(self, url: str, name: str, batch_size: int = 200) -> Child:
        env = child_env(self.node.settings, self.node.url, url)
        args = [python(), "-m", "backend.relayer", "--batch-size", str(batch_size), "--resend-after", "3"]
        return Child(args, env, self.folder / f"{name}.log")


def prepare(node: Node, folder: Path, citizens: int = 50) -> RelayerWorld:
    folder.mkdir(parents=True, exist_ok=True)
    addresses = [str(Account.create().address) for _ in range(citizens)]
    enrol_citizens(node, addresses, "relayer")
    return RelayerWorld(node, folder, addresses)


def _wait_ready(sf: sessionmaker[Session], child: Child, timeout: float = 90.0) -> None:
    """The relayer has reconciled once it has written its nonce rows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"relayer exited during start:\n{child.tail()}")
        with sf() as s:
            if s.scalar(select(func.count()).select_from(SenderNonce)):
                return
        time.sleep(0.1)
    raise RuntimeError(f"relayer not ready after {timeout}s:\n{child.tail()}")


def _statuses(sf: sessionmaker[Session]) -> dict[str, int]:
    with sf() as s:
        return {str(k): int(v) for k, v in s.execute(select(Intent.status, func.count()).group_by(Intent.status))}


def _wait_final(sf: sessionmaker[Session], total: int, timeout: float, tick: Tick | None = None) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        counts = _statuses(sf)
        done = counts.get(MINED, 0) + counts.get(FAILED, 0)
        if tick:
            tick(done)
        if done >= total or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def _mint_work(citizens: Sequence[str], first_task: int, n: int, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{prefix}:{t}", {"citizen": citizens[t % len(citizens)], "amount": 100, "taskId": t})
        for t in range(first_task, first_task + n)
    ]


def _enqueue(sf: sessionmaker[Session], work: Sequence[tuple[str, dict[str, Any]]], per_tx: int) -> None:
    for i in range(0, len(work), per_tx):
        with unit_of_work(sf) as s:
            for key, args in work[i : i + per_tx]:
                enqueue(s, business_key=key, action="mintForTask", args=args)


def throughput(
    world: RelayerWorld, intents: int, tick: Tick | None = None, per_tx: int = 20, name: str = "throughput"
) -> dict[str, Any]:
    """Enqueue `intents` mints (in transactions of `per_tx`, as fast as this process can) while the relayer
    runs; time from the first enqueue to the last intent mined, and from the last commit to the last mined.

    With `per_tx` = `intents` everything is committed at once, and the second time is the relayer's own
    capacity (sign, batch, persist, broadcast, receipts) on this chain."""
    url, engine, sf = world.database(f"relayer-{name}")
    child = world.relayer(url, f"relayer-{name}").start()
    try:
        _wait_ready(sf, child)
        block0 = world.node.chain.block_number()
        first = 10_000_000 if name == "throughput" else 40_000_000
        work = _mint_work(world.citizens, first, intents, f"bench-{name}")
        started = time.perf_counter()
        _enqueue(sf, work, per_tx)
        enqueued = time.perf_counter() - started
        counts = _wait_final(sf, intents, timeout=max(120.0, intents / 20), tick=tick)
        elapsed = time.perf_counter() - started
        with sf() as s:
            txs = int(s.scalar(select(func.count()).select_from(Transaction)) or 0)
            blocks = s.scalar(select(func.max(Intent.block_number)))
        mined = counts.get(MINED, 0)
    finally:
        child.stop()
        engine.dispose()
    after = elapsed - enqueued
    return {
        "intents": intents,
        "mined": mined,
        "statuses": counts,
        "enqueued_per_transaction": per_tx,
        "seconds": round(elapsed, 2),
        "enqueue_seconds": round(enqueued, 2),
        "enqueue_per_s": round(intents / enqueued, 1) if enqueued else None,
        "seconds_after_last_commit": round(after, 2),
        "intents_per_s": round(mined / elapsed, 1) if mined else 0.0,
        "intents_per_s_after_commit": round(mined / after, 1) if mined and after > 0 else None,
        "transactions": txs,
        "blocks": (int(blocks) - block0) if blocks is not None else None,
        "block_time_s": world.node.anvil.block_time,
    }


def naive(url: str, contract: str, citizen: str, n: int, first_task: int) -> dict[str, Any]:
    """What a first attempt does with web3.py: per mint build_transaction (estimate, fees, nonce) → sign →
    send → wait for the receipt. One intent per transaction, one transaction in flight."""
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(url))
    token = w3.eth.contract(address=Web3.to_checksum_address(contract), abi=ABI.abi)
    issuer = dev_account(ISSUER)
    started = time.perf_counter()
    for task in range(first_task, first_task + n):
        tx = token.functions.mintForTask(Web3.to_checksum_address(citizen), 100, task).build_transaction(
            {"from": issuer.address, "nonce": w3.eth.get_transaction_count(issuer.address)}
        )
        signed = issuer.sign_transaction(tx)  # type: ignore[arg-type]
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        rcpt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.05)
        if rcpt["status"] != 1:
            raise RuntimeError(f"naive mint {task} reverted")
    elapsed = time.perf_counter() - started
    return {"intents": n, "seconds": round(elapsed, 2), "per_s": round(n / elapsed, 1)}


def crash_run(
    world: RelayerWorld,
    intents: int,
    kills: int,
    tick: Tick | None = None,
    seed: int = 8,
) -> dict[str, Any]:
    """Enqueue `intents` mints over time while the relayer process is killed with SIGKILL `kills` times at
    random moments and restarted at once; then count each task's TaskRewarded events on chain."""
    rng = random.Random(seed)
    url, engine, sf = world.database("relayer-crash")
    child = world.relayer(url, "relayer-crash", batch_size=50).start()
    block0 = world.node.chain.block_number()
    work = _mint_work(world.citizens, 20_000_000, intents, "crash")
    done_enqueue = threading.Event()
    failure: list[BaseException] = []

    def producer() -> None:
        try:
            chunk = max(1, intents // (kills * 6 + 1))
            for i in range(0, len(work), chunk):
                _enqueue(sf, work[i : i + chunk], 10)
                time.sleep(0.2)
        except BaseException as exc:  # reported below
            failure.append(exc)
        finally:
            done_enqueue.set()

    kill_log: list[dict[str, Any]] = []
    try:
        _wait_ready(sf, child)
        thread = threading.Thread(target=producer, name="bench-crash-producer", daemon=True)
        thread.start()
        for k in range(kills):
            time.sleep(rng.uniform(0.4, 2.0))
            counts = _statuses(sf)
            child.kill()
            kill_log.append({"kill": k + 1, "statuses": counts})
            if tick:
                tick(counts.get(MINED, 0) + counts.get(FAILED, 0))
            child = world.relayer(url, "relayer-crash", batch_size=50).start()
        thread.join()
        if failure:
            raise failure[0]
        counts = _wait_final(sf, intents, timeout=180.0, tick=tick)
    finally:
        child.stop()
    rewarded = _rewarded(world.node, block0)
    task_ids = [int(args["taskId"]) for _, args in work]
    on_chain = Counter({t: rewarded[t] for t in task_ids})
    duplicates = sum(max(0, c - 1) for c in on_chain.values())
    lost = sum(1 for t in task_ids if on_chain[t] == 0)
    with sf() as s:
        errors = Counter(
            str(name) for name in s.scalars(select(Intent.error_name).where(Intent.status == FAILED)) if name
        )
        txs = int(s.scalar(select(func.count()).select_from(Transaction)) or 0)
    engine.dispose()
    return {
        "kills": len(kill_log),
        "intents": intents,
        "duplicates": duplicates,
        "lost": lost,
        "statuses": counts,
        "failed_errors": dict(errors),
        "second_sends_stopped_by_contract": errors.get("HeitjeTaskAlreadyRewarded", 0),
        "transactions": txs,
    }


def _rewarded(node: Node, from_block: int) -> Counter[int]:
    topic = "0x" + ABI.event_topic("TaskRewarded").hex()
    head = node.chain.block_number()
    found: Counter[int] = Counter()
    for start in range(from_block, head + 1, 5000):
        logs = node.chain.rpc.call(
            "eth_getLogs",
            {"address": node.contract, "fromBlock": hex(start), "toBlock": hex(min(head, start + 4999)),
             "topics": [topic]},
        )  # fmt: skip
        found.update(int(item["topics"][1], 16) for item in logs)
    return found
