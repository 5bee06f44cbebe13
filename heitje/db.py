# SPDX-License-Identifier: EUPL-1.2
"""SQL plumbing shared by every package: the declarative base, engines and migrations.

Each package owns its tables (its own models module and its own Alembic branch) but they share one
MetaData so that one `heitje migrate` brings a database to every head. SQLite (embedded default) and
PostgreSQL (production, HEITJE_DATABASE_URL) are both supported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, DateTime, MetaData, Numeric, create_engine, event
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator, TypeEngine

from heitje.settings import PROJECT_ROOT

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: Execution option marking a connection's transactions as read-only (see `read_only_engine`).
READ_ONLY_OPTION = "heitje_read_only"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Cents(TypeDecorator[int]):
    """An exact integer amount (euro cents; uint256 with `precision=78`): `Numeric(precision, 0)` on
    PostgreSQL, a 64-bit integer on SQLite (larger values are refused by the driver, never rounded). Always
    exchanged as `int`, never as a float."""

    impl = Numeric(78, 0)
    cache_ok = True

    def __init__(self, precision: int = 20) -> None:
        super().__init__()
        self.precision = precision

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError("amounts are integers (cents), never floats or strings")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores them naive; naive input means UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, poolclass=NullPool, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN so that `BEGIN IMMEDIATE` below takes the write lock up front.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY_OPTION):
                # Readers never take the write lock: in WAL mode they neither wait for writers nor block
                # them. query_only makes a stray write fail loudly instead of upgrading the lock half-way.
                conn.exec_driver_sql("PRAGMA query_only=1")
                conn.exec_driver_sql("BEGIN")
            else:
                # Writers serialise at BEGIN instead of failing to upgrade a read lock half-way.
                conn.exec_driver_sql("PRAGMA query_only=0")
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if kwargs.get("poolclass") is not NullPool:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def read_only_engine(engine: Engine) -> Engine:
    """The same engine for transactions that only read. On SQLite they begin DEFERRED (no write lock) with
    writes refused; on PostgreSQL they are ordinary transactions."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One DB transaction: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database to every branch head (core, relayer, indexer, backend)."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")
