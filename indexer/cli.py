# SPDX-License-Identifier: EUPL-1.2
"""`heitje index`, `heitje reconcile` and `heitje index-status`."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Annotated

import typer

from heitje.settings import Settings, get_settings

log = logging.getLogger(__name__)


def _deployment(settings: Settings, rpc_url: str) -> tuple[str, int, int]:
    from heitje.chain.client import RpcClient
    from heitje.deploy import load_deployment

    rpc = RpcClient(rpc_url)
    try:
        chain_id = settings.chain_id or int(rpc.call("eth_chainId"), 16)
    finally:
        rpc.close()
    d = load_deployment(settings.deployments_dir, chain_id)
    return d.address, d.block_number, chain_id


def index(
    confirmations: Annotated[
        int | None, typer.Option(help="Blocks to stay behind the head (default HEITJE_CONFIRMATIONS)")
    ] = None,
    metrics_port: Annotated[int, typer.Option(help="Serve Prometheus /metrics on this port (0: off)")] = 0,
    catch_up: Annotated[bool, typer.Option("--catch-up", help="Stop once the head is reached")] = False,
    rebuild: Annotated[bool, typer.Option(help="Rebuild every projection from the raw mirror first")] = False,
) -> None:
    """Follow the contract: mirror its events and projections into SQL (one transaction per page)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from heitje.db import migrate, unit_of_work
    from indexer.bootstrap import bootstrap, discover_hooks
    from indexer.errors import IndexerError
    from indexer.follower import IndexerConfig, leader_lock
    from indexer.metrics import Metrics

    settings = get_settings()
    try:
        contract, start, chain_id = _deployment(settings, settings.rpc_url)
    except Exception as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    migrate(settings.effective_database_url)
    metrics = Metrics()
    if metrics_port:
        metrics.serve(metrics_port)
        typer.echo(f"metrics on http://127.0.0.1:{metrics_port}/metrics")
    pages, rollbacks = discover_hooks()
    config = IndexerConfig(
        confirmations=settings.confirmations if confirmations is None else confirmations,
    )
    parts = bootstrap(
        settings.rpc_url,
        settings.effective_database_url,
        contract,
        start,
        chain_id,
        config=config,
        page_blocks=settings.log_page_blocks,
        page_hooks=pages,
        rollback_hooks=rollbacks,
        metrics=metrics,
    )
    ix = parts.indexer
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        with leader_lock(parts.engine):
            if rebuild:
                with unit_of_work(ix.factory) as s:
                    n = ix.store.rebuild(s)
                typer.echo(f"rebuilt the projections from {n} mirrored events")
            first = ix.cursor().block_number
            with Progress(
                TextColumn("catching up"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("blocks"),
                TextColumn("{task.fields[events]} events"),
                TimeRemainingColumn(),
                disable=not sys.stderr.isatty(),
                transient=True,
            ) as bar:
                task = bar.add_task("index", total=None, events=0)
                seen = 0

                def progress(block: int, target: int, events: int) -> None:
                    nonlocal seen
                    seen += events
                    bar.update(task, completed=block - first, total=max(1, target - first), events=seen)

                total = ix.catch_up(progress)
            typer.echo(f"caught up at block {ix.cursor().block_number} ({total} events)")
            if not catch_up:
                ix.run(stop)
    except IndexerError as exc:
        typer.echo(f"indexer stopped: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        parts.engine.dispose()


def reconcile() -> None:
    """Compare the SQL mirror with the chain at the indexed block; exit 1 on any difference."""
    from heitje.chain.client import RpcClient
    from heitje.db import make_engine, session_factory, unit_of_work
    from indexer.errors import IndexerError
    from indexer.reconcile import reconcile as do_reconcile

    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    rpc = RpcClient(settings.rpc_url)
    try:
        with unit_of_work(session_factory(engine)) as s:
            report = do_reconcile(rpc, s)
    except IndexerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        rpc.close()
        engine.dispose()
    for line in report.lines():
        typer.echo(line)
    if not report.clean:
        raise typer.Exit(1)


def index_status() -> None:
    """Where the mirror stands: indexed block, node head, lag, events, reorgs."""
    from heitje.chain.client import RpcClient
    from heitje.db import make_engine, session_factory, unit_of_work
    from indexer import queries

    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    rpc = RpcClient(settings.rpc_url, timeout=5)
    try:
        try:
            head: int | None = int(rpc.call("eth_blockNumber"), 16)
        except Exception:
            head = None
        with unit_of_work(session_factory(engine)) as s:
            st = queries.status(s, head)
            supply = queries.supply(s) if st else None
    finally:
        rpc.close()
        engine.dispose()
    if st is None:
        typer.echo("nothing indexed yet")
        raise typer.Exit(1)
    typer.echo(f"indexed block  {st.block_number} ({st.block_hash})")
    typer.echo(f"node head      {head if head is not None else 'unreachable'}")
    typer.echo(f"lag            {st.lag if st.lag is not None else '?'} blocks")
    typer.echo(f"events         {st.events}")
    typer.echo(f"reorgs         {st.reorgs}")
    typer.echo(f"updated        {st.updated_at.isoformat(timespec='seconds')}")
    if supply:
        typer.echo(f"outstanding    {supply.outstanding / 100:.2f} (escrow {supply.escrow / 100:.2f})")


def register(app: typer.Typer) -> None:
    app.command("index")(index)
    app.command("reconcile")(reconcile)
    app.command("index-status")(index_status)
