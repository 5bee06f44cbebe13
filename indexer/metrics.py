# SPDX-License-Identifier: EUPL-1.2
"""Lag and throughput, for Prometheus (`/metrics`) and for `heitje index-status`."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class Metrics:
    """The indexer's instruments, on their own registry (no process-global state)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.head = Gauge("heitje_indexer_head_block", "Latest block number reported by the node", registry=r)
        self.indexed = Gauge("heitje_indexer_indexed_block", "Last block committed to the mirror", registry=r)
        self.lag = Gauge("heitje_indexer_lag_blocks", "Blocks between the node's head and the mirror", registry=r)
        self.events = Counter("heitje_indexer_events", "Events committed", registry=r)
        self.pages = Counter("heitje_indexer_pages", "Pages committed", registry=r)
        self.reorgs = Counter("heitje_indexer_reorgs", "Reorgs rolled back", registry=r)
        self.retries = Gauge("heitje_indexer_rpc_retries", "JSON-RPC calls retried after a failure", registry=r)
        self.rate = Gauge("heitje_indexer_events_per_second", "Events/s over the last pages", registry=r)
        self._window: list[tuple[float, int]] = []

    def page(self, head: int, indexed: int, events: int, retries: int) -> None:
        self.head.set(head)
        self.indexed.set(indexed)
        self.lag.set(max(0, head - indexed))
        self.events.inc(events)
        self.pages.inc()
        self.retries.set(retries)
        now = time.monotonic()
        self._window.append((now, events))
        self._window = [(t, n) for t, n in self._window if now - t <= 10.0]
        span = now - self._window[0][0]
        if span > 0:
            self.rate.set(sum(n for _, n in self._window[1:]) / span)

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        start_http_server(port, addr=host, registry=self.registry)
