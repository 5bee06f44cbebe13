# SPDX-License-Identifier: EUPL-1.2
"""Keystore fixtures: a migrated database (the keystore table lives on the relayer branch)."""

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
