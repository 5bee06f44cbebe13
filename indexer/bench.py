# SPDX-License-Identifier: EUPL-1.2
"""Indexer benchmark: catch-up throughput into a database, against a naive per-event INSERT + commit loop
over the same events, and peak memory. Used by `heitje bench`; see docs/indexer.md for measured numbers."""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
import time
from typing import Any

import psutil
from sqlalchemy import BigInteger, Column, Integer, MetaData, Numeric, String, Table, Text, select

from heitje.chain.abi import heitje_abi
from heitje.chain.client import RpcClient
from heitje.db import make_engine, migrate
from heitje.deploy import Deployment
from indexer.bootstrap import bootstrap
from indexer.decode import LogDecoder
from indexer.loadgen import LoadGen, bulk_load

log = logging.getLogger(__name__)


def _load(rpc_url: str, contract: str, chain_id: int, events: int) -> None:
    rpc = RpcClient(rpc_url, timeout=120)
    try:
        bulk_load(LoadGen(rpc, contract, chain_id=chain_id), events)
    finally:
        rpc.close()


def _first_logs(rpc: RpcClient, deployment: Deployment, limit: int) -> list[dict[str, Any]]:
    """The contract's first `limit` logs, fetched block by block (never the whole chain at once)."""
    head = int(rpc.call("eth_blockNumber"), 16)
    out: list[dict[str, Any]] = []
    block = deployment.block_number
    while len(out) < limit and block <= head:
        query = {"address": deployment.address, "fromBlock": hex(block), "toBlock": hex(block)}
        out += rpc.call("eth_getLogs", query)
        block += 1
    return out[:limit]


