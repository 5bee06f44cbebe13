# SPDX-License-Identifier: EUPL-1.2
"""Smoke test of the benchmark entry point (the numbers themselves come from `heitje bench`)."""

from __future__ import annotations

from heitje.chain.anvil import Anvil
from heitje.chain.client import RpcClient
from heitje.db import make_engine, session_factory, unit_of_work
from heitje.deploy import Deployment
from indexer.bench import measure
from indexer.loadgen import LoadGen
from indexer.reconcile import reconcile


def test_measure_catches_up_and_times_both_naive_loops(
    gen: LoadGen, node: Anvil, ideployment: Deployment, database_url: str
) -> None:
    result = measure(node.url, ideployment, database_url, load_events=1500, naive_events=150)
    assert result["events"] >= 1500
    assert result["events_per_s"] > 0
    assert 0 < result["peak_rss_mb"] < 2000
    assert result["naive_minimal"]["events"] == 150
    assert result["naive_same_output"]["events"] == 150
    assert result["speedup_vs_naive_same_output"] > 1
    # The database holds the complete mirror afterwards, equal to the chain.
    engine, rpc = make_engine(database_url), RpcClient(node.url)
    try:
        with unit_of_work(session_factory(engine)) as s:
            report = reconcile(rpc, s)
    finally:
        engine.dispose()
        rpc.close()
    assert report.clean, "\n".join(report.lines())
    assert report.checked["task rewards"] >= 600
