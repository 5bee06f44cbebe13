# SPDX-License-Identifier: EUPL-1.2
"""Helpers for relayer tests: a deployed token with enrolled citizens on a fresh anvil, a relayer running in
a thread, and reads of the chain's own record (TaskRewarded logs, totalSupply, nonces)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.relayer.models import FAILED, MINED, Intent
from backend.relayer.worker import Relayer, RelayerConfig
from heitje.chain.abi import heitje_abi
from heitje.chain.anvil import Anvil
from heitje.chain.client import Chain
from heitje.deploy import Deployment, deploy
from heitje.settings import Settings
from heitje.signing import ROLE_NAMES, LocalKeySigner, dev_account
from tests.conftest import make_settings

ABI = heitje_abi()
_task_ids = itertools.count(1_000_000)


def next_task_ids(n: int) -> list[int]:
    """Task ids never used before in this test session (tests share one chain per module)."""
    return [next(_task_ids) for _ in range(n)]


@dataclass
class ChainEnv:
    node: Anvil
    chain: Chain
    deployment: Deployment
    settings: Settings
    citizens: list[str]

    @property
    def contract(self) -> str:
        return self.deployment.address

    def signers(self) -> dict[str, LocalKeySigner]:
        return {role: LocalKeySigner(dev_account(i)) for i, role in enumerate(ROLE_NAMES)}

    def relayer(self, sf: sessionmaker[Session], **config: Any) -> Relayer:
        return Relayer(sf, Chain(self.node.url, abi=ABI), self.contract, self.signers(), RelayerConfig(**config))

    def total_supply(self) -> int:
        out = self.chain.call(self.contract, ABI.functions["totalSupply"].encode())
        return int(ABI.functions["totalSupply"].decode_output(out)[0])

    def balance(self, address: str) -> int:
        out = self.chain.call(self.contract, ABI.functions["balanceOf"].encode(address))
        return int(ABI.functions["balanceOf"].decode_output(out)[0])

    def rewarded(self, from_block: int) -> Counter[int]:
        """How many TaskRewarded events each taskId has on chain since `from_block`."""
        topic = "0x" + ABI.event_topic("TaskRewarded").hex()
        logs = self.chain.rpc.call(
            "eth_getLogs",
            {"address": self.contract, "fromBlock": hex(from_block), "toBlock": "latest", "topics": [topic]},
        )
        return Counter(int(log["topics"][1], 16) for log in logs)


def send_all(chain: Chain, signer: LocalKeySigner, to: str, datas: list[bytes], gas: int = 300_000) -> None:
    """Send several calls from one key in one JSON-RPC batch and wait for the last (setup only)."""
    start = chain.nonce(signer.address)
    raws = [signer.sign_transaction(chain.build_tx(signer.address, to, d, start + i, gas)) for i, d in enumerate(datas)]
    results = chain.rpc.batch([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws])
    assert not [r for r in results if isinstance(r, Exception)], results
    for h in results:
        assert int(chain.wait(h, timeout=30)["status"], 16) == 1


def make_env(node: Anvil, tmp: Path, citizens: int = 20) -> ChainEnv:
    chain = Chain(node.url, abi=ABI)
    settings = make_settings(tmp)
    deployment = deploy(chain, LocalKeySigner(dev_account(0)), settings, dev_chain=True)
    addresses = [str(Account.create().address) for _ in range(citizens)]
    enrol = ABI.functions["enrolCitizen"]
    send_all(
        chain,
        LocalKeySigner(dev_account(2)),
        deployment.address,
        [enrol.encode(a, (i + 1).to_bytes(32, "big")) for i, a in enumerate(addresses)],
    )
    return ChainEnv(node, chain, deployment, settings, addresses)


@contextmanager
def running(relayer: Relayer) -> Iterator[Relayer]:
    """Run the relayer in a thread for the duration of the block; re-raise its failure at the end."""
    stop = threading.Event()
    failure: list[BaseException] = []

    def target() -> None:
        try:
            relayer.run(stop)
        except BaseException as exc:  # surfaced in the test below
            failure.append(exc)

    thread = threading.Thread(target=target, name="relayer-under-test", daemon=True)
    thread.start()
    try:
        yield relayer
    finally:
        stop.set()
        thread.join(timeout=20)
    if failure:
        raise failure[0]


def open_count(sf: sessionmaker[Session]) -> tuple[int, int]:
    """(intents not yet final, all intents)."""
    with sf() as s:
        total = s.scalar(select(func.count()).select_from(Intent)) or 0
        final = s.scalar(select(func.count()).where(Intent.status.in_((MINED, FAILED)))) or 0
    return total - final, total


def wait_final(sf: sessionmaker[Session], expected: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending, total = open_count(sf)
        if total >= expected and pending == 0:
            return
        time.sleep(0.1)
    pending, total = open_count(sf)
    raise AssertionError(f"{pending} of {total} intents not final after {timeout}s (expected {expected})")


def statuses(sf: sessionmaker[Session]) -> Counter[str]:
    with sf() as s:
        return Counter(dict(s.execute(select(Intent.status, func.count()).group_by(Intent.status)).all()))
