# SPDX-License-Identifier: EUPL-1.2
"""Faster databases for the task-lifecycle suite: migrate once per session instead of once per test — a
SQLite template file copied for every test, and one PostgreSQL database emptied before every test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from heitje.db import migrate
from heitje.settings import Settings
from tests.conftest import create_pg_database, drop_pg_database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "heitje.sqlite3"
    url = f"sqlite:///{path}"
    migrate(url)  # its connections are closed: the last close folds the WAL back into the file
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


@pytest.fixture(scope="session")
def pg_session_database(pg_available: bool) -> Iterator[str | None]:
    """One migrated PostgreSQL database for the session; emptied before each test (TRUNCATE is much
    cheaper than CREATE DATABASE on a busy machine)."""
    if not pg_available:
        yield None
        return
    url = create_pg_database()
    migrate(url)
    yield url
    drop_pg_database(url)


def _empty(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )]  # fmt: skip
        conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_session_database: str | None
) -> Iterator[str]:
    """A fresh, migrated database: once on SQLite, once on the machine's PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "heitje.sqlite3"
        shutil.copyfile(sqlite_template, target)
        yield f"sqlite:///{target}"
        return
    if pg_session_database is None:
        pytest.skip("PostgreSQL not reachable (required in CI)")
    _empty(pg_session_database)
    yield pg_session_database


@pytest.fixture
def migrated(api_settings: Settings) -> Settings:
    """Already at every head (copied from the template)."""
    return api_settings
