# SPDX-License-Identifier: EUPL-1.2
"""`anvil_reorg` of depth 1..5 while indexing, with and without confirmation depth: afterwards the
projections equal a fresh replay and the chain."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from heitje.chain.client import Chain
from heitje.db import session_factory, unit_of_work
from heitje.deploy import Deployment
from indexer import queries
from indexer.loadgen import LoadGen
from indexer.models import IdxBlock, IdxEvent
from indexer.reconcile import reconcile
from tests.indexer.helpers import World, dump, fresh_dump, index


def _reorg(chain: Chain, gen: LoadGen, world: World, depth: int) -> None:
    """Replace the last `depth` blocks by blocks holding one different task reward."""
    head = chain.block_number()
    issuer = gen.keys["issuer"]
    nonce = int(chain.rpc.call("eth_getTransactionCount", issuer.address, hex(head - depth)), 16)
    citizen = world.citizens[0].address
    task = 10**9 + depth * 1000 + head
    data = gen.abi.functions["mintForTasks"].encode([citizen], [depth], [task])
    tx = {
        "type": 2,
        "chainId": 31337,
        "nonce": nonce,
        "gas": 300_000,
        "maxFeePerGas": 0,
        "maxPriorityFeePerGas": 0,
        "value": 0,
        "to": gen.contract,
        "data": data,
    }
    raw = "0x" + bytes(issuer.sign_transaction(tx).raw_transaction).hex()
    before = chain.get_block(head)["hash"]
    chain.rpc.call("anvil_reorg", depth, [[raw, 0]])
    assert chain.get_block(head)["hash"] != before
    gen.nonces.clear()  # the replaced blocks took their transactions with them


@pytest.mark.parametrize("confirmations", [0, 2])
def test_reorgs_of_depth_1_to_5_end_equal_to_a_fresh_replay(
    world: World,
    gen: LoadGen,
    ichain: Chain,
    ideployment: Deployment,
    database_url: str,
    other_database_url: str,
    confirmations: int,
) -> None:
    world.populate()
    parts = index(ichain.rpc, database_url, ideployment, confirmations=confirmations)
    try:
        for depth in range(1, 6):
            for _ in range(depth + 2):  # enough blocks above the fork point, each with events
                world.mint(3)
                world.pay()
                gen.flush()
            parts.indexer.catch_up()
            _reorg(ichain, gen, world, depth)
            world.balances.clear()  # the model no longer knows who holds what; mint-only from here
            world.mint(2)
            gen.flush()
            parts.indexer.catch_up()
            parts.indexer.catch_up()
        with unit_of_work(session_factory(parts.engine)) as s:
            report = reconcile(ichain.rpc, s)
            status = queries.status(s)
        assert report.clean, "\n".join(report.lines())
        assert status is not None
        # Every reorg deeper than the confirmation depth was seen and rolled back.
        assert status.reorgs == sum(1 for d in range(1, 6) if d > confirmations)
        incremental = dump(parts.engine)
    finally:
        parts.engine.dispose()
    replay = fresh_dump(ichain.rpc, other_database_url, ideployment, confirmations=confirmations)
    assert incremental == replay
    expected_hash = ichain.get_block(ichain.block_number() - confirmations)["hash"]
    assert incremental["idx_cursor"][0][1] == expected_hash.lower()


def test_blocks_without_events_are_kept_only_inside_the_reorg_window(
    world: World, ichain: Chain, ideployment: Deployment, database_url: str
) -> None:
    world.populate()
    parts = index(ichain.rpc, database_url, ideployment)  # reorg window: 16 blocks
    try:
        for _ in range(3):
            ichain.rpc.call("anvil_mine", hex(40))
            world.mint(1)
            world.gen.flush()
            parts.indexer.catch_up()
        with unit_of_work(session_factory(parts.engine)) as s:
            stored = s.scalars(select(IdxBlock.number)).all()
            with_events = set(s.scalars(select(IdxEvent.block_number).distinct()).all())
    finally:
        parts.engine.dispose()
    head = ichain.block_number()
    assert head - ideployment.block_number > 120
    assert max(stored) == head
    assert set(range(head - 15, head + 1)) <= set(stored)  # the window, contiguous
    assert {n for n in stored if n <= head - 16} <= with_events  # older: only blocks with events
    assert with_events <= set(stored)
