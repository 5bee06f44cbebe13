# SPDX-License-Identifier: EUPL-1.2
"""Random operation sequences: the incremental mirror equals a fresh replay, and reconcile finds the chain
equal to both."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import update

from heitje.chain.client import Chain
from heitje.db import session_factory, unit_of_work
from heitje.deploy import Deployment
from indexer import queries
from indexer.models import IdxBalance
from indexer.reconcile import reconcile
from tests.indexer.helpers import World, dump, fresh_dump, index


@pytest.mark.parametrize("seed", [7, 2026])
def test_incremental_mirror_equals_fresh_replay_and_chain(
    world: World,
    ichain: Chain,
    ideployment: Deployment,
    database_url: str,
    other_database_url: str,
    seed: int,
) -> None:
    world.rng = random.Random(seed)
    world.populate()
    parts = index(ichain.rpc, database_url, ideployment)
    try:
        for _ in range(12):
            world.random_round(world.rng.randint(3, 12))
            if world.rng.random() < 0.7:  # sometimes several blocks land in one page
                parts.indexer.catch_up()
        parts.indexer.catch_up()
        incremental = dump(parts.engine)
        with unit_of_work(session_factory(parts.engine)) as s:
            report = reconcile(ichain.rpc, s)
            supply = queries.supply(s)
        assert report.clean, "\n".join(report.lines())
        assert report.checked["balances"] >= 9
        assert supply.outstanding == supply.minted - supply.burned > 0
    finally:
        parts.engine.dispose()
    assert incremental == fresh_dump(ichain.rpc, other_database_url, ideployment)
    assert {name for name, rows in incremental.items() if rows} >= {
        "idx_events",
        "idx_transfers",
        "idx_balances",
        "idx_participants",
        "idx_task_rewards",
        "idx_earnings",
        "idx_payments",
        "idx_merchant_receipts",
        "idx_redemptions",
        "idx_supply",
        "idx_roles",
        "idx_contract_state",
    }


def test_reconcile_reports_a_tampered_balance(
    world: World, ichain: Chain, ideployment: Deployment, database_url: str
) -> None:
    world.populate()
    parts = index(ichain.rpc, database_url, ideployment)
    try:
        victim = world.citizens[0].address.lower()
        with unit_of_work(session_factory(parts.engine)) as s:
            s.execute(update(IdxBalance).where(IdxBalance.address == victim).values(balance=IdxBalance.balance + 1))
        with unit_of_work(session_factory(parts.engine)) as s:
            report = reconcile(ichain.rpc, s)
    finally:
        parts.engine.dispose()
    assert not report.clean
    kinds = {(d.what, d.key) for d in report.differences}
    assert ("balances", victim) in kinds
    assert ("supply", "sum(balances)") in kinds
