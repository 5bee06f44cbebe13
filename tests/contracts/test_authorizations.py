# SPDX-License-Identifier: EUPL-1.2
"""DESIGN §3 rule 5: gasless custodial actions by EIP-712 authorization with unordered nonces."""

from __future__ import annotations

import secrets

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from tests.contracts.conftest import World
from tests.contracts.ledger import (
    EIP712_DOMAIN_TYPE,
    FOREVER,
    TRANSFER_TYPES,
    Ledger,
    TransferAuthorization,
    expect_revert,
    new_account,
    random_bytes32,
)

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def test_domain_separator_is_heerlens_heitje_version_1(ledger: Ledger) -> None:
    expected = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak(text="Heerlens Heitje"),
                keccak(text="1"),
                ledger.chain.chain_id,
                ledger.address,
            ],
        )
    )
    assert ledger.call("DOMAIN_SEPARATOR") == expected
    fields, name, version, chain_id, contract, _, _ = ledger.call("eip712Domain")
    assert (name, version, chain_id, contract) == ("Heerlens Heitje", "1", ledger.chain.chain_id, ledger.address)
    assert fields == b"\x0f"


def test_documented_typed_data_is_what_the_contract_verifies(world: World, snapshot: None) -> None:
    """A wallet that knows only docs/contract.md (the full EIP-712 JSON) produces an accepted signature."""
    ledger = world.ledger
    ts = ledger.latest_timestamp()
    nonce, ref = secrets.randbits(256), random_bytes32()
    message = {
        "from": world.citizen.address,
        "to": world.merchant.address,
        "value": 125,
        "validAfter": ts - 10,
        "validBefore": ts + 600,
        "nonce": nonce,
        "paymentRef": ref,
    }
    full = {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **TRANSFER_TYPES},
        "primaryType": "TransferWithAuthorization",
        "domain": ledger.domain(),
        "message": message,
    }
    sig = Account.sign_message(encode_typed_data(full_message=full), world.citizen.key)
    auth = TransferAuthorization(
        world.citizen.address,
        world.merchant.address,
        125,
        ts - 10,
        ts + 600,
        nonce,
        ref,
        sig.v,
        sig.r.to_bytes(32, "big"),
        sig.s.to_bytes(32, "big"),
    )
    rcpt = ledger.submit_transfer(auth)
    assert rcpt.event("PaymentMade").args == {
        "citizen": world.citizen.address,
        "merchant": world.merchant.address,
        "paymentRef": ref,
        "amount": 125,
        "nonce": nonce,
    }


