# SPDX-License-Identifier: EUPL-1.2
"""Pure-read routes take no write lock on SQLite, so they answer while a writer holds the database."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from backend.api.app import create_app
from backend.models.accounts import OfficerRole, UserKind
from heitje.db import make_engine, migrate, read_only_engine, session_factory
from tests.api.conftest import make_actor
from tests.conftest import make_settings


def test_read_only_route_answers_while_a_writer_holds_sqlite(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    officer = make_actor(session_factory(engine), settings, UserKind.officer, "o@heerlen.example", [OfficerRole.admin])
    writer = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None, timeout=1)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO rate_limit_buckets (bucket, window_start, count) VALUES ('held', 0, 1)")
        try:
            started = time.monotonic()
            r = client.get("/api/v1/me", headers=officer.headers)
            elapsed = time.monotonic() - started
        finally:
            writer.execute("ROLLBACK")
            writer.close()
    assert r.status_code == 200, r.text
    assert elapsed < 5, f"the read waited {elapsed:.1f}s for the writer"


def test_a_write_through_a_read_only_transaction_fails_loudly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    migrate(url)
    factory = session_factory(read_only_engine(make_engine(url)))
    with factory() as session, pytest.raises(OperationalError, match="readonly"):
        session.execute(text("INSERT INTO rate_limit_buckets (bucket, window_start, count) VALUES ('x', 0, 1)"))
