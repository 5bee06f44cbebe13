# SPDX-License-Identifier: EUPL-1.2
"""The commands: `heitje index --catch-up`, `heitje index-status`, `heitje reconcile` (exit 1 on a difference)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from heitje.chain.anvil import Anvil, free_port
from heitje.chain.client import RpcClient
from heitje.cli import app
from heitje.db import make_engine, migrate, session_factory, unit_of_work
from heitje.deploy import Deployment
from indexer import queries
from indexer.dev import start_dev
from indexer.metrics import Metrics
from indexer.models import IdxSupply
from tests.conftest import make_settings
from tests.indexer.helpers import World


def test_index_status_and_reconcile_commands(
    world: World, node: Anvil, settings_dir: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.populate()
    monkeypatch.setenv("HEITJE_RPC_URL", node.url)
    monkeypatch.setenv("HEITJE_DATABASE_URL", database_url)
    monkeypatch.setenv("HEITJE_DEPLOYMENTS_DIR", str(settings_dir / "deployments"))
    monkeypatch.setenv("HEITJE_ENV", "test")
    runner = CliRunner()

    result = runner.invoke(app, ["index", "--catch-up"])
    assert result.exit_code == 0, result.output
    assert "caught up at block" in result.output

    result = runner.invoke(app, ["index-status"])
    assert result.exit_code == 0, result.output
    assert "lag            0 blocks" in result.output

    result = runner.invoke(app, ["reconcile"])
    assert result.exit_code == 0, result.output
    assert "no differences" in result.output

    engine = make_engine(database_url)
    try:
        with unit_of_work(session_factory(engine)) as s:
            s.execute(update(IdxSupply).values(burned=IdxSupply.burned + 5))
    finally:
        engine.dispose()
    result = runner.invoke(app, ["reconcile"])
    assert result.exit_code == 1, result.output
    assert "DIFFERENCES" in result.output
    assert "minted-burned" in result.output


def test_dev_part_follows_the_chain_and_serves_metrics(
    world: World, node: Anvil, ideployment: Deployment, settings_dir: Path, database_url: str
) -> None:
    world.populate()
    migrate(database_url)
    settings = make_settings(settings_dir, rpc_url=node.url, database_url=database_url)
    stop = threading.Event()
    stopper = start_dev(settings, ideployment, stop)
    engine = make_engine(database_url)
    try:
        head = node_head(node)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with unit_of_work(session_factory(engine)) as s:
                st = queries.status(s, head)
            if st is not None and st.lag == 0:
                break
            time.sleep(0.2)
        assert st is not None
        assert st.lag == 0
        assert not stop.is_set()
    finally:
        stopper()
        engine.dispose()


def node_head(node: Anvil) -> int:
    rpc = RpcClient(node.url)
    try:
        return int(rpc.call("eth_blockNumber"), 16)
    finally:
        rpc.close()


def test_metrics_endpoint_reports_lag_and_events() -> None:
    metrics = Metrics()
    port = free_port()
    metrics.serve(port)
    metrics.page(head=120, indexed=100, events=42, retries=3)
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "heitje_indexer_lag_blocks 20.0" in body
    assert "heitje_indexer_events_total 42.0" in body
    assert "heitje_indexer_rpc_retries 3.0" in body
