# SPDX-License-Identifier: EUPL-1.2
"""What every benchmark section shares: a temp folder, settings pointing into it, chains and deployments."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak, to_checksum_address

from heitje.chain.abi import heitje_abi
from heitje.chain.anvil import Anvil
from heitje.chain.client import Chain
from heitje.deploy import Deployment, deploy
from heitje.settings import Settings
from heitje.signing import LocalKeySigner, Signer, dev_account

ABI = heitje_abi()

#: Dev key indices (anvil's public mnemonic): 0 admin, 1 issuer (also the relayer key), 2 registrar, 3 settler.
ADMIN, ISSUER, REGISTRAR, SETTLER = 0, 1, 2, 3


def signer(index: int) -> LocalKeySigner:
    return LocalKeySigner(dev_account(index))


def bench_settings(folder: Path, **overrides: object) -> Settings:
    """Settings for a benchmark process: everything inside `folder`, development keys, explicit zero fees."""
    values: dict[str, object] = {
        "env": "development",
        "data_dir": folder,
        "deployments_dir": folder / "deployments",
        "keystore_dir": folder / "keystore",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def child_env(settings: Settings, rpc_url: str, database_url: str) -> dict[str, str]:
    """Environment for a child process (relayer, API server) that sees the same world as `settings`."""
    env = dict(os.environ)
    env.update(
        {
            "HEITJE_ENV": settings.env.value,
            "HEITJE_DATA_DIR": str(settings.data_dir),
            "HEITJE_DEPLOYMENTS_DIR": str(settings.deployments_dir),
            "HEITJE_KEYSTORE_DIR": str(settings.keystore_dir),
            "HEITJE_RPC_URL": rpc_url,
            "HEITJE_DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def python() -> str:
    return sys.executable


@dataclass
class Node:
    """A running anvil with a deployed HeitjeToken."""

    anvil: Anvil
    chain: Chain
    deployment: Deployment
    settings: Settings

    @property
    def url(self) -> str:
        return self.anvil.url

    @property
    def contract(self) -> str:
        return self.deployment.address

    def close(self) -> None:
        self.chain.close()
        self.anvil.stop()


def start_node(folder: Path, block_time: float) -> Node:
    folder.mkdir(parents=True, exist_ok=True)
    anvil = Anvil(block_time=block_time, log_path=folder / "anvil.log").start()
    chain = Chain(anvil.url, abi=ABI)
    settings = bench_settings(folder)
    deployment = deploy(chain, signer(ADMIN), settings, dev_chain=True)
    return Node(anvil, chain, deployment, settings)


def send_in_order(chain: Chain, who: Signer, to: str, datas: Sequence[bytes], gas: int = 300_000) -> None:
    """Send calls from one key in one JSON-RPC batch (nonce order) and require every receipt succeeded."""
    start = chain.nonce(who.address)
    raws = [who.sign_transaction(chain.build_tx(who.address, to, d, start + i, gas)) for i, d in enumerate(datas)]
    results = chain.rpc.batch([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws])
    refused = [r for r in results if isinstance(r, Exception)]
    if refused:
        raise RuntimeError(f"setup transaction refused: {refused[0]}")
    for tx_hash in results:
        if int(chain.wait(tx_hash, timeout=60)["status"], 16) != 1:
            raise chain.revert_reason(tx_hash)


def enrol_citizens(node: Node, addresses: Sequence[str], label: str) -> None:
    enrol = ABI.functions["enrolCitizen"]
    datas = [enrol.encode(a, keccak(text=f"bench-{label}-{i}")) for i, a in enumerate(addresses)]
    for i in range(0, len(datas), 200):
        send_in_order(node.chain, signer(REGISTRAR), node.contract, datas[i : i + 200])


def checksum(address: str) -> str:
    return str(to_checksum_address(address))
