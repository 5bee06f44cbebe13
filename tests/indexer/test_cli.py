# SPDX-License-Identifier: EUPL-1.2
"""The commands: `heitje index --catch-up`, `heitje index-status`, `heitje reconcile` (exit 1 on a difference)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from heitje.chain.anvil import Anvil
from heitje.cli import app
from heitje.db import make_engine, session_factory, unit_of_work
from indexer.models import IdxSupply
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
