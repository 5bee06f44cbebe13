# SPDX-License-Identifier: EUPL-1.2
"""Wiring: one `bootstrap()` builds an Indexer from explicit parts, so tests can pass fakes."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from heitje.chain.abi import heitje_abi
from heitje.chain.client import RpcClient
from heitje.db import make_engine, session_factory
from indexer.fetch import Backoff, NodeSource, Rpc
from indexer.follower import Indexer, IndexerConfig
from indexer.metrics import Metrics
from indexer.store import PageHook, RollbackHook, Store

log = logging.getLogger(__name__)

#: Modules of other packages that react to committed pages. Each may define
#: `on_page_committed(session, events)` and `on_rollback(session, ancestor_block)`.
HOOK_MODULES = ("backend.indexer_hooks",)


def discover_hooks(modules: Sequence[str] = HOOK_MODULES) -> tuple[list[PageHook], list[RollbackHook]]:
    pages: list[PageHook] = []
    rollbacks: list[RollbackHook] = []
    for name in modules:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        if hasattr(mod, "on_page_committed"):
            pages.append(mod.on_page_committed)
        if hasattr(mod, "on_rollback"):
            rollbacks.append(mod.on_rollback)
        log.info("indexer hooks loaded from %s", name)
    return pages, rollbacks


@dataclass
class Parts:
    indexer: Indexer
    engine: Engine
    rpc: Rpc


def bootstrap(
    rpc_url: str | Rpc,
    database_url: str,
    contract: str,
    start_block: int,
    chain_id: int,
    config: IndexerConfig | None = None,
    page_blocks: int = 5000,
    target_logs: int = 10_000,
    rpc_timeout: float = 30.0,
    backoff: Backoff | None = None,
    page_hooks: Sequence[PageHook] = (),
    rollback_hooks: Sequence[RollbackHook] = (),
    metrics: Metrics | None = None,
    engine: Engine | None = None,
) -> Parts:
    rpc: Rpc = RpcClient(rpc_url, timeout=rpc_timeout) if isinstance(rpc_url, str) else rpc_url
    engine = engine or make_engine(database_url)
    store = Store(contract, chain_id, heitje_abi(), page_hooks, rollback_hooks)
    source = NodeSource(rpc, contract, max_blocks=page_blocks, target_logs=target_logs, backoff=backoff)
    indexer = Indexer(source, session_factory(engine), store, start_block, config, metrics)
    return Parts(indexer, engine, rpc)
