# SPDX-License-Identifier: EUPL-1.2
"""Relayer throughput next to a naive web3.py loop, on the same chain in the same run (development chains
only: it uses anvil's published dev keys).

    python -m backend.relayer.bench --n 5000 --block-time 1     # own anvil, SQLite in a temp folder
    measure(rpc_url, deployment, database_url, n)               # from `heitje bench`
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from sqlalchemy import func, select
from web3 import Web3

from alembic import command
from backend.relayer.models import FAILED, MINED, Intent
from backend.relayer.outbox import enqueue
from backend.relayer.worker import Relayer, RelayerConfig
from heitje.chain.abi import heitje_abi
from heitje.chain.client import Chain
from heitje.db import alembic_config, make_engine, session_factory, unit_of_work
from heitje.deploy import Deployment, role_id
from heitje.signing import ROLE_NAMES, LocalKeySigner, dev_account

log = logging.getLogger(__name__)

#: Dev account used by the naive loop (granted ISSUER_ROLE), so it never shares nonces with the relayer.
NAIVE_ACCOUNT_INDEX = 7


def _send_and_wait(chain: Chain, signer: LocalKeySigner, to: str, datas: list[bytes], gas: int) -> None:
    start = chain.nonce(signer.address)
    raws = [signer.sign_transaction(chain.build_tx(signer.address, to, d, start + i, gas)) for i, d in enumerate(datas)]
    hashes = chain.rpc.batch([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws])
    for h in hashes:
        if isinstance(h, Exception):
            raise h
        chain.wait(h, timeout=120)


def _enrol_citizens(chain: Chain, contract: str, count: int) -> list[str]:
    abi = heitje_abi()
    citizens = [str(Account.create().address) for _ in range(count)]
    base = int.from_bytes(Account.create().key[:8], "big") << 32  # fresh citizen ids on a reused chain
    _send_and_wait(
        chain,
        LocalKeySigner(dev_account(2)),
        contract,
        [abi.functions["enrolCitizen"].encode(c, (base + i + 1).to_bytes(32, "big")) for i, c in enumerate(citizens)],
        gas=200_000,
    )
    return citizens


def naive_loop(rpc_url: str, contract: str, citizens: list[str], seconds: float, first_task: int) -> dict[str, Any]:
    """web3.py contract object: build_transaction → sign → send → wait, one mint at a time."""
    admin = LocalKeySigner(dev_account(0))
    account = dev_account(NAIVE_ACCOUNT_INDEX)
    chain = Chain(rpc_url, abi=heitje_abi())
    try:
        grant = heitje_abi().functions["grantRole"].encode(role_id("ISSUER_ROLE"), account.address)
        chain.transact(admin, contract, grant, gas=200_000)
    finally:
        chain.close()
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    token = w3.eth.contract(address=Web3.to_checksum_address(contract), abi=heitje_abi().abi)
    done = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        params: Any = {
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address),
            "maxFeePerGas": 0,
            "maxPriorityFeePerGas": 0,
        }
        tx: Any = token.functions.mintForTask(citizens[done % len(citizens)], 1, first_task + done).build_transaction(
            params
        )
        signed = account.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.05)
        done += 1
    elapsed = time.monotonic() - start
    return {"naive_tx": done, "naive_seconds": round(elapsed, 2), "naive_per_s": round(done / elapsed, 2)}


def _drain(
    sf: Any, chain: Chain, contract: str, citizens: list[str], n: int, first_task: int, batch_size: int
) -> dict[str, Any]:
    """Relayer capacity alone: n intents already queued, relayer started, time until all are mined."""
    with unit_of_work(sf) as s:
        for k in range(n):
            task = first_task + k
            enqueue(
                s,
                business_key=f"bench:{task}",
                action="mintForTask",
                args={"citizen": citizens[k % len(citizens)], "amount": 1, "taskId": task},
            )
        total = s.scalar(select(func.count()).select_from(Intent)) or 0
    signers = {role: LocalKeySigner(dev_account(i)) for i, role in enumerate(ROLE_NAMES)}
    relayer = Relayer(sf, chain, contract, signers, RelayerConfig(batch_size=batch_size))
    stop = threading.Event()
    start = time.monotonic()
    thread = threading.Thread(target=relayer.run, args=(stop,), name="relayer-drain", daemon=True)
    thread.start()
    final = 0
    while final < total and time.monotonic() - start < 600:
        time.sleep(0.02)
        with sf() as s:
            final = s.scalar(select(func.count()).where(Intent.status.in_((MINED, FAILED)))) or 0
    elapsed = time.monotonic() - start
    stop.set()
    thread.join(timeout=20)
    return {"drain_seconds": round(elapsed, 2), "drain_per_s": round(n / elapsed, 1)}


def measure(
    rpc_url: str,
    deployment: Deployment,
    database_url: str,
    n: int,
    naive_seconds: float = 10.0,
    batch_size: int = 200,
    enqueue_chunk: int = 100,
    producers: int | None = None,
) -> dict[str, Any]:
    """n mint intents enqueued (chunks of `enqueue_chunk` per DB transaction, as services would) while the
    relayer runs, from `producers` threads (services are several API workers); intents_per_s =
    n / (first enqueue → last intent mined). drain_per_s: another n already queued when a relayer starts
    (its own capacity, start-up and reconcile included). Then the naive loop on the same chain."""
    command.upgrade(alembic_config(database_url), "relayer@head")
    engine = make_engine(database_url)
    sf = session_factory(engine)
    if producers is None:  # SQLite has one writer at a time: more threads only add lock waits
        producers = 1 if engine.dialect.name == "sqlite" else 4
    chain = Chain(rpc_url, abi=heitje_abi())
    contract = deployment.address
    citizens = _enrol_citizens(chain, contract, max(10, n // 200))
    first_task = int(time.time() * 1000) << 20
    signers = {role: LocalKeySigner(dev_account(i)) for i, role in enumerate(ROLE_NAMES)}
    relayer = Relayer(sf, chain, contract, signers, RelayerConfig(batch_size=batch_size))
    stop = threading.Event()
    thread = threading.Thread(target=relayer.run, args=(stop,), name="relayer-bench", daemon=True)
    thread.start()
    time.sleep(0.5)  # leadership and reconcile are start-up costs, not throughput
    block0 = chain.block_number()

    def produce(offset: int) -> None:
        for i in range(offset * enqueue_chunk, n, enqueue_chunk * producers):
            with unit_of_work(sf) as s:
                for k in range(i, min(n, i + enqueue_chunk)):
                    task = first_task + k
                    enqueue(
                        s,
                        business_key=f"bench:{task}",
                        action="mintForTask",
                        args={"citizen": citizens[k % len(citizens)], "amount": 1, "taskId": task},
                    )

    start = time.monotonic()
    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    enqueued = time.monotonic() - start
    final = 0
    while final < n:
        with sf() as s:
            final = s.scalar(select(func.count()).where(Intent.status.in_((MINED, FAILED)))) or 0
        if time.monotonic() - start > 600:
            break
        time.sleep(0.02)
    elapsed = time.monotonic() - start
    stop.set()
    thread.join(timeout=20)
    with sf() as s:
        mined = s.scalar(select(func.count()).where(Intent.status == MINED)) or 0
    blocks = chain.block_number() - block0
    result: dict[str, Any] = {
        "intents": n,
        "mined": mined,
        "seconds": round(elapsed, 2),
        "enqueue_seconds": round(enqueued, 2),
        "intents_per_s": round(n / elapsed, 1),
        "transactions": relayer.counters.signed_txs,
        "blocks": blocks,
        "database": engine.dialect.name,
        "producers": producers,
    }
    result.update(_drain(sf, chain, contract, citizens, n, first_task + n, batch_size))
    engine.dispose()
    chain.close()
    result.update(naive_loop(rpc_url, contract, citizens, naive_seconds, first_task + 2 * n + 1))
    result["speedup"] = round(result["intents_per_s"] / max(result["naive_per_s"], 1e-9), 1)
    return result


def _settings(tmp: Path) -> Any:
    from heitje.settings import Environment, Settings

    return Settings(env=Environment.test, data_dir=tmp, deployments_dir=tmp, keystore_dir=tmp)


def main(argv: list[str] | None = None) -> int:
    from heitje.chain.anvil import Anvil
    from heitje.deploy import deploy

    parser = argparse.ArgumentParser(prog="python -m backend.relayer.bench")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--block-time", type=float, default=1.0)
    parser.add_argument("--database-url", default="", help="A dedicated, empty database (default: temp SQLite)")
    parser.add_argument("--producers", type=int, default=None, help="Enqueue threads (1 on SQLite, 4 else)")
    parser.add_argument("--naive-seconds", type=float, default=10.0)
    parser.add_argument("--naive-automine", action="store_true", help="Also time the naive loop on automine")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp, Anvil(block_time=args.block_time) as node:
        settings = _settings(Path(tmp))
        chain = Chain(node.url, abi=heitje_abi())
        deployment = deploy(chain, LocalKeySigner(dev_account(0)), settings, dev_chain=True)
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        result = measure(node.url, deployment, url, args.n, naive_seconds=args.naive_seconds, producers=args.producers)
        result["block_time"] = args.block_time
    if args.naive_automine:
        # The naive loop's best case: one block per transaction, no waiting for an interval.
        with tempfile.TemporaryDirectory() as tmp, Anvil(block_time=0) as node:
            settings = _settings(Path(tmp))
            chain = Chain(node.url, abi=heitje_abi())
            deployment = deploy(chain, LocalKeySigner(dev_account(0)), settings, dev_chain=True)
            citizens = _enrol_citizens(chain, deployment.address, 10)
            auto = naive_loop(node.url, deployment.address, citizens, args.naive_seconds, 1)
        result["naive_automine_per_s"] = auto["naive_per_s"]
        result["speedup_vs_naive_automine"] = round(result["intents_per_s"] / auto["naive_per_s"], 1)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
