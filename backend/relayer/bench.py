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
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from sqlalchemy import func, select
from web3 import Web3

from alembic import command
from backend.relayer.models import FAILED, MINED, Intent, Transaction
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


class _Runner:
    """The relayer under test: in a thread of this process, or (default) its own process like production,
    so that it does not compete with the enqueuing threads for this interpreter's GIL."""

    def __init__(
        self, rpc_url: str, deployment: Deployment, database_url: str, batch_size: int, workdir: Path, separate: bool
    ) -> None:
        self.rpc_url, self.deployment, self.database_url = rpc_url, deployment, database_url
        self.batch_size, self.workdir, self.separate = batch_size, workdir, separate
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._log = workdir / "relayer.log"

    def start(self) -> None:
        """Start and wait until the relayer leads and has reconciled (start-up is not throughput)."""
        if not self.separate:
            sf = session_factory(make_engine(self.database_url))
            signers = {role: LocalKeySigner(dev_account(i)) for i, role in enumerate(ROLE_NAMES)}
            chain = Chain(self.rpc_url, abi=heitje_abi())
            relayer = Relayer(sf, chain, self.deployment.address, signers, RelayerConfig(batch_size=self.batch_size))
            self._stop = threading.Event()
            self._thread = threading.Thread(target=relayer.run, args=(self._stop,), daemon=True)
            self._thread.start()
            time.sleep(0.5)
            return
        from heitje.deploy import manifest_path
        from heitje.signing import keystore_path, write_keystore

        settings = _settings(self.workdir)
        path = manifest_path(settings.deployments_dir, self.deployment.chain_id)
        path.write_text(json.dumps(self.deployment.to_json()))
        for i, role in enumerate(ROLE_NAMES):
            ks = keystore_path(settings, role)
            if not ks.exists():
                write_keystore(ks, dev_account(i), settings.keystore_password.get_secret_value(), scrypt_n=2**10)
        seen = self._log.read_text().count("reconciled with chain") if self._log.exists() else 0
        env = {
            **os.environ,
            "HEITJE_ENV": "test",
            "HEITJE_RPC_URL": self.rpc_url,
            "HEITJE_DATABASE_URL": self.database_url,
            "HEITJE_DATA_DIR": str(self.workdir),
            "HEITJE_DEPLOYMENTS_DIR": str(settings.deployments_dir),
            "HEITJE_KEYSTORE_DIR": str(settings.keystore_dir),
        }
        cmd = [sys.executable, "-m", "backend.relayer", "--batch-size", str(self.batch_size)]
        self._proc = subprocess.Popen(cmd, env=env, stdout=self._log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while self._log.read_text().count("reconciled with chain") <= seen:
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("relayer process did not start: " + self._log.read_text()[-2000:])
            time.sleep(0.02)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=30)
            self._proc = None
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=20)
            self._thread = None


def _wait_final(sf: Any, total: int, start: float) -> None:
    final = 0
    while final < total and time.monotonic() - start < 600:
        with sf() as s:
            final = s.scalar(select(func.count()).where(Intent.status.in_((MINED, FAILED)))) or 0
        time.sleep(0.02)


def _enqueue_mints(sf: Any, citizens: list[str], first_task: int, indices: range) -> None:
    with unit_of_work(sf) as s:
        for k in indices:
            task = first_task + k
            enqueue(
                s,
                business_key=f"bench:{task}",
                action="mintForTask",
                args={"citizen": citizens[k % len(citizens)], "amount": 1, "taskId": task},
            )


def measure(
    rpc_url: str,
    deployment: Deployment,
    database_url: str,
    n: int,
    naive_seconds: float = 10.0,
    batch_size: int = 200,
    enqueue_chunk: int = 100,
    producers: int | None = None,
    separate_process: bool = True,
) -> dict[str, Any]:
    """Throughput of the relayer, and of a naive web3.py loop on the same chain in the same run.

    intents_per_s: n mint intents enqueued (`enqueue_chunk` per DB transaction, as services do) from
    `producers` threads while the relayer runs; n / (first enqueue → last intent mined).
    drain_per_s: another n already queued when a relayer starts; n / (relayer ready → last mined).
    """
    command.upgrade(alembic_config(database_url), "relayer@head")
    engine = make_engine(database_url)
    sf = session_factory(engine)
    if producers is None:  # SQLite has one writer at a time: more threads only add lock waits
        producers = 1 if engine.dialect.name == "sqlite" else 4
    chain = Chain(rpc_url, abi=heitje_abi())
    contract = deployment.address
    citizens = _enrol_citizens(chain, contract, max(10, n // 200))
    first_task = int(time.time() * 1000) << 20
    with tempfile.TemporaryDirectory() as workdir:
        runner = _Runner(rpc_url, deployment, database_url, batch_size, Path(workdir), separate_process)
        runner.start()
        block0 = chain.block_number()

        def produce(offset: int) -> None:
            for i in range(offset * enqueue_chunk, n, enqueue_chunk * producers):
                _enqueue_mints(sf, citizens, first_task, range(i, min(n, i + enqueue_chunk)))

        start = time.monotonic()
        threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        enqueued = time.monotonic() - start
        _wait_final(sf, n, start)
        elapsed = time.monotonic() - start
        runner.stop()
        blocks = chain.block_number() - block0
        with sf() as s:
            mined = s.scalar(select(func.count()).where(Intent.status == MINED)) or 0
            transactions = s.scalar(select(func.count()).select_from(Transaction)) or 0
        # Drain: a backlog of n is waiting when the relayer (re)starts.
        _enqueue_mints(sf, citizens, first_task, range(n, 2 * n))
        runner.start()
        drain_start = time.monotonic()
        _wait_final(sf, 2 * n, drain_start)
        drain = time.monotonic() - drain_start
        runner.stop()
    result: dict[str, Any] = {
        "intents": n,
        "mined": mined,
        "seconds": round(elapsed, 2),
        "enqueue_seconds": round(enqueued, 2),
        "intents_per_s": round(n / elapsed, 1),
        "transactions": transactions,
        "blocks": blocks,
        "database": engine.dialect.name,
        "producers": producers,
        "relayer": "own process" if separate_process else "thread",
        "drain_seconds": round(drain, 2),
        "drain_per_s": round(n / drain, 1),
    }
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
    parser.add_argument("--in-thread", action="store_true", help="Run the relayer in a thread of this process")
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
