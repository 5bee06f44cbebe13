# SPDX-License-Identifier: EUPL-1.2
"""Deploys HeitjeToken, grants the operational roles and writes `deployments/<chainId>.json`."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from heitje.chain.abi import heitje_abi
from heitje.chain.client import Chain
from heitje.compiler import SOLC_VERSION, artifact_hash, compiler_settings, load_artifact
from heitje.errors import ConfigurationError, DeploymentError
from heitje.settings import Settings
from heitje.signing import ROLE_NAMES, Signer, dev_account

log = logging.getLogger(__name__)

#: Contract role constant → operational role name (key / settings field prefix).
ROLE_CONSTANTS = {
    "ISSUER_ROLE": "issuer",
    "REGISTRAR_ROLE": "registrar",
    "SETTLER_ROLE": "settler",
    "PAUSER_ROLE": "pauser",
    "RECOVERY_ROLE": "recovery",
}


def role_id(constant: str) -> bytes:
    return keccak(text=constant)


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    address: str
    block_number: int
    block_hash: str
    tx_hash: str
    artifact_hash: str
    roles: dict[str, list[str]]
    admin: str
    pending_admin: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "contract": "HeitjeToken",
            "chainId": self.chain_id,
            "address": self.address,
            "blockNumber": self.block_number,
            "blockHash": self.block_hash,
            "txHash": self.tx_hash,
            "artifactHash": self.artifact_hash,
            "compiler": {"version": SOLC_VERSION, "settings": compiler_settings()},
            "roles": self.roles,
            "admin": self.admin,
            "pendingAdmin": self.pending_admin,
            "deployedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        return cls(
            chain_id=data["chainId"],
            address=to_checksum_address(data["address"]),
            block_number=data["blockNumber"],
            block_hash=data["blockHash"],
            tx_hash=data["txHash"],
            artifact_hash=data["artifactHash"],
            roles=data["roles"],
            admin=data["admin"],
            pending_admin=data.get("pendingAdmin"),
        )


def manifest_path(deployments_dir: Path, chain_id: int) -> Path:
    return deployments_dir / f"{chain_id}.json"


def load_deployment(deployments_dir: Path, chain_id: int) -> Deployment:
    path = manifest_path(deployments_dir, chain_id)
    if not path.exists():
        raise DeploymentError(f"no deployment manifest for chain {chain_id} at {path}: run `heitje deploy`")
    return Deployment.from_json(json.loads(path.read_text()))


def role_holders(settings: Settings, dev_chain: bool) -> dict[str, str]:
    """Address per operational role: the dev keys on a dev chain, else the configured addresses."""
    if dev_chain:
        return {role: str(dev_account(i).address) for i, role in enumerate(ROLE_NAMES)}
    holders: dict[str, str] = {}
    for role in ROLE_NAMES:
        value = getattr(settings, f"{role}_address")
        if not value:
            raise ConfigurationError(f"HEITJE_{role.upper()}_ADDRESS must be set to deploy to a production chain")
        holders[role] = to_checksum_address(value)
    return holders


def deploy(chain: Chain, deployer: Signer, settings: Settings, dev_chain: bool, force: bool = False) -> Deployment:
    """Deploy and configure the token. Refused when the manifest names a live contract, unless `force`."""
    path = manifest_path(settings.deployments_dir, chain.chain_id)
    if path.exists() and not force:
        existing = Deployment.from_json(json.loads(path.read_text()))
        if chain.rpc.call("eth_getCode", existing.address, "latest") not in ("0x", "0x0", None):
            raise DeploymentError(
                f"HeitjeToken is already deployed on chain {chain.chain_id} at {existing.address}; "
                "pass --force to deploy another"
            )
        log.warning("manifest %s names an address without code (chain was reset); deploying again", path)

    holders = role_holders(settings, dev_chain)
    artifact = load_artifact("HeitjeToken")
    init_code = bytes.fromhex(artifact["bytecode"][2:]) + encode(
        ["address", "uint48"], [deployer.address, settings.admin_delay_seconds]
    )
    rcpt = chain.transact(deployer, None, init_code, gas=6_000_000)
    address = to_checksum_address(rcpt["contractAddress"])
    abi = heitje_abi()
    grant = abi.functions["grantRole"]
    roles: dict[str, list[str]] = {}
    for constant, role in ROLE_CONSTANTS.items():
        chain.transact(deployer, address, grant.encode(role_id(constant), holders[role]), gas=200_000)
        roles[constant] = [holders[role]]

    pending_admin = None
    if to_checksum_address(holders["admin"]) != to_checksum_address(deployer.address):
        begin = abi.functions["beginDefaultAdminTransfer"]
        chain.transact(deployer, address, begin.encode(holders["admin"]), gas=200_000)
        pending_admin = holders["admin"]
        log.info("admin handover to %s started; it must call acceptDefaultAdminTransfer", pending_admin)

    deployment = Deployment(
        chain_id=chain.chain_id,
        address=address,
        block_number=int(rcpt["blockNumber"], 16),
        block_hash=rcpt["blockHash"],
        tx_hash=rcpt["transactionHash"],
        artifact_hash=artifact_hash("HeitjeToken"),
        roles=roles,
        admin=deployer.address,
        pending_admin=pending_admin,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(deployment.to_json(), indent=2) + "\n")
    return deployment
