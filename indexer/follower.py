# SPDX-License-Identifier: EUPL-1.2
"""The follower: fetch → decode → project → write, page after page, detecting reorgs by parent hash.

Each step reads the cursor, fetches the next page of logs (up to `head - confirmations`), the headers it
needs, checks that they form one chain continuing the cursor, and commits the page in one transaction.
A page whose first block does not continue the cursor's hash means a reorg: the common ancestor is found
among the stored blocks and everything above it is rolled back, then indexing resumes from there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from heitje.db import is_postgres, unit_of_work
from indexer.decode import Event
from indexer.errors import InconsistentPageError, StateError
from indexer.fetch import NodeSource
from indexer.metrics import Metrics
from indexer.store import Cursor, Header, Store

log = logging.getLogger(__name__)

ZERO_HASH = "0x" + "00" * 32
#: pg_advisory_lock key of the indexer leader ("HEITJEIX").
LEADER_LOCK_KEY = 0x484549544A454958


@dataclass(frozen=True)
class IndexerConfig:
    #: Blocks below the head that are not indexed yet (0 on QBFT, which has instant finality).
    confirmations: int = 0
    #: Blocks near the head whose every header is stored and chained by parent hash.
    reorg_window: int = 64
    #: Seconds between polls once caught up.
    poll_interval: float = 1.0


@dataclass(frozen=True)
class Step:
    """What one step did."""

    events: int = 0
    block: int = 0
    head: int = 0
    idle: bool = False
    reorg: bool = False


@dataclass
class Page:
    """A fetched, decoded, not yet verified page: blocks `low`..`high` (empty when `high` < `low`)."""

    low: int
    high: int
    target: int
    head: int
    window_from: int
    events: list[Event]
    headers: dict[int, Header]


ProgressFn = Callable[[int, int, int], None]  # (indexed block, target block, events in this page)


class Indexer:
    def __init__(
        self,
        source: NodeSource,
        factory: sessionmaker[Session],
        store: Store,
        start_block: int,
        config: IndexerConfig | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.source = source
        self.factory = factory
        self.store = store
        self.start_block = start_block
        self.config = config or IndexerConfig()
        self.metrics = metrics
        self._pending: Future[Page] | None = None
        self._inconsistencies = 0

    def cursor(self) -> Cursor:
        with unit_of_work(self.factory) as s:
            cursor = self.store.cursor(s)
        if cursor is not None:
            return cursor
        if self.start_block > 0:
            before = self.source.header(self.start_block - 1)
            if before is None:
                raise StateError(f"the chain has no block {self.start_block - 1}")
        else:
            before = Header(-1, ZERO_HASH, ZERO_HASH, datetime.fromtimestamp(0, UTC))
        with unit_of_work(self.factory) as s:
            return self.store.cursor(s) or self.store.init_cursor(s, before, self.start_block)

    def step(self, prefetch: ThreadPoolExecutor | None = None) -> Step:
        """Index one page, roll back one reorg, or find nothing to do.

        With `prefetch`, the next page is fetched and decoded in the background while this one is
        written (the node and the database work at the same time); it is used only if it still fits.
        """
        cursor = self.cursor()
        pending, self._pending = self._pending, None
        page = pending.result() if pending is not None else None
        if page is None or page.low != cursor.block_number + 1:
            page = self._fetch(cursor.block_number + 1)
        head, low, high = page.head, page.low, page.high
        if high < low:
            current = self.source.header(cursor.block_number) if cursor.block_number >= 0 else None
            if cursor.block_number >= 0 and (current is None or current.hash != cursor.block_hash):
                self._rollback(cursor)
                return Step(block=cursor.block_number, head=head, reorg=True)
            return Step(block=cursor.block_number, head=head, idle=True)

        events, headers = page.events, page.headers
        if headers[low].parent_hash != cursor.block_hash:
            self._rollback(cursor)
            return Step(block=cursor.block_number, head=head, reorg=True)
        for n in range(page.window_from + 1, high + 1):
            if headers[n].parent_hash != headers[n - 1].hash:
                raise InconsistentPageError(f"block {n} does not follow block {n - 1}: the chain moved")
        for e in events:
            header = headers[e.block_number]
            if header.hash != e.block_hash:
                raise InconsistentPageError(f"log in block {e.block_number} is from another fork")
            e.block_time = header.time

        if prefetch is not None and high < page.target:
            self._pending = prefetch.submit(self._fetch, high + 1)
        with unit_of_work(self.factory) as s:
            if self.store.cursor(s) != cursor:
                raise StateError("the cursor moved under this indexer: is a second copy running?")
            self.store.write_page(s, cursor, events, list(headers.values()), headers[high], self.config.reorg_window)
        self._inconsistencies = 0
        if self.metrics:
            self.metrics.page(head, high, len(events), self.source.retries)
        log.debug("indexed blocks %s-%s: %s events", low, high, len(events))
        return Step(events=len(events), block=high, head=head)

    def _fetch(self, low: int) -> Page:
        """Logs and headers from `low` on (no database access: safe in the prefetch thread)."""
        head = self.source.head()
        target = head - self.config.confirmations
        if target < low:
            return Page(low, low - 1, target, head, low, [], {})
        raw, high = self.source.logs(low, target)
        events = self.store.decoder.decode_all(raw)
        window_from = max(low, head - self.config.reorg_window + 1)
        numbers = {low, high, *(e.block_number for e in events), *range(window_from, high + 1)}
        return Page(low, high, target, head, window_from, events, self.source.headers(numbers))

    def _inconsistent(self, limit: int = 50) -> bool:
        """Count a page fetched across a chain change; True once it keeps happening (a broken node)."""
        self._inconsistencies += 1
        self.source.sleep(min(2.0, 0.05 * self._inconsistencies))
        return self._inconsistencies >= limit

    def _rollback(self, cursor: Cursor) -> None:
        ancestor = self._find_ancestor(cursor)
        with unit_of_work(self.factory) as s:
            if self.store.cursor(s) != cursor:
                raise StateError("the cursor moved under this indexer: is a second copy running?")
            dropped = self.store.rollback(s, ancestor.number, ancestor.hash)
        if self.metrics:
            self.metrics.reorgs.inc()
        log.warning(
            "reorg: block %s is no longer canonical; rolled back to %s (%s events dropped)",
            cursor.block_number,
            ancestor.number,
            dropped,
        )

    def _find_ancestor(self, cursor: Cursor, batch: int = 128) -> Header:
        below = cursor.block_number
        while True:
            with unit_of_work(self.factory) as s:
                stored = self.store.stored_blocks(s, below, batch)
            if not stored:
                break
            chain = self.source.headers((n for n, _ in stored), allow_missing=True)
            for n, h in stored:
                if n in chain and chain[n].hash == h:
                    return chain[n]
            below = stored[-1][0] - 1
        log.warning("no stored block is canonical any more: re-indexing from block %s", self.start_block)
        before = self.source.header(self.start_block - 1)
        if before is None:
            raise StateError(f"the chain has no block {self.start_block - 1}")
        return before

    def catch_up(self, progress: ProgressFn | None = None) -> int:
        """Index until the mirror reaches the head seen at the start (minus confirmations)."""
        total = 0
        goal = self.source.head() - self.config.confirmations
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
            try:
                while True:
                    try:
                        step = self.step(pool)
                    except InconsistentPageError as exc:
                        log.info("page fetched across a chain change (%s); fetching again", exc)
                        if self._inconsistent():
                            raise
                        continue
                    total += step.events
                    if progress:
                        progress(step.block, max(goal, step.head - self.config.confirmations), step.events)
                    if step.idle or (step.block >= goal and not step.reorg):
                        return total
            finally:
                self._pending = None

    def run(self, stop: threading.Event, progress: ProgressFn | None = None) -> None:
        """Follow the chain until `stop` is set."""
        while not stop.is_set():
            try:
                step = self.step()
            except InconsistentPageError as exc:
                log.info("page fetched across a chain change (%s); fetching again", exc)
                if self._inconsistent():
                    raise
                continue
            if progress and not step.idle:
                progress(step.block, step.head - self.config.confirmations, step.events)
            if step.idle:
                stop.wait(self.config.poll_interval)


@contextmanager
def leader_lock(engine: Engine, poll: float = 2.0) -> Iterator[None]:
    """One indexer per database: a PostgreSQL advisory lock (a second copy waits). SQLite serialises
    writers itself, and the cursor check in every page stops a second copy from writing twice."""
    if not is_postgres(engine):
        yield
        return
    with engine.connect() as conn:
        waited = False
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}).scalar():
            if not waited:
                log.info("another indexer holds the leader lock; waiting")
                waited = True
            conn.rollback()
            time.sleep(poll)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY})
            conn.commit()
