# SPDX-License-Identifier: EUPL-1.2
"""Fixtures for the contract tests: the façade over the session's deployment and a populated world.

State isolation: the session anvil is shared, so every module that builds state does it inside its own
snapshot (reverted at module end), and every test runs inside the function-scoped `snapshot`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount

from heitje.chain.client import Chain
from heitje.deploy import Deployment
from tests.contracts.ledger import Ledger, Operators, citizen_id, new_account, random_bytes32

#: Balances the world starts with (cents).
CITIZEN_FUNDS = 10_000
MERCHANT_FUNDS = 3_000
ESCROWED = 500


@contextmanager
def chain_snapshot(chain: Chain) -> Iterator[None]:
    snap = chain.rpc.call("evm_snapshot")
    try:
        yield
    finally:
        assert chain.rpc.call("evm_revert", snap) is True


@pytest.fixture(scope="session")
def ledger(chain: Chain, deployment: Deployment) -> Ledger:
    return Ledger(chain, deployment.address, Operators.dev())


def new_task_id() -> int:
    return secrets.randbits(64)


@dataclass(frozen=True)
class World:
    """Two citizens, two merchants, two unregistered keys, and tokens everywhere they can be."""

    ledger: Ledger
    citizen: LocalAccount
    citizen2: LocalAccount
    merchant: LocalAccount
    merchant2: LocalAccount
    outsider: LocalAccount
    outsider2: LocalAccount
    cid: bytes
    cid2: bytes
    pending_payout: bytes


@pytest.fixture(scope="module")
def world(ledger: Ledger, chain: Chain) -> Iterator[World]:
    with chain_snapshot(chain):
        citizen, citizen2, merchant, merchant2 = (new_account() for _ in range(4))
        cid, cid2 = citizen_id(citizen.address), citizen_id(citizen2.address)
        ledger.enrol_citizen(citizen.address, cid)
        ledger.enrol_citizen(citizen2.address, cid2)
        ledger.enrol_merchant(merchant.address)
        ledger.enrol_merchant(merchant2.address)
        ledger.mint_batch(
            [citizen.address, citizen2.address], [CITIZEN_FUNDS, CITIZEN_FUNDS], [new_task_id(), new_task_id()]
        )
        ledger.pay(citizen, merchant.address, MERCHANT_FUNDS)
        ledger.pay(citizen2, merchant2.address, MERCHANT_FUNDS + ESCROWED)
        payout = random_bytes32()
        ledger.redeem(merchant2, ESCROWED, payout)
        ledger.mint_batch(
            [citizen.address, citizen2.address],
            [MERCHANT_FUNDS, MERCHANT_FUNDS + ESCROWED],
            [new_task_id(), new_task_id()],
        )
        yield World(
            ledger=ledger,
            citizen=citizen,
            citizen2=citizen2,
            merchant=merchant,
            merchant2=merchant2,
            outsider=new_account(),
            outsider2=new_account(),
            cid=cid,
            cid2=cid2,
            pending_payout=payout,
        )
