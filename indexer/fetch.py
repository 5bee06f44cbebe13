# SPDX-License-Identifier: EUPL-1.2
"""Fetch: paged eth_getLogs and block headers from any JSON-RPC node, with adaptive page size and back-off.

A node that refuses a range (too many blocks or results) gets half the range next time; a node that errs
or times out is retried with exponential back-off and jitter. Once the node answers quickly again the range
grows back to `max_blocks`. Only numbers are used as block tags (never `safe` / `finalized`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from heitje.chain.client import RpcError
from heitje.errors import ChainError
from indexer.errors import NodeError
from indexer.store import Header

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Error texts with which nodes (geth, Besu, Erigon, Nethermind, hosted providers) refuse a log range.
_REFUSAL_HINTS = (
    "range",
    "too many",
    "too large",
    "limit",
    "exceed",
    "more than",
    "response size",
    "query timeout",
)


class Rpc(Protocol):
    """What the indexer needs of a JSON-RPC client (`heitje.chain.client.RpcClient` or a fake)."""

    def call(self, method: str, *params: Any) -> Any: ...

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]: ...


def is_refusal(exc: Exception) -> bool:
    if isinstance(exc, RpcError):
        text = exc.message.lower()
        return exc.code == -32005 or any(hint in text for hint in _REFUSAL_HINTS)
    return False


@dataclass
class Backoff:
    initial: float = 0.2
    maximum: float = 10.0
    attempts: int = 30

    def delays(self) -> Iterable[float]:
        delay = self.initial
        for _ in range(self.attempts - 1):
            yield delay * (0.5 + random.random() / 2)
            delay = min(self.maximum, delay * 2)


#: Failures worth a retry: transport errors and timeouts (ChainError), node errors, malformed answers.
TRANSIENT: tuple[type[Exception], ...] = (ChainError, ValueError, KeyError, TypeError)


class NodeSource:
    """Logs and headers of one contract, from one node."""

    def __init__(
        self,
        rpc: Rpc,
        address: str,
        max_blocks: int = 5000,
        target_logs: int = 10_000,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers_per_batch: int = 200,
    ) -> None:
        self.rpc = rpc
        self.address = address.lower()
        self.max_blocks = max_blocks
        # Start small and double while pages stay light: a dense chain never returns one huge page.
        self.span = 1
        #: Largest range not refused so far: a node's range limit is configuration, so it is not re-probed.
        self.limit = max_blocks
        self.target_logs = target_logs
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.headers_per_batch = headers_per_batch
        self.retries = 0
        self.refusals = 0

    def _retry(self, what: str, fn: Callable[[], T]) -> T:
        last: Exception | None = None
        for delay in [*self.backoff.delays(), None]:
            try:
                return fn()
            except TRANSIENT as exc:
                last = exc
                if delay is None:
                    break
                self.retries += 1
                log.warning("%s failed (%s); retrying in %.1fs", what, exc, delay)
                self.sleep(delay)
        raise NodeError(f"{what} failed {self.backoff.attempts} times: {last}") from last

    def head(self) -> int:
        return self._retry("eth_blockNumber", lambda: int(self.rpc.call("eth_blockNumber"), 16))

    def logs(self, low: int, high: int) -> tuple[list[dict[str, Any]], int]:
        """The contract's logs from `low` to at most `high`; returns them and the last block covered."""
        failures = 0
        delays = iter(self.backoff.delays())
        while True:
            end = min(high, low + self.span - 1)
            query = {"address": self.address, "fromBlock": hex(low), "toBlock": hex(end)}
            try:
                result = self.rpc.call("eth_getLogs", query)
                if not isinstance(result, list):
                    raise TypeError(f"eth_getLogs returned {type(result).__name__}")
            except TRANSIENT as exc:
                refused = is_refusal(exc)
                failures += 0 if refused else 1
                # A refusal, or repeated failure (a timeout may mean the answer is too big): shrink.
                if (refused or failures >= 2) and self.span > 1:
                    if refused:
                        self.limit = max(1, min(self.limit, end - low))
                    self.span = max(1, min(self.limit, self.span // 2))
                    self.refusals += 1
                    log.info("eth_getLogs %s-%s refused (%s); range now %s blocks", low, end, exc, self.span)
                    if refused:
                        continue
                delay = next(delays, None)
                if delay is None:
                    raise NodeError(f"eth_getLogs {low}-{end} kept failing: {exc}") from exc
                self.retries += 1
                log.warning("eth_getLogs %s-%s failed (%s); retrying in %.1fs", low, end, exc, delay)
                self.sleep(delay)
                continue
            if len(result) > self.target_logs and self.span > 1:
                self.span = max(1, self.span * self.target_logs // len(result))
            elif len(result) < self.target_logs // 4 and self.span < self.limit:
                self.span = min(self.limit, self.span * 2)
            return result, end

    def headers(self, numbers: Iterable[int], allow_missing: bool = False) -> dict[int, Header]:
        """Headers by number (batched). Blocks the chain does not have are an error, or left out."""
        wanted = sorted(set(numbers))
        out: dict[int, Header] = {}
        for i in range(0, len(wanted), self.headers_per_batch):
            chunk = wanted[i : i + self.headers_per_batch]
            out.update(
                self._retry(
                    f"{len(chunk)} headers from {chunk[0]}",
                    lambda c=chunk: self._batch(c, allow_missing),  # type: ignore[misc]
                )
            )
        return out

    def _batch(self, chunk: list[int], allow_missing: bool) -> dict[int, Header]:
        results = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
        out: dict[int, Header] = {}
        for n, block in zip(chunk, results, strict=True):
            if isinstance(block, Exception):
                raise block
            if block is None:
                if allow_missing:
                    continue
                raise ChainError(f"block {n} not found")
            header = Header.from_rpc(block)
            if header.number != n:
                raise ChainError(f"asked for block {n}, got {header.number}")
            out[n] = header
        return out

    def header(self, number: int) -> Header | None:
        """One header, or None when the chain is not that long (any more)."""

        def fetch() -> Header | None:
            block = self.rpc.call("eth_getBlockByNumber", hex(number), False)
            return None if block is None else Header.from_rpc(block)

        return self._retry(f"block {number}", fetch)
