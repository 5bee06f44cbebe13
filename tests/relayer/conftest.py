# SPDX-License-Identifier: EUPL-1.2
"""Relayer fixtures: a migrated database (relayer branch) and helpers to enrol citizens directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from alembic import command
from heitje.db import alembic_config, make_engine, session_factory


@pytest.fixture
def db(database_url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """A fresh database (SQLite and PostgreSQL) at the relayer branch head."""
    command.upgrade(alembic_config(database_url), "relayer@head")
    engine = make_engine(database_url)
    yield engine, session_factory(engine)
    engine.dispose()
