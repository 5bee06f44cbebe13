# SPDX-License-Identifier: EUPL-1.2
"""The gas budget, as a correctness guard: HeitjeToken against a plain OpenZeppelin ERC-20 in the same run.

Measured from receipts in the steady state the municipality runs in: the recipient already holds tokens,
the citizen has earned before this year, task ids come from a sequence (so the task's replay-bitmap word is
already in use), and a wallet's authorization nonces are sequential (so the nonce-bitmap word is in use).
`heitje bench` reports the full table; docs/contract.md records the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_abi import encode
from eth_utils import to_checksum_address

from heitje.chain.abi import ContractABI
from heitje.compiler import load_artifact
from heitje.signing import LocalKeySigner, Signer, dev_account
from tests.contracts.conftest import World
from tests.contracts.ledger import new_account, random_bytes32

MINT_BUDGET = 1.5  # mintForTask ≤ 1.5 × OZ mint
PAYMENT_BUDGET = 1.8  # transferWithAuthorization ≤ 1.8 × OZ transfer


@dataclass(frozen=True)
class GasFigures:
    oz_mint: int
    oz_transfer: int
    mint_for_task: int
    payment_by_authorization: int
    redemption_by_authorization: int
    settle: int


def _measure(world: World) -> GasFigures:
    ledger = world.ledger
    chain = ledger.chain
    owner = LocalKeySigner(dev_account(0))
    artifact = load_artifact("BaselineToken")
    abi = ContractABI(artifact["abi"])
    init = bytes.fromhex(artifact["bytecode"][2:]) + encode(["address"], [owner.address])
    baseline = to_checksum_address(chain.transact(owner, None, init, gas=3_000_000)["contractAddress"])

    def oz(signer: Signer, fn: str, *args: object) -> int:
        return int(chain.transact(signer, baseline, abi.functions[fn].encode(*args))["gasUsed"], 16)

    alice, bob = new_account(), new_account()
    oz(owner, "mint", alice.address, 100_000)
    oz(owner, "mint", bob.address, 100_000)
    oz_mint = oz(owner, "mint", alice.address, 1_000)  # repeat recipient
    oz_transfer = oz(LocalKeySigner(alice), "transfer", bob.address, 250)

    citizen = world.citizen.address
    ledger.mint(citizen, 1_000, 1_000)
    mint = ledger.mint(citizen, 1_000, 1_001).gas_used  # repeat recipient, sequential task id

    ledger.pay(world.citizen, world.merchant.address, 250, nonce=0)
    payment = ledger.pay(world.citizen, world.merchant.address, 250, nonce=1).gas_used

    payout = random_bytes32()
    redemption = ledger.redeem(world.merchant, 500, payout, nonce=0).gas_used
    settle = ledger.settle(payout, random_bytes32()).gas_used
    return GasFigures(oz_mint, oz_transfer, mint, payment, redemption, settle)


@pytest.fixture
def figures(world: World, snapshot: None) -> GasFigures:
    measured = _measure(world)
    print(f"\ngas: {measured}")  # visible with `pytest -s`
    return measured


def test_mint_for_task_stays_within_budget_of_oz_mint(figures: GasFigures) -> None:
    assert figures.oz_mint > 0
    ratio = figures.mint_for_task / figures.oz_mint
    assert ratio <= MINT_BUDGET, f"mintForTask {figures.mint_for_task} = {ratio:.3f} × OZ mint {figures.oz_mint}"


def test_payment_by_authorization_stays_within_budget_of_oz_transfer(figures: GasFigures) -> None:
    assert figures.oz_transfer > 0
    ratio = figures.payment_by_authorization / figures.oz_transfer
    assert ratio <= PAYMENT_BUDGET, (
        f"payment {figures.payment_by_authorization} = {ratio:.3f} × OZ transfer {figures.oz_transfer}"
    )
