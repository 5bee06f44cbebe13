# SPDX-License-Identifier: EUPL-1.2
"""Which ledger this backend serves: chain id and contract address, from the deployment manifest."""

from __future__ import annotations

from dataclasses import dataclass

from heitje.chain.client import RpcClient
from heitje.deploy import load_deployment
from heitje.settings import Settings


@dataclass(frozen=True)
class Ledger:
    chain_id: int
    address: str  # checksum address of HeitjeToken
    deployment_block: int
    rpc_url: str


def load_ledger(settings: Settings) -> Ledger:
    chain_id = settings.chain_id
    if chain_id is None:
        rpc = RpcClient(settings.rpc_url, timeout=10)
        try:
            chain_id = int(rpc.call("eth_chainId"), 16)
        finally:
            rpc.close()
    deployment = load_deployment(settings.deployments_dir, chain_id)
    return Ledger(chain_id, deployment.address, deployment.block_number, settings.rpc_url)
