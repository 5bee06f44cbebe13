# SPDX-License-Identifier: EUPL-1.2
"""Indexer fixtures: a module-private anvil that mines on demand (`evm_mine`), a deployment on it, and a
snapshot per test. Mining on demand puts many transactions in one block, as interval mining would."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from heitje.chain.abi import heitje_abi
from heitje.chain.anvil import Anvil
from heitje.chain.client import Chain
from heitje.deploy import Deployment, deploy
from heitje.signing import LocalKeySigner, dev_account
from indexer.loadgen import LoadGen
from tests.conftest import make_settings
from tests.indexer.helpers import World


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    log = tmp_path_factory.mktemp("anvil-indexer") / "anvil.log"
    with Anvil(block_time=0, log_path=log) as n:
        yield n


@pytest.fixture(scope="module")
def ichain(node: Anvil) -> Iterator[Chain]:
    c = Chain(node.url, abi=heitje_abi())
    yield c
    c.close()


@pytest.fixture(scope="module")
def settings_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("indexer-settings")


@pytest.fixture(scope="module")
def ideployment(ichain: Chain, settings_dir: Path) -> Deployment:
    d = deploy(ichain, LocalKeySigner(dev_account(0)), make_settings(settings_dir), dev_chain=True)
    ichain.rpc.call("evm_setAutomine", False)
    return d


@pytest.fixture
def isnapshot(ichain: Chain, ideployment: Deployment) -> Iterator[None]:
    snap = ichain.rpc.call("evm_snapshot")
    yield
    assert ichain.rpc.call("evm_revert", snap) is True


@pytest.fixture
def gen(ichain: Chain, ideployment: Deployment, isnapshot: None) -> LoadGen:
    return LoadGen(ichain.rpc, ideployment.address)


@pytest.fixture
def world(gen: LoadGen) -> World:
    return World(gen, random.Random(1234))


@pytest.fixture
def other_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as `database_url` (for fresh replays)."""
    from tests.conftest import create_pg_database, drop_pg_database

    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'replay.sqlite3'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)
