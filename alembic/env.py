# SPDX-License-Identifier: EUPL-1.2
"""Alembic environment: one MetaData, one branch per owning package (label = package name)."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import pool

from heitje.db import Base, make_engine

# Import every package's models so autogenerate sees them. Packages that do not exist yet are skipped.
for module in ("backend.relayer.models", "indexer.models", "backend.models"):
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module.startswith(exc.name):
            raise

target_metadata = Base.metadata
config = context.config


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url) if url.startswith("sqlite") else make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
