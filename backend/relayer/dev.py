# SPDX-License-Identifier: EUPL-1.2
"""`heitje dev` runs the relayer in-process, in a thread, next to the API and the indexer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from backend.relayer.bootstrap import bootstrap
from heitje.deploy import Deployment
from heitje.settings import Settings

log = logging.getLogger(__name__)


def start_dev(settings: Settings, deployment: Deployment, stop_event: threading.Event) -> Callable[[], None]:
    relayer = bootstrap(settings, deployment)
    own_stop = threading.Event()

    def _run() -> None:
        try:
            relayer.run(own_stop)
        except Exception:
            log.exception("relayer stopped")
            stop_event.set()

    thread = threading.Thread(target=_run, name="relayer", daemon=True)
    thread.start()
    print("relayer   in-process (leader for this chain)")

    def stop() -> None:
        own_stop.set()
        thread.join(timeout=10)
        relayer.chain.close()

    return stop