def test_payment_by_authorization_moves_tokens_and_emits_indexed_payment(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ref = random_bytes32()
    before = ledger.balances([world.citizen.address, world.merchant.address])
    rcpt = ledger.pay(world.citizen, world.merchant.address, 450, nonce=7, payment_ref=ref)
    assert ledger.balances([world.citizen.address, world.merchant.address]) == [before[0] - 450, before[1] + 450]
    event = rcpt.event("PaymentMade")
    assert event.topics[1][-20:] == bytes.fromhex(world.citizen.address[2:])
    assert event.topics[2][-20:] == bytes.fromhex(world.merchant.address[2:])
    assert event.topics[3] == ref
    assert event.args["nonce"] == 7
    assert ledger.authorization_state(world.citizen.address, 7)


def test_refund_by_authorization_emits_refund(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ref = random_bytes32()
    rcpt = ledger.refund(world.merchant, world.citizen.address, 80, payment_ref=ref)
    assert rcpt.event("RefundMade").args["paymentRef"] == ref
    assert rcpt.named("PaymentMade") == []


def test_relayer_pays_no_tokens_and_needs_no_role(world: World, snapshot: None) -> None:
    ledger = world.ledger
    auth = ledger.sign_transfer(world.citizen, world.merchant.address, 10)
    stranger = new_account()
    ledger.send(stranger, "transferWithAuthorization", *auth.call_args())
    assert ledger.balance_of(stranger.address) == 0


def test_authorization_replay_reverts(world: World, snapshot: None) -> None:
    ledger = world.ledger
    auth = ledger.sign_transfer(world.citizen, world.merchant.address, 10, nonce=12345)
    ledger.submit_transfer(auth)
    with expect_revert("HeitjeAuthorizationAlreadyUsed") as err:
        ledger.submit_transfer(auth)
    assert err.args == (world.citizen.address, 12345)


def test_used_nonce_cannot_be_reused_for_other_terms(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.pay(world.citizen, world.merchant.address, 10, nonce=99)
    with expect_revert("HeitjeAuthorizationAlreadyUsed"):
        ledger.pay(world.citizen, world.merchant2.address, 20, nonce=99)
    with expect_revert("HeitjeAuthorizationAlreadyUsed"):
        ledger.redeem(world.citizen, 20, random_bytes32(), nonce=99)


def test_nonces_are_per_signer(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.pay(world.citizen, world.merchant.address, 10, nonce=5)
    ledger.pay(world.citizen2, world.merchant.address, 10, nonce=5)
    assert not ledger.authorization_state(world.merchant.address, 5)


def test_many_outstanding_authorizations_can_be_submitted_in_any_order(world: World, snapshot: None) -> None:
    ledger = world.ledger
    nonces = [0, 1, 255, 256, 257, 2**255, 2**256 - 1] + [secrets.randbits(256) for _ in range(5)]
    auths = [ledger.sign_transfer(world.citizen, world.merchant.address, 3, nonce=n) for n in nonces]
    before = ledger.balance_of(world.merchant.address)
    for auth in reversed(auths):
        ledger.submit_transfer(auth)
    assert ledger.balance_of(world.merchant.address) == before + 3 * len(auths)
    assert all(ledger.authorization_state(world.citizen.address, n) for n in nonces)
    assert not ledger.authorization_state(world.citizen.address, 2)
    assert ledger.call("nonceBitmap", world.citizen.address, 0) == 1 | 2 | (1 << 255)
    assert ledger.call("nonceBitmap", world.citizen.address, 1) == 1 | 2


def test_authorization_reverts_after_valid_before(world: World, snapshot: None) -> None:
    ledger = world.ledger
    now = ledger.latest_timestamp()
    auth = ledger.sign_transfer(world.citizen, world.merchant.address, 10, valid_before=now + 5)
    ledger.set_next_timestamp(now + 5)
    with expect_revert("HeitjeAuthorizationExpired") as err:
        ledger.submit_transfer(auth, gas=200_000)
    assert err.args == (now + 5, now + 5)


def test_authorization_is_valid_until_the_second_before_valid_before(world: World, snapshot: None) -> None:
    ledger = world.ledger
    now = ledger.latest_timestamp()
    auth = ledger.sign_transfer(world.citizen, world.merchant.address, 10, valid_before=now + 5)
    ledger.set_next_timestamp(now + 4)
    ledger.submit_transfer(auth, gas=200_000)


def test_authorization_reverts_before_valid_after(world: World, snapshot: None) -> None:
    ledger = world.ledger
    now = ledger.latest_timestamp()
    auth = ledger.sign_transfer(world.citizen, world.merchant.address, 10, valid_after=now + 100)
    ledger.set_next_timestamp(now + 100)
    with expect_revert("HeitjeAuthorizationNotYetValid") as err:
        ledger.submit_transfer(auth, gas=200_000)
    assert err.args == (now + 100, now + 100)
    ledger.set_next_timestamp(now + 101)
    ledger.submit_transfer(auth, gas=200_000)


def test_authorization_signed_by_someone_else_reverts(world: World, snapshot: None) -> None:
    ledger = world.ledger
    thief = new_account()
    auth = ledger.sign_transfer(thief, world.merchant.address, 10, from_=world.citizen.address)
    with expect_revert("HeitjeInvalidSigner") as err:
        ledger.submit_transfer(auth)
    assert err.args == (world.citizen.address, thief.address)


@pytest.mark.parametrize("field", ["to", "value", "validBefore", "nonce", "paymentRef"])
def test_tampered_authorization_reverts(field: str, world: World, snapshot: None) -> None:
    ledger = world.ledger
    auth = ledger.sign_transfer(world.citizen, world.merchant.address, 10, valid_before=FOREVER)
    args = list(auth.call_args())
    index = ["from", "to", "value", "validAfter", "validBefore", "nonce", "paymentRef"].index(field)
    args[index] = {
        "to": world.merchant2.address,
        "value": 11,
        "validBefore": FOREVER + 1,
        "nonce": auth.nonce ^ 1,
        "paymentRef": random_bytes32(),
    }[field]
    with expect_revert("HeitjeInvalidSigner"):
        ledger.send(ledger.ops.relayer, "transferWithAuthorization", *args)


def test_authorization_for_another_contract_reverts(world: World, snapshot: None) -> None:
    ledger = world.ledger
    message = {
        "from": world.citizen.address,
        "to": world.merchant.address,
        "value": 10,
        "validAfter": 0,
        "validBefore": FOREVER,
        "nonce": 1,
        "paymentRef": random_bytes32(),
    }
    other_domain = {**ledger.domain(), "verifyingContract": world.outsider.address}
    sig = world.citizen.sign_typed_data(other_domain, TRANSFER_TYPES, message)
    with expect_revert("HeitjeInvalidSigner"):
        ledger.send(
            ledger.ops.relayer,
            "transferWithAuthorization",
            *message.values(),
            sig.v,
            sig.r.to_bytes(32, "big"),
            sig.s.to_bytes(32, "big"),
        )


def test_malleable_high_s_signature_reverts(world: World, snapshot: None) -> None:
    ledger = world.ledger
    auth = ledger.sign_transfer(world.citizen, world.merchant.address, 10)
    s_high = (SECP256K1_N - int.from_bytes(auth.s, "big")).to_bytes(32, "big")
    args = list(auth.call_args())
    args[-3:] = [55 - auth.v, auth.r, s_high]  # the mirrored signature recovers the same key
    with expect_revert("ECDSAInvalidSignatureS"):
        ledger.send(ledger.ops.relayer, "transferWithAuthorization", *args)


def test_garbage_signature_reverts(world: World, snapshot: None) -> None:
    ledger = world.ledger
    auth = ledger.sign_transfer(world.citizen, world.merchant.address, 10)
    args = list(auth.call_args())
    args[-3:] = [27, bytes(32), bytes(32)]
    with expect_revert("ECDSAInvalidSignature"):
        ledger.send(ledger.ops.relayer, "transferWithAuthorization", *args)


def test_failed_authorization_leaves_nonce_unused(world: World, snapshot: None) -> None:
    ledger = world.ledger
    with expect_revert("ERC20InsufficientBalance"):
        ledger.pay(world.citizen, world.merchant.address, 10**9, nonce=42)
    assert not ledger.authorization_state(world.citizen.address, 42)


def test_redemption_by_authorization_escrows_tokens(world: World, snapshot: None) -> None:
    ledger = world.ledger
    payout = random_bytes32()
    before = ledger.balances([world.merchant.address, ledger.address])
    rcpt = ledger.redeem(world.merchant, 300, payout, nonce=3)
    assert ledger.balances([world.merchant.address, ledger.address]) == [before[0] - 300, before[1] + 300]
    assert rcpt.event("RedemptionRequested").args == {
        "payoutId": payout,
        "merchant": world.merchant.address,
        "amount": 300,
    }
    assert ledger.authorization_state(world.merchant.address, 3)
    with expect_revert("HeitjeAuthorizationAlreadyUsed"):
        ledger.redeem(world.merchant, 300, random_bytes32(), nonce=3)


def test_redemption_authorization_signed_by_someone_else_reverts(world: World, snapshot: None) -> None:
    ledger = world.ledger
    auth = ledger.sign_redemption(world.outsider, 300, random_bytes32(), merchant=world.merchant.address)
    with expect_revert("HeitjeInvalidSigner") as err:
        ledger.submit_redemption(auth)
    assert err.args == (world.merchant.address, world.outsider.address)


def test_redemption_authorization_respects_its_window(world: World, snapshot: None) -> None:
    ledger = world.ledger
    now = ledger.latest_timestamp()
    late = ledger.sign_redemption(world.merchant, 1, random_bytes32(), valid_before=now)
    with expect_revert("HeitjeAuthorizationExpired"):
        ledger.submit_redemption(late)
    early = ledger.sign_redemption(world.merchant, 1, random_bytes32(), valid_after=now + 1000)
    with expect_revert("HeitjeAuthorizationNotYetValid"):
        ledger.submit_redemption(early)
