# SPDX-License-Identifier: EUPL-1.2
"""A node that refuses large ranges, errs and times out: the indexer shrinks its range, backs off, and
ends with the same mirror as with a healthy node."""

from __future__ import annotations

from heitje.chain.anvil import Anvil
from heitje.chain.client import RpcClient
from heitje.deploy import Deployment
from tests.indexer.faulty_node import FaultyNode
from tests.indexer.helpers import World, dump, fresh_dump, index


def test_indexer_backs_off_and_continues_through_a_faulty_node(
    world: World, node: Anvil, ideployment: Deployment, database_url: str, other_database_url: str
) -> None:
    world.populate()
    for _ in range(8):
        world.random_round(4)
    with FaultyNode(node.url, max_range=3, error_rate=0.2, hang_rate=0.06, hang_seconds=0.6) as proxy:
        rpc = RpcClient(proxy.url, timeout=0.3)
        parts = index(rpc, database_url, ideployment, page_blocks=5000)
        try:
            source = parts.indexer.source
            assert source.span <= 3  # it learnt the node's limit
            assert source.refusals >= 1
            assert source.retries >= 3
            assert {"refused", "http500", "garbage", "hung"} <= set(proxy.faults), proxy.faults
            mirror = dump(parts.engine)
        finally:
            parts.engine.dispose()
            rpc.close()
    assert mirror == fresh_dump(node.url, other_database_url, ideployment)
