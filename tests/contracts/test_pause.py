# SPDX-License-Identifier: EUPL-1.2
"""DESIGN §3 rule 8: pause stops every movement; administration continues."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contracts.conftest import World, new_task_id
from tests.contracts.ledger import Receipt, citizen_id, expect_revert, new_account, random_bytes32


def _transfer_from(w: World) -> Receipt:
    spender = new_account()
    w.ledger.approve(w.citizen, spender.address, 10)  # approving is not a movement: allowed while paused
    return w.ledger.transfer_from(spender, w.citizen.address, w.merchant.address, 10)


MOVEMENTS: dict[str, Callable[[World], Receipt]] = {
    "mint": lambda w: w.ledger.mint(w.citizen.address, 10, new_task_id()),
    "mint_batch": lambda w: w.ledger.mint_batch([w.citizen.address], [10], [new_task_id()]),
    "transfer": lambda w: w.ledger.transfer(w.citizen, w.merchant.address, 10),
    "transfer_from": _transfer_from,
    "payment_by_authorization": lambda w: w.ledger.pay(w.citizen, w.merchant.address, 10),
    "refund_by_authorization": lambda w: w.ledger.refund(w.merchant, w.citizen.address, 10),
    "request_redemption": lambda w: w.ledger.request_redemption(w.merchant, 10, random_bytes32()),
    "redemption_by_authorization": lambda w: w.ledger.redeem(w.merchant, 10, random_bytes32()),
    "settle": lambda w: w.ledger.settle(w.pending_payout, random_bytes32()),
    "reject": lambda w: w.ledger.reject(w.pending_payout),
    "recover": lambda w: w.ledger.recover(w.citizen.address, new_account().address),
}


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_movement_reverts_when_paused(movement: str, world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.pause()
    supply = ledger.total_supply()
    with expect_revert("HeitjePaused"):
        MOVEMENTS[movement](world)
    assert ledger.total_supply() == supply


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_movement_works_again_after_unpause(movement: str, world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.pause()
    ledger.unpause()
    MOVEMENTS[movement](world)


def test_pause_and_unpause_emit_events(world: World, snapshot: None) -> None:
    ledger = world.ledger
    rcpt = ledger.pause()
    assert ledger.paused()
    assert rcpt.event("Paused").args == {"account": ledger.ops.pauser.address}
    rcpt = ledger.unpause()
    assert not ledger.paused()
    assert rcpt.event("Unpaused").args == {"account": ledger.ops.pauser.address}


def test_pause_reverts_when_already_paused(world: World, snapshot: None) -> None:
    world.ledger.pause()
    with expect_revert("HeitjePaused"):
        world.ledger.pause()


def test_unpause_reverts_when_not_paused(world: World, snapshot: None) -> None:
    with expect_revert("HeitjeNotPaused"):
        world.ledger.unpause()


def test_administration_continues_while_paused(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.pause()
    ledger.enrol_citizen(new_account().address, citizen_id("paused-enrol"))
    ledger.suspend(world.merchant.address)
    ledger.set_yearly_cap(90_000)
    assert ledger.yearly_cap() == 90_000
