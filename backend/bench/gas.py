# SPDX-License-Identifier: EUPL-1.2
"""Gas per operation from receipts: HeitjeToken against a plain OpenZeppelin v5 ERC-20 (`BaselineToken`)
compiled with the same settings, on an automining anvil (one block per transaction, so every receipt is
exactly one call). Each figure is measured for a stated recipient state; the ratios use repeat recipients.

Steady state, as the municipality runs: the recipient already holds tokens, task ids come from a sequence
(the task's replay-bitmap word is in use), a wallet's authorization nonces are sequential (the nonce-bitmap
word is in use) and the citizen has earned before this year.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from backend.bench.env import ABI, ADMIN, ISSUER, REGISTRAR, SETTLER, Node, checksum, signer
from backend.relayer.authorizations import redemption_digest, transfer_digest
from heitje.chain.abi import ContractABI
from heitje.compiler import SOLC_VERSION, compiler_settings, load_artifact
from heitje.signing import LocalKeySigner, Signer

_VALID_BEFORE = 2**40


def _gas(rcpt: dict[str, Any]) -> int:
    return int(rcpt["gasUsed"], 16)


class _Token:
    def __init__(self, node: Node, address: str, abi: ContractABI) -> None:
        self.node, self.address, self.abi = node, address, abi

    def send(self, who: Signer, fn: str, *args: Any, gas: int = 500_000) -> int:
        return _gas(self.node.chain.transact(who, self.address, self.abi.functions[fn].encode(*args), gas=gas))


def _transfer_auth(node: Node, payer: LocalKeySigner, to: str, value: int, nonce: int) -> tuple[Any, ...]:
    ref = secrets.token_bytes(32)
    digest = transfer_digest(
        node.chain.chain_id, node.contract, from_=payer.address, to=to, value=value,
        valid_after=0, valid_before=_VALID_BEFORE, nonce=nonce, payment_ref=ref,
    )  # fmt: skip
    v, r, s = payer.sign_typed_hash(digest)
    return (payer.address, to, value, 0, _VALID_BEFORE, nonce, ref, v, r, s)


def _redemption_auth(node: Node, merchant: LocalKeySigner, value: int, nonce: int, payout: bytes) -> tuple[Any, ...]:
    digest = redemption_digest(
        node.chain.chain_id, node.contract, merchant=merchant.address, value=value,
        valid_after=0, valid_before=_VALID_BEFORE, nonce=nonce, payout_id=payout,
    )  # fmt: skip
    v, r, s = merchant.sign_typed_hash(digest)
    return (merchant.address, value, 0, _VALID_BEFORE, nonce, payout, v, r, s)


def measure(node: Node, batch: int = 100) -> dict[str, Any]:
    """Gas figures; `node` must be an automining anvil with a fresh HeitjeToken deployment."""
    started = time.perf_counter()
    admin, issuer, registrar, settler = signer(ADMIN), signer(ISSUER), signer(REGISTRAR), signer(SETTLER)

    # ── baseline: plain OZ ERC-20, owner mint ──
    artifact = load_artifact("BaselineToken")
    oz_abi = ContractABI(artifact["abi"])
    init = bytes.fromhex(artifact["bytecode"][2:]) + encode(["address"], [admin.address])
    oz_address = checksum(node.chain.transact(admin, None, init, gas=3_000_000)["contractAddress"])
    oz = _Token(node, oz_address, oz_abi)
    alice, bob = LocalKeySigner(Account.create()), LocalKeySigner(Account.create())
    oz_mint_first = oz.send(admin, "mint", alice.address, 100_000)  # recipient holds nothing
    oz_mint = oz.send(admin, "mint", alice.address, 1_000)  # repeat recipient
    oz_transfer_first = oz.send(alice, "transfer", bob.address, 250)  # bob holds nothing
    oz_transfer = oz.send(alice, "transfer", bob.address, 250)  # repeat recipient

    # ── HeitjeToken ──
    heitje = _Token(node, node.contract, ABI)
    c1, c2 = LocalKeySigner(Account.create()), LocalKeySigner(Account.create())
    m1, m2 = LocalKeySigner(Account.create()), LocalKeySigner(Account.create())
    heitje.send(registrar, "enrolCitizen", c1.address, keccak(text="bench-gas-c1"))
    heitje.send(registrar, "enrolCitizen", c2.address, keccak(text="bench-gas-c2"))
    heitje.send(registrar, "enrolMerchant", m1.address)
    heitje.send(registrar, "enrolMerchant", m2.address)
    task = 1_000 * 256  # start of a bitmap word
    mint_fresh_word = heitje.send(issuer, "mintForTask", c1.address, 10_000, task)  # first task in its word
    mint_first = heitje.send(issuer, "mintForTask", c2.address, 10_000, task + 1)  # c2: no balance, no earnings
    mint = heitje.send(issuer, "mintForTask", c2.address, 1_000, task + 2)  # repeat recipient, word in use

    # Batched: what the relayer sends. Per-element gas over `batch` repeat recipients.
    ids = list(range(task + 3, task + 3 + batch))
    people = [c1.address if i % 2 else c2.address for i in range(batch)]
    batch_gas = heitje.send(issuer, "mintForTasks", people, [10] * batch, ids, gas=80_000 + 80_000 * batch)

    # Payments (citizen → merchant), submitted by the relayer key (issuer).
    pay_fresh_word = heitje.send(issuer, "transferWithAuthorization", *_transfer_auth(node, c1, m1.address, 500, 0))
    payment = heitje.send(issuer, "transferWithAuthorization", *_transfer_auth(node, c1, m1.address, 500, 1))
    payment_first = heitje.send(issuer, "transferWithAuthorization", *_transfer_auth(node, c1, m2.address, 500, 2))
    # Refunds (merchant → citizen).
    refund_fresh_word = heitje.send(issuer, "transferWithAuthorization", *_transfer_auth(node, m1, c1.address, 100, 0))
    refund = heitje.send(issuer, "transferWithAuthorization", *_transfer_auth(node, m1, c1.address, 100, 1))
    # Payout request (merchant → escrow) and settlement (escrow → burn).
    payout = secrets.token_bytes(32)
    payout_request = heitje.send(
        issuer, "requestRedemptionWithAuthorization", *_redemption_auth(node, m1, 300, 2, payout)
    )
    settle = heitje.send(settler, "settleRedemption", payout, secrets.token_bytes(32))

    return {
        "mint_for_task": mint,
        "oz_mint": oz_mint,
        "payment": payment,
        "oz_transfer": oz_transfer,
        "refund": refund,
        "payout_request": payout_request,
        "settle": settle,
        "ratio_mint_for_task_vs_oz_mint": round(mint / oz_mint, 3),
        "ratio_payment_vs_oz_transfer": round(payment / oz_transfer, 3),
        "first_recipient": {
            "mint_for_task": mint_first,
            "oz_mint": oz_mint_first,
            "payment": payment_first,
            "oz_transfer": oz_transfer_first,
            "ratio_mint_for_task_vs_oz_mint": round(mint_first / oz_mint_first, 3),
            "ratio_payment_vs_oz_transfer": round(payment_first / oz_transfer_first, 3),
        },
        "fresh_bitmap_word": {
            "mint_for_task": mint_fresh_word,
            "payment": pay_fresh_word,
            "refund": refund_fresh_word,
        },
        "mint_for_tasks_per_item": round(batch_gas / batch),
        "mint_for_tasks_batch": batch,
        "chain": "separate automining anvil (one block per transaction), hardfork prague",
        "compiler": {"solc": SOLC_VERSION, "settings": compiler_settings()},
        "seconds": round(time.perf_counter() - started, 2),
    }
