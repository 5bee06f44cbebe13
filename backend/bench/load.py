# SPDX-License-Identifier: EUPL-1.2
"""A bounded closed-loop HTTP load: a fixed number of concurrent workers issue a fixed number of requests
over loopback; latency per request, percentiles and throughput."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

#: (method, path, headers) for the i-th request
RequestFn = Callable[[int], tuple[str, str, dict[str, str]]]


@dataclass
class LoadResult:
    requests: int
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    statuses: dict[int, int]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[k]

    def summary(self) -> dict[str, Any]:
        return {
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "req_per_s": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "requests": self.requests,
            "concurrency": self.concurrency,
            "non_2xx": sum(n for code, n in self.statuses.items() if not 200 <= code < 300),
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
        }


async def _run(base_url: str, make: RequestFn, requests: int, concurrency: int, warmup: int) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        for i in range(warmup):
            method, path, headers = make(-1 - i)
            with contextlib.suppress(httpx.HTTPError):  # counted in the measured part, if it persists
                await client.request(method, path, headers=headers)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        counter = iter(range(requests))

        async def worker() -> None:
            for i in counter:
                method, path, headers = make(i)
                t = time.perf_counter()
                try:
                    code = (await client.request(method, path, headers=headers)).status_code
                except httpx.HTTPError:
                    code = 0  # the server dropped the connection or timed out: a failed request
                latencies.append((time.perf_counter() - t) * 1000)
                statuses[code] = statuses.get(code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return LoadResult(requests, concurrency, elapsed, latencies, statuses)


def run_load(base_url: str, make: RequestFn, requests: int, concurrency: int, warmup: int = 20) -> LoadResult:
    return asyncio.run(_run(base_url, make, requests, concurrency, warmup))