def _wallet_reads(engine: Any, reads: int = 50) -> dict[str, float]:
    """Median milliseconds of a wallet read (balance + the 20 newest movements) of the busiest address."""
    from sqlalchemy import func
    from sqlalchemy.orm import Session

    from indexer import queries
    from indexer.models import IdxBalance

    with Session(engine) as session:
        busiest = session.scalar(select(IdxBalance.address).order_by(IdxBalance.transfers.desc()).limit(1))
        count = session.scalar(select(func.count()).select_from(IdxBalance))
        if busiest is None:
            return {}
        timings = []
        for _ in range(reads):
            started = time.perf_counter()
            queries.balance_of(session, busiest)
            queries.history(session, busiest, limit=20)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"wallet_read_ms_median": round(timings[len(timings) // 2], 2), "addresses": int(count or 0)}


class _PeakRss:
    """Samples this process's resident memory while running."""

    def __init__(self, every: float = 0.02) -> None:
        self.peak = 0
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._proc = psutil.Process()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(self._every)

    def __enter__(self) -> _PeakRss:
        self.peak = self._proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def naive_loop(rpc: RpcClient, deployment: Deployment, database_url: str, limit: int) -> dict[str, Any]:
    """What a first attempt does: one eth_getLogs, then per event an INSERT of the event and an upsert of
    the balances it moves, each committed on its own."""
    md = MetaData()
    events = Table(
        "bench_naive_events",
        md,
        Column("id", Integer, primary_key=True),
        Column("tx_hash", String(66)),
        Column("log_index", Integer),
        Column("name", String(64)),
        Column("block_number", BigInteger),
        Column("data", Text),
    )
    balances = Table(
        "bench_naive_balances", md, Column("address", String(42), primary_key=True), Column("balance", Numeric(78, 0))
    )
    engine = make_engine(database_url)
    md.drop_all(engine)
    md.create_all(engine)
    decoder = LogDecoder(heitje_abi())
    raw = _first_logs(rpc, deployment, limit)
    started, cpu = time.perf_counter(), time.process_time()
    with engine.connect() as conn:
        for item in raw:
            e = decoder.decode(item)
            conn.execute(
                events.insert().values(
                    tx_hash=e.tx_hash, log_index=e.log_index, name=e.name, block_number=e.block_number, data=e.data
                )
            )
            if e.name == "Transfer":
                for address, delta in ((e.args["from"], -e.args["value"]), (e.args["to"], e.args["value"])):
                    old = conn.execute(select(balances.c.balance).where(balances.c.address == address)).scalar()
                    if old is None:
                        conn.execute(balances.insert().values(address=address, balance=delta))
                    else:
                        conn.execute(
                            balances.update().where(balances.c.address == address).values(balance=int(old) + delta)
                        )
            conn.commit()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    md.drop_all(engine)
    engine.dispose()
    return {
        "events": len(raw),
        "seconds": round(elapsed, 3),
        "events_per_s": round(len(raw) / elapsed),
        "events_per_cpu_s": round(len(raw) / cpu) if cpu else None,
    }


def naive_same_output(rpc: RpcClient, deployment: Deployment, database_url: str, limit: int) -> dict[str, Any]:
    """The indexer's own decoder, projector and writer, but one event per transaction (and per
    statement): the same rows as the batched catch-up, without its batching. Leaves the tables empty."""
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from heitje.db import session_factory, unit_of_work
    from indexer.models import PROJECTIONS, IdxBlock, IdxCursor, IdxEvent
    from indexer.store import Header, Store, _event_row, _insert_many

    engine = make_engine(database_url)
    factory = session_factory(engine)
    store = Store(deployment.address, deployment.chain_id, heitje_abi())
    raw = _first_logs(rpc, deployment, limit)
    blocks = {
        n: Header.from_rpc(rpc.call("eth_getBlockByNumber", hex(n), False))
        for n in {int(r["blockNumber"], 16) for r in raw}
    }
    started, cpu = time.perf_counter(), time.process_time()
    with engine.connect() as conn:  # one connection, as a simple loop would hold
        for item in raw:
            event = store.decoder.decode(item)
            event.block_time = blocks[event.block_number].time
            with Session(bind=conn) as session, session.begin():
                _insert_many(session, IdxEvent, [_event_row(event)])
                store.project(session, [event])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    with unit_of_work(factory) as session:
        for model in (*PROJECTIONS, IdxEvent, IdxBlock, IdxCursor):
            session.execute(delete(model))
    engine.dispose()
    return {
        "events": len(raw),
        "seconds": round(elapsed, 3),
        "events_per_s": round(len(raw) / elapsed),
        "events_per_cpu_s": round(len(raw) / cpu) if cpu else None,
    }


def measure(
    rpc_url: str,
    deployment: Deployment,
    database_url: str,
    load_events: int = 0,
    naive_events: int = 10_000,
) -> dict[str, Any]:
    """Catch up a fresh database from the deployment block and time it.

    `load_events` > 0 first adds that many events on the (development) chain with the dev keys. Two naive
    loops run over the first `naive_events` of the same events (they are slow; their rate is what
    matters): `naive_minimal` (INSERT the event, upsert the balances it moves, commit — less work than the
    indexer does) and `naive_same_output` (the indexer's own rows, one event per transaction).
    """
    rpc = RpcClient(rpc_url, timeout=120)
    try:
        if load_events:
            # In a child process, so that this process's memory is the indexer's alone.
            loader = multiprocessing.get_context("spawn").Process(
                target=_load, args=(rpc_url, deployment.address, deployment.chain_id, load_events)
            )
            loader.start()
            loader.join()
            if loader.exitcode != 0:
                raise RuntimeError(f"load generation failed with exit code {loader.exitcode}")
        migrate(database_url)
        same = naive_same_output(rpc, deployment, database_url, naive_events) if naive_events else None
        parts = bootstrap(rpc, database_url, deployment.address, deployment.block_number, deployment.chain_id)
        before = psutil.Process().memory_info().rss
        with _PeakRss() as rss:
            started, cpu = time.perf_counter(), time.process_time()
            events = parts.indexer.catch_up()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        result_reads = _wallet_reads(parts.engine)
        parts.engine.dispose()
        naive = naive_loop(rpc, deployment, database_url, naive_events) if naive_events else None
    finally:
        rpc.close()
    rate = events / elapsed if elapsed else 0.0
    result: dict[str, Any] = {
        "database": make_engine(database_url).dialect.name,
        "events": events,
        "seconds": round(elapsed, 3),
        "events_per_s": round(rate),
        "indexer_cpu_seconds": round(cpu, 3),
        "events_per_cpu_s": round(events / cpu) if cpu else None,
        "rss_before_mb": round(before / 2**20, 1),
        "peak_rss_mb": round(rss.peak / 2**20, 1),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    result.update(result_reads)
    if naive and same:
        result["naive_minimal"] = naive
        result["speedup_vs_naive_minimal"] = round(rate / naive["events_per_s"], 1)
        result["naive_same_output"] = same
        result["speedup_vs_naive_same_output"] = round(rate / same["events_per_s"], 1)
    return result
