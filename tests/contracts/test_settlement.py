# SPDX-License-Identifier: EUPL-1.2
"""DESIGN §3 rule 6: two-phase settlement — escrow on request, burn on settle, return on reject."""

from __future__ import annotations

from tests.contracts.conftest import ESCROWED, World
from tests.contracts.ledger import (
    ZERO_ADDRESS,
    ZERO_BYTES32,
    RedemptionStatus,
    expect_revert,
    random_bytes32,
)

BANK_REF = b"SEPA-2026-11-29-0001".ljust(32, b"\0")


def test_request_redemption_moves_tokens_into_escrow(world: World, snapshot: None) -> None:
    ledger = world.ledger
    payout = random_bytes32()
    before = ledger.balances([world.merchant.address, ledger.address])
    rcpt = ledger.request_redemption(world.merchant, 1_000, payout)
    assert ledger.balances([world.merchant.address, ledger.address]) == [before[0] - 1_000, before[1] + 1_000]
    assert ledger.redemption_of(payout) == (world.merchant.address, 1_000, RedemptionStatus.PENDING)
    event = rcpt.event("RedemptionRequested")
    assert event.topics[1] == payout
    assert rcpt.event("Transfer").args == {"from": world.merchant.address, "to": ledger.address, "value": 1_000}
    assert ledger.call("escrow") == ledger.address


def test_settle_burns_escrowed_tokens_against_bank_reference(world: World, snapshot: None) -> None:
    ledger = world.ledger
    supply = ledger.total_supply()
    escrow = ledger.escrow_balance()
    rcpt = ledger.settle(world.pending_payout, BANK_REF)
    assert ledger.total_supply() == supply - ESCROWED
    assert ledger.escrow_balance() == escrow - ESCROWED
    assert ledger.redemption_of(world.pending_payout)[2] == RedemptionStatus.SETTLED
    assert rcpt.event("RedemptionSettled").args == {
        "payoutId": world.pending_payout,
        "merchant": world.merchant2.address,
        "amount": ESCROWED,
        "bankReference": BANK_REF,
    }
    assert rcpt.event("RedemptionSettled").topics[1] == world.pending_payout
    assert rcpt.event("Transfer").args == {"from": ledger.address, "to": ZERO_ADDRESS, "value": ESCROWED}


def test_reject_returns_escrowed_tokens_to_merchant(world: World, snapshot: None) -> None:
    ledger = world.ledger
    supply = ledger.total_supply()
    before = ledger.balance_of(world.merchant2.address)
    reason = b"IBAN closed".ljust(32, b"\0")
    rcpt = ledger.reject(world.pending_payout, reason)
    assert ledger.balance_of(world.merchant2.address) == before + ESCROWED
    assert ledger.total_supply() == supply
    assert ledger.redemption_of(world.pending_payout)[2] == RedemptionStatus.REJECTED
    assert rcpt.event("RedemptionRejected").args == {
        "payoutId": world.pending_payout,
        "merchant": world.merchant2.address,
        "amount": ESCROWED,
        "reason": reason,
    }


def test_settle_reverts_without_bank_reference(world: World, snapshot: None) -> None:
    with expect_revert("HeitjeMissingBankReference") as err:
        world.ledger.settle(world.pending_payout, ZERO_BYTES32)
    assert err.args == (world.pending_payout,)


def test_settle_and_reject_revert_for_unknown_payout(world: World, snapshot: None) -> None:
    unknown = random_bytes32()
    with expect_revert("HeitjeRedemptionNotPending") as err:
        world.ledger.settle(unknown, BANK_REF)
    assert err.args == (unknown,)
    with expect_revert("HeitjeRedemptionNotPending"):
        world.ledger.reject(unknown)


def test_settled_redemption_cannot_be_settled_or_rejected_again(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.settle(world.pending_payout, BANK_REF)
    with expect_revert("HeitjeRedemptionNotPending"):
        ledger.settle(world.pending_payout, BANK_REF)
    with expect_revert("HeitjeRedemptionNotPending"):
        ledger.reject(world.pending_payout)


def test_rejected_redemption_cannot_be_settled(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.reject(world.pending_payout)
    with expect_revert("HeitjeRedemptionNotPending"):
        ledger.settle(world.pending_payout, BANK_REF)


def test_payout_id_cannot_be_reused_even_after_settlement(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.settle(world.pending_payout, BANK_REF)
    with expect_revert("HeitjeRedemptionExists") as err:
        ledger.request_redemption(world.merchant, 10, world.pending_payout)
    assert err.args == (world.pending_payout,)


def test_request_redemption_reverts_for_zero_payout_id(world: World, snapshot: None) -> None:
    with expect_revert("HeitjeMissingPayoutId"):
        world.ledger.request_redemption(world.merchant, 10, ZERO_BYTES32)


def test_request_redemption_reverts_for_zero_amount(world: World, snapshot: None) -> None:
    with expect_revert("HeitjeZeroAmount"):
        world.ledger.request_redemption(world.merchant, 0, random_bytes32())


def test_request_redemption_reverts_for_amount_beyond_uint88(world: World, snapshot: None) -> None:
    with expect_revert("HeitjeAmountTooLarge") as err:
        world.ledger.request_redemption(world.merchant, 2**88, random_bytes32())
    assert err.args == (2**88,)


def test_request_redemption_reverts_beyond_balance(world: World, snapshot: None) -> None:
    with expect_revert("ERC20InsufficientBalance"):
        world.ledger.request_redemption(world.merchant, 10**6, random_bytes32())


def test_only_merchants_can_request_redemption(world: World, snapshot: None) -> None:
    ledger = world.ledger
    for key in (world.citizen, world.outsider):
        with expect_revert("HeitjeNotMerchant") as err:
            ledger.request_redemption(key, 10, random_bytes32())
        assert err.args == (key.address,)
        with expect_revert("HeitjeNotMerchant"):
            ledger.redeem(key, 10, random_bytes32())


def test_escrow_always_covers_pending_redemptions(world: World, snapshot: None) -> None:
    ledger = world.ledger
    payouts = [random_bytes32() for _ in range(3)]
    for p in payouts:
        ledger.redeem(world.merchant, 200, p)
    ledger.settle(payouts[0], BANK_REF)
    ledger.reject(payouts[1])
    pending = [world.pending_payout, payouts[2]]
    assert ledger.escrow_balance() == sum(ledger.redemption_of(p)[1] for p in pending)
