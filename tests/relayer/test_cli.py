# SPDX-License-Identifier: EUPL-1.2
"""`heitje keys …`: role keystores and the custodial keystore's master-key rotation and shredding."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer import Typer
from typer.testing import CliRunner

from backend import keystore
from backend.cli import register
from backend.keystore import MasterKey
from heitje.db import unit_of_work

DB = tuple[Engine, sessionmaker[Session]]
OLD = MasterKey.generate()
NEW = MasterKey.generate()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Typer:
    monkeypatch.setenv("HEITJE_ENV", "test")
    monkeypatch.setenv("HEITJE_KEYSTORE_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("HEITJE_DATABASE_URL", database_url)
    monkeypatch.setenv("HEITJE_MASTER_KEY", OLD)
    app = Typer()
    app.callback()(lambda: None)
    register(app)
    return app


def test_keys_new_writes_a_keystore_and_list_shows_its_address(cli: Typer) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "new", "settler"])
    assert created.exit_code == 0, created.output
    address = created.output.split(": ")[1].strip()
    listed = runner.invoke(cli, ["keys", "list"])
    assert f"settler    {address}" in listed.output
    refused = runner.invoke(cli, ["keys", "new", "settler"])
    assert refused.exit_code == 1


def test_rotate_master_then_shred(cli: Typer, db: DB, monkeypatch: pytest.MonkeyPatch) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        address = keystore.create_account(s, "citizen", master=OLD)
    runner = CliRunner()
    monkeypatch.setenv("HEITJE_NEW_MASTER_KEY", NEW)
    rotated = runner.invoke(cli, ["keys", "rotate-master"])
    assert rotated.exit_code == 0, rotated.output
    assert "re-wrapped 1 data keys" in rotated.output
    assert OLD not in rotated.output
    assert NEW not in rotated.output
    with unit_of_work(sf) as s:
        keystore.sign_digest(s, address, b"\x01" * 32, master=NEW)
    assert runner.invoke(cli, ["keys", "shred", address]).exit_code == 1  # needs --yes
    assert runner.invoke(cli, ["keys", "shred", address, "--yes"]).exit_code == 0
    with unit_of_work(sf) as s, pytest.raises(keystore.AccountShreddedError):
        keystore.sign_digest(s, address, b"\x01" * 32, master=NEW)
