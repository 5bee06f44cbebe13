# SPDX-License-Identifier: EUPL-1.2
"""Wires a Relayer from settings: database, chain client with explicit fees, role signers, deployment."""

from __future__ import annotations

import logging

from backend.relayer.actions import ACTION_ROLES
from backend.relayer.worker import Relayer, RelayerConfig
from heitje.chain.abi import heitje_abi
from heitje.chain.client import Chain, Fees
from heitje.db import make_engine, session_factory
from heitje.deploy import Deployment, load_deployment
from heitje.errors import ConfigurationError
from heitje.settings import Settings
from heitje.signing import Signer, keystore_path, load_signer

log = logging.getLogger(__name__)


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
    return Relayer(session_factory(engine), chain, deployment.address, role_signers(settings), config)


def role_signers(settings: Settings) -> dict[str, Signer]:
    """The role keys this relayer holds. In production a role whose keystore is absent is skipped (its
    intents wait for a relayer that holds that key — the admin key, say, often lives elsewhere); a keystore
    that is present but cannot be unlocked stops the start."""
    signers: dict[str, Signer] = {}
    for role in sorted(set(ACTION_ROLES.values())):
        if not settings.is_dev and not keystore_path(settings, role).exists():
            log.warning("no keystore for role %s: its intents wait for a relayer that holds that key", role)
            continue
        signers[role] = load_signer(settings, role)
    if not signers:
        raise ConfigurationError(f"no role keystores in {settings.keystore_dir}: nothing to relay")
    return signers
