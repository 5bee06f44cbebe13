# SPDX-License-Identifier: EUPL-1.2
"""Shared fixtures: a real anvil, a deployed HeitjeToken, and throwaway SQLite / PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from heitje.chain.abi import heitje_abi
from heitje.chain.anvil import Anvil
from heitje.chain.client import Chain
from heitje.compiler import compile_contracts
from heitje.deploy import Deployment, deploy
from heitje.settings import Settings
from heitje.signing import LocalKeySigner, dev_account

#: Admin database on the machine's PostgreSQL (trust auth); each test run creates and drops its own DBs.
PG_ADMIN_URL = os.environ.get("HEITJE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session", autouse=True)
def _compiled() -> None:
    compile_contracts()


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "data_dir": tmp,
        "deployments_dir": tmp / "deployments",
        "keystore_dir": tmp / "keystore",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    """One automining anvil for the session; tests isolate themselves with snapshot/revert."""
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with Anvil(block_time=0, log_path=log) as node:
        yield node


@pytest.fixture(scope="session")
def chain(anvil_node: Anvil) -> Iterator[Chain]:
    c = Chain(anvil_node.url, abi=heitje_abi())
    yield c
    c.close()


@pytest.fixture(scope="session")
def deployment(chain: Chain, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    settings = make_settings(tmp_path_factory.mktemp("deploy"))
    return deploy(chain, LocalKeySigner(dev_account(0)), settings, dev_chain=True)


@pytest.fixture
def snapshot(chain: Chain) -> Iterator[None]:
    """Revert the chain after the test (a revert consumes its snapshot, so each test takes a new one)."""
    snap = chain.rpc.call("evm_snapshot")
    yield
    assert chain.rpc.call("evm_revert", snap) is True


# ─────────────────────────── databases ───────────────────────────


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def pg_available() -> bool:
    available = _pg_available()
    if not available and os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_ADMIN_URL}")
    return available


def create_pg_database() -> str:
    name = f"heitje_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[str]:
    """A fresh, empty database URL: once on SQLite, once on the machine's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'heitje.sqlite3'}"
        return
    if not pg_available:
        pytest.skip("PostgreSQL not reachable (required in CI)")
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)
