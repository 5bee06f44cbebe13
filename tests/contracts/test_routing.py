# SPDX-License-Identifier: EUPL-1.2
"""DESIGN §3 rule 4, the closed loop: one shared behaviour suite run through every path that moves tokens.

Senders and receivers range over {citizen, merchant, unregistered, zero, escrow}. Only citizen → merchant
(payment) and merchant → citizen (refund) may move through `transfer`, `transferFrom` or a signed
authorization; every other cell reverts with a named error. The escrow and the zero address send through
anvil impersonation, so the contract's own rules (not the impossibility of signing) are what is tested.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from tests.contracts.conftest import World
from tests.contracts.ledger import ZERO_ADDRESS, Receipt, expect_revert, new_account

PARTIES = ("citizen", "merchant", "unregistered", "zero", "escrow")
ALLOWED = {("citizen", "merchant"), ("merchant", "citizen")}
VALUE = 100


def sender_address(world: World, party: str) -> str:
    return {
        "citizen": world.citizen.address,
        "merchant": world.merchant.address,
        "unregistered": world.outsider.address,
        "zero": ZERO_ADDRESS,
        "escrow": world.ledger.address,
    }[party]


def receiver_address(world: World, party: str, sender: str) -> str:
    """A second participant of the same kind when sender and receiver kinds match (A pays B, not A)."""
    if party == sender:
        second = {
            "citizen": world.citizen2.address,
            "merchant": world.merchant2.address,
            "unregistered": world.outsider2.address,
        }
        if party in second:
            return second[party]
    return sender_address(world, party)


def sender_key(world: World, party: str) -> LocalAccount | None:
    return {"citizen": world.citizen, "merchant": world.merchant, "unregistered": world.outsider}.get(party)


class MovementPath(ABC):
    name: str

    @abstractmethod
    def move(self, world: World, src: str, to: str, value: int) -> Receipt: ...

    def expected_error(self, src: str, dst: str) -> str | None:
        if dst == "zero":
            return "ERC20InvalidReceiver"
        if (src, dst) in ALLOWED:
            return None
        return "HeitjeMovementNotAllowed"


class TransferPath(MovementPath):
    name = "transfer"

    def move(self, world: World, src: str, to: str, value: int) -> Receipt:
        key = sender_key(world, src)
        if key is None:
            return world.ledger.send_as(sender_address(world, src), "transfer", to, value)
        return world.ledger.transfer(key, to, value)

    def expected_error(self, src: str, dst: str) -> str | None:
        if src == "zero":
            return "ERC20InvalidSender"
        return super().expected_error(src, dst)


class TransferFromPath(MovementPath):
    name = "transferFrom"

    def move(self, world: World, src: str, to: str, value: int) -> Receipt:
        spender = new_account()
        key = sender_key(world, src)
        if key is not None:
            world.ledger.approve(key, spender.address, value)
        elif src == "escrow":
            world.ledger.send_as(world.ledger.address, "approve", spender.address, value)
        # The zero address cannot approve anyone (ERC20InvalidApprover), so it has no allowance to spend.
        return world.ledger.transfer_from(spender, sender_address(world, src), to, value)

    def expected_error(self, src: str, dst: str) -> str | None:
        if src == "zero":
            return "ERC20InsufficientAllowance"
        return super().expected_error(src, dst)


class AuthorizationPath(MovementPath):
    name = "authorization"

    def move(self, world: World, src: str, to: str, value: int) -> Receipt:
        key = sender_key(world, src)
        if key is None:  # nobody holds the key of the zero address or the escrow: someone else signs
            auth = world.ledger.sign_transfer(world.outsider, to, value, from_=sender_address(world, src))
        else:
            auth = world.ledger.sign_transfer(key, to, value)
        return world.ledger.submit_transfer(auth)

    def expected_error(self, src: str, dst: str) -> str | None:
        if src in ("zero", "escrow"):
            return "HeitjeInvalidSigner"
        return super().expected_error(src, dst)


PATHS = [TransferPath(), TransferFromPath(), AuthorizationPath()]


@pytest.mark.parametrize("dst", PARTIES)
@pytest.mark.parametrize("src", PARTIES)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_movement_follows_closed_loop(path: MovementPath, src: str, dst: str, world: World, snapshot: None) -> None:
    ledger = world.ledger
    frm = sender_address(world, src)
    to = receiver_address(world, dst, src)
    before = ledger.balances([frm, to])
    supply = ledger.total_supply()
    expected = path.expected_error(src, dst)

    if expected is None:
        rcpt = path.move(world, src, to, VALUE)
        assert ledger.balances([frm, to]) == [before[0] - VALUE, before[1] + VALUE]
        transfer = rcpt.event("Transfer")
        assert transfer.args == {"from": frm, "to": to, "value": VALUE}
        if path.name == "authorization":
            name = "PaymentMade" if src == "citizen" else "RefundMade"
            assert rcpt.event(name).args["amount"] == VALUE
    else:
        with expect_revert(expected) as err:
            path.move(world, src, to, VALUE)
        if expected == "HeitjeMovementNotAllowed":
            assert err.args == (frm, to)
        assert ledger.balances([frm, to]) == before
    assert ledger.total_supply() == supply


def test_merchant_cannot_move_tokens_into_escrow_outside_a_redemption(world: World, snapshot: None) -> None:
    ledger = world.ledger
    with expect_revert("HeitjeMovementNotAllowed") as err:
        ledger.transfer(world.merchant, ledger.address, VALUE)
    assert err.args == (world.merchant.address, ledger.address)


def test_suspended_merchant_cannot_receive_a_payment(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.suspend(world.merchant.address)
    with expect_revert("HeitjeMovementNotAllowed"):
        ledger.pay(world.citizen, world.merchant.address, VALUE)
    with expect_revert("HeitjeMovementNotAllowed"):
        ledger.transfer(world.citizen, world.merchant.address, VALUE)


def test_suspended_citizen_cannot_pay(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.suspend(world.citizen.address)
    with expect_revert("HeitjeMovementNotAllowed"):
        ledger.pay(world.citizen, world.merchant.address, VALUE)


def test_suspended_merchant_can_still_refund_and_cash_in(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.suspend(world.merchant.address)
    ledger.refund(world.merchant, world.citizen.address, VALUE)
    payout = bytes.fromhex("ab" * 32)
    ledger.redeem(world.merchant, VALUE, payout)
    assert ledger.redemption_of(payout)[0] == to_checksum_address(world.merchant.address)
