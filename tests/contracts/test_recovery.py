# SPDX-License-Identifier: EUPL-1.2
"""DESIGN §3 rule 7: recovery moves balance, identity and cap to a replacement address."""

from __future__ import annotations

from tests.contracts.conftest import ESCROWED, World, new_task_id
from tests.contracts.ledger import (
    ZERO_ADDRESS,
    ZERO_BYTES32,
    Kind,
    Ledger,
    citizen_id,
    expect_revert,
    new_account,
    random_bytes32,
)


def test_recovery_moves_balance_and_identity(world: World, snapshot: None) -> None:
    ledger = world.ledger
    lost = world.citizen.address
    replacement = new_account()
    balance = ledger.balance_of(lost)
    supply = ledger.total_supply()
    rcpt = ledger.recover(lost, replacement.address)
    assert ledger.balances([lost, replacement.address]) == [0, balance]
    assert ledger.total_supply() == supply
    assert ledger.account_of(replacement.address) == (Kind.CITIZEN, False, world.cid)
    assert ledger.account_of(lost) == (Kind.NONE, False, ZERO_BYTES32)
    event = rcpt.event("AccountRecovered")
    assert event.args == {"lost": lost, "replacement": replacement.address, "amount": balance}
    assert event.topics[2][-20:] == bytes.fromhex(replacement.address[2:])
    # The replacement acts as the citizen; the lost key can no longer pay.
    ledger.pay(replacement, world.merchant.address, 10)
    with expect_revert("HeitjeMovementNotAllowed"):
        ledger.pay(world.citizen, world.merchant.address, 0)


def test_recovered_citizen_cannot_exceed_the_cap_with_the_new_address(ledger: Ledger, snapshot: None) -> None:
    cid = citizen_id("recovered")
    lost, replacement = new_account().address, new_account().address
    ledger.enrol_citizen(lost, cid)
    cap = ledger.yearly_cap()
    ledger.mint(lost, cap - 50, new_task_id())
    ledger.recover(lost, replacement)
    year = ledger.current_year()
    assert ledger.cap_used(cid, year) == (cap - 50, cap)
    with expect_revert("HeitjeYearlyCapExceeded") as err:
        ledger.mint(replacement, 51, new_task_id())
    assert err.args == (cid, year, cap - 50, cap)
    ledger.mint(replacement, 50, new_task_id())


def test_recovery_of_a_zero_balance_account_emits_no_transfer(ledger: Ledger, snapshot: None) -> None:
    lost, replacement = new_account().address, new_account().address
    ledger.enrol_merchant(lost)
    rcpt = ledger.recover(lost, replacement)
    assert rcpt.named("Transfer") == []
    assert rcpt.event("AccountRecovered").args["amount"] == 0
    assert ledger.account_of(replacement)[0] == Kind.MERCHANT


def test_recovery_carries_suspension(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.suspend(world.citizen.address)
    replacement = new_account().address
    ledger.recover(world.citizen.address, replacement)
    assert ledger.account_of(replacement) == (Kind.CITIZEN, True, world.cid)


def test_rejected_redemption_returns_to_the_recovered_merchant(world: World, snapshot: None) -> None:
    ledger = world.ledger
    replacement = new_account().address
    ledger.recover(world.merchant2.address, replacement)
    before = ledger.balance_of(replacement)
    rcpt = ledger.reject(world.pending_payout)
    assert ledger.balance_of(replacement) == before + ESCROWED
    assert ledger.balance_of(world.merchant2.address) == 0
    assert rcpt.event("RedemptionRejected").args["merchant"] == replacement


def test_rejected_redemption_follows_a_chain_of_recoveries(world: World, snapshot: None) -> None:
    ledger = world.ledger
    second, third = new_account().address, new_account().address
    ledger.recover(world.merchant2.address, second)
    ledger.recover(second, third)
    ledger.reject(world.pending_payout)
    assert ledger.balances([world.merchant2.address, second, third])[2] == ledger.balance_of(third) > 0
    assert ledger.balances([world.merchant2.address, second]) == [0, 0]


def test_a_lost_address_cannot_be_enrolled_again(world: World, snapshot: None) -> None:
    """A lost key is retired for good: re-using it would let an old key (or a finder) act again, and
    would let recovery chains loop back on themselves."""
    ledger = world.ledger
    lost = world.merchant2.address
    ledger.recover(lost, new_account().address)
    with expect_revert("HeitjeInvalidAddress") as err:
        ledger.enrol_merchant(lost)
    assert err.args == (lost,)
    with expect_revert("HeitjeInvalidAddress"):
        ledger.enrol_citizen(lost, citizen_id("reuse"))


def test_recovery_back_to_a_lost_address_is_refused_and_redemptions_stay_rejectable(
    world: World, snapshot: None
) -> None:
    ledger = world.ledger
    lost, replacement = world.merchant2.address, new_account().address
    ledger.recover(lost, replacement)
    with expect_revert("HeitjeInvalidAddress"):
        ledger.recover(replacement, lost)
    ledger.reject(world.pending_payout, gas=300_000)
    assert ledger.balance_of(replacement) > 0


def test_recovery_reverts_for_unregistered_lost_address(ledger: Ledger, snapshot: None) -> None:
    lost = new_account().address
    with expect_revert("HeitjeNotEnrolled") as err:
        ledger.recover(lost, new_account().address)
    assert err.args == (lost,)


def test_recovery_reverts_for_enrolled_or_invalid_replacement(world: World, snapshot: None) -> None:
    ledger = world.ledger
    with expect_revert("HeitjeAlreadyEnrolled"):
        ledger.recover(world.citizen.address, world.citizen2.address)
    for bad in (ZERO_ADDRESS, ledger.address):
        with expect_revert("HeitjeInvalidAddress"):
            ledger.recover(world.citizen.address, bad)


def test_old_authorizations_of_a_lost_key_are_worthless(world: World, snapshot: None) -> None:
    ledger = world.ledger
    signed_before_loss = ledger.sign_transfer(world.citizen, world.merchant.address, 10)
    ledger.recover(world.citizen.address, new_account().address)
    with expect_revert("HeitjeMovementNotAllowed"):
        ledger.submit_transfer(signed_before_loss)


def test_pending_redemption_of_recovered_merchant_can_still_be_settled(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.recover(world.merchant2.address, new_account().address)
    supply = ledger.total_supply()
    ledger.settle(world.pending_payout, random_bytes32())
    assert ledger.total_supply() == supply - ESCROWED
