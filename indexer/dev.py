# SPDX-License-Identifier: EUPL-1.2
"""The indexer inside `heitje dev`: a thread following the dev chain into the dev database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from heitje.deploy import Deployment
from heitje.settings import Settings
from indexer.bootstrap import bootstrap, discover_hooks
from indexer.follower import IndexerConfig
from indexer.metrics import Metrics

log = logging.getLogger(__name__)


def start_dev(settings: Settings, deployment: Deployment, stop: threading.Event) -> Callable[[], None]:
    pages, rollbacks = discover_hooks()
    config = IndexerConfig(confirmations=settings.confirmations, poll_interval=0.5)
    parts = bootstrap(
        settings.rpc_url,
        settings.effective_database_url,
        deployment.address,
        deployment.block_number,
        deployment.chain_id,
        config=config,
        page_blocks=settings.log_page_blocks,
        page_hooks=pages,
        rollback_hooks=rollbacks,
        metrics=Metrics(),
    )
    mine = threading.Event()

    def follow() -> None:
        try:
            parts.indexer.run(mine)
        except Exception:
            log.exception("the dev indexer stopped")
            stop.set()

    thread = threading.Thread(target=follow, name="indexer", daemon=True)
    thread.start()
    print(f"indexer   following {deployment.address} into {settings.effective_database_url}")

    def stopper() -> None:
        mine.set()
        thread.join(timeout=10)
        parts.engine.dispose()

    return stopper
