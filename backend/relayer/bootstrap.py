# SPDX-License-Identifier: EUPL-1.2
"""Wires a Relayer from settings: database, chain client with explicit fees, role signers, deployment."""

from __future__ import annotations

from backend.relayer.actions import ACTION_ROLES
from backend.relayer.worker import Relayer, RelayerConfig
from heitje.chain.abi import heitje_abi
from heitje.chain.client import Chain, Fees
from heitje.db import make_engine, session_factory
from heitje.deploy import Deployment, load_deployment
from heitje.settings import Settings
from heitje.signing import load_signer


def bootstrap(
    settings: Settings,
    deployment: Deployment | None = None,
    config: RelayerConfig | None = None,
    database_url: str | None = None,
) -> Relayer:
    chain = Chain(settings.rpc_url, Fees(settings.max_fee_per_gas, settings.max_priority_fee_per_gas), heitje_abi())
    if deployment is None:
        deployment = load_deployment(settings.deployments_dir, chain.chain_id)
    engine = make_engine(database_url or settings.effective_database_url)
    signers = {role: load_signer(settings, role) for role in sorted(set(ACTION_ROLES.values()))}
    return Relayer(session_factory(engine), chain, deployment.address, signers, config)
