# SPDX-License-Identifier: EUPL-1.2
"""DESIGN §3 rules 2 and 3: mint only for an approved task, once per task, within the yearly cap."""

from __future__ import annotations

import pytest

from tests.contracts.conftest import World, new_task_id
from tests.contracts.ledger import (
    Ledger,
    citizen_id,
    expect_revert,
    new_account,
)

DEFAULT_CAP = 150_000  # 1,500.00


def test_default_yearly_cap_is_1500_euro(ledger: Ledger) -> None:
    assert ledger.yearly_cap() == DEFAULT_CAP
    assert ledger.call("DEFAULT_YEARLY_CAP") == DEFAULT_CAP


def test_token_metadata(ledger: Ledger) -> None:
    assert ledger.call("name") == "Heerlens Heitje"
    assert ledger.call("symbol") == "HEITJE"
    assert ledger.call("decimals") == 2


def test_mint_for_task_credits_citizen_and_emits_indexed_task(world: World, snapshot: None) -> None:
    ledger = world.ledger
    task = new_task_id()
    before = ledger.balance_of(world.citizen.address)
    supply = ledger.total_supply()
    rcpt = ledger.mint(world.citizen.address, 250, task)
    assert ledger.balance_of(world.citizen.address) == before + 250
    assert ledger.total_supply() == supply + 250
    assert ledger.is_task_rewarded(task)
    event = rcpt.event("TaskRewarded")
    assert event.args == {"taskId": task, "citizen": world.citizen.address, "amount": 250}
    assert int.from_bytes(event.topics[1], "big") == task
    assert rcpt.event("Transfer").args["from"] == "0x0000000000000000000000000000000000000000"


def test_mint_counts_towards_the_persons_cap(world: World, snapshot: None) -> None:
    ledger = world.ledger
    year = ledger.current_year()
    used, cap = ledger.cap_used(world.cid, year)
    ledger.mint(world.citizen.address, 700, new_task_id())
    assert ledger.cap_used(world.cid, year) == (used + 700, cap)


def test_mint_reverts_when_task_already_rewarded(world: World, snapshot: None) -> None:
    ledger = world.ledger
    task = new_task_id()
    ledger.mint(world.citizen.address, 100, task)
    with expect_revert("HeitjeTaskAlreadyRewarded") as err:
        ledger.mint(world.citizen2.address, 100, task)
    assert err.args == (task,)


def test_task_ids_sharing_a_bitmap_word_are_independent(world: World, snapshot: None) -> None:
    ledger = world.ledger
    base = new_task_id() << 8
    ledger.mint(world.citizen.address, 1, base + 7)
    assert ledger.is_task_rewarded(base + 7)
    assert not ledger.is_task_rewarded(base + 6)
    assert not ledger.is_task_rewarded(base + 8)
    ledger.mint(world.citizen.address, 1, base + 8)
    assert ledger.is_task_rewarded(base + 8)


def test_mint_reverts_for_zero_amount(world: World, snapshot: None) -> None:
    with expect_revert("HeitjeZeroAmount"):
        world.ledger.mint(world.citizen.address, 0, new_task_id())


@pytest.mark.parametrize("who", ["merchant", "outsider", "escrow"])
def test_mint_reverts_for_non_citizen(who: str, world: World, snapshot: None) -> None:
    ledger = world.ledger
    target = {
        "merchant": world.merchant.address,
        "outsider": world.outsider.address,
        "escrow": ledger.address,
    }[who]
    task = new_task_id()
    with expect_revert("HeitjeNotCitizen") as err:
        ledger.mint(target, 100, task)
    assert err.args == (target,)
    assert not ledger.is_task_rewarded(task)


def test_mint_reverts_for_zero_address(world: World, snapshot: None) -> None:
    with expect_revert("ERC20InvalidReceiver"):
        world.ledger.mint("0x0000000000000000000000000000000000000000", 100, new_task_id())


def test_mint_reverts_for_suspended_citizen(world: World, snapshot: None) -> None:
    ledger = world.ledger
    ledger.suspend(world.citizen.address)
    with expect_revert("HeitjeAccountSuspended") as err:
        ledger.mint(world.citizen.address, 100, new_task_id())
    assert err.args == (world.citizen.address,)


def test_mint_up_to_the_cap_succeeds_and_one_cent_more_reverts(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    cid = citizen_id("frank")
    ledger.enrol_citizen(account, cid)
    ledger.mint(account, DEFAULT_CAP - 1, new_task_id())
    ledger.mint(account, 1, new_task_id())
    year = ledger.current_year()
    assert ledger.cap_used(cid, year) == (DEFAULT_CAP, DEFAULT_CAP)
    with expect_revert("HeitjeYearlyCapExceeded") as err:
        ledger.mint(account, 1, new_task_id())
    assert err.args == (cid, year, DEFAULT_CAP, DEFAULT_CAP)


def test_single_mint_above_the_cap_reverts(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    ledger.enrol_citizen(account, citizen_id("gina"))
    with expect_revert("HeitjeYearlyCapExceeded"):
        ledger.mint(account, DEFAULT_CAP + 1, new_task_id())
    with expect_revert("HeitjeYearlyCapExceeded"):
        ledger.mint(account, 2**255, new_task_id())


def test_cap_counts_per_citizen_id_across_addresses(ledger: Ledger, snapshot: None) -> None:
    cid = citizen_id("hank")
    old_phone, new_phone = new_account().address, new_account().address
    ledger.enrol_citizen(old_phone, cid)
    ledger.enrol_citizen(new_phone, cid)
    ledger.mint(old_phone, DEFAULT_CAP - 100, new_task_id())
    with expect_revert("HeitjeYearlyCapExceeded") as err:
        ledger.mint(new_phone, 101, new_task_id())
    assert err.args[0] == cid
    assert err.args[2] == DEFAULT_CAP - 100
    ledger.mint(new_phone, 100, new_task_id())


def test_cap_of_one_person_does_not_limit_another(ledger: Ledger, snapshot: None) -> None:
    a, b = new_account().address, new_account().address
    ledger.enrol_citizen(a, citizen_id("ivy"))
    ledger.enrol_citizen(b, citizen_id("jack"))
    ledger.mint(a, DEFAULT_CAP, new_task_id())
    ledger.mint(b, DEFAULT_CAP, new_task_id())
    assert ledger.balances([a, b]) == [DEFAULT_CAP, DEFAULT_CAP]


def test_admin_can_change_the_cap(ledger: Ledger, snapshot: None) -> None:
    rcpt = ledger.set_yearly_cap(50_000)
    assert rcpt.event("YearlyCapChanged").args == {"previousCap": DEFAULT_CAP, "newCap": 50_000}
    assert ledger.yearly_cap() == 50_000
    account = new_account().address
    ledger.enrol_citizen(account, citizen_id("kim"))
    with expect_revert("HeitjeYearlyCapExceeded"):
        ledger.mint(account, 50_001, new_task_id())


def test_lowering_the_cap_below_what_was_minted_blocks_further_mints(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    ledger.enrol_citizen(account, citizen_id("lou"))
    ledger.mint(account, 10_000, new_task_id())
    ledger.set_yearly_cap(5_000)
    with expect_revert("HeitjeYearlyCapExceeded"):
        ledger.mint(account, 1, new_task_id())


@pytest.mark.parametrize("cap", [0, 2**128])
def test_set_yearly_cap_reverts_for_invalid_cap(cap: int, ledger: Ledger, snapshot: None) -> None:
    with expect_revert("HeitjeInvalidYearlyCap") as err:
        ledger.set_yearly_cap(cap)
    assert err.args == (cap,)


def test_cap_used_is_zero_for_unknown_citizen(ledger: Ledger) -> None:
    assert ledger.cap_used(citizen_id("nobody"), 2026) == (0, DEFAULT_CAP)


def test_batch_mint_rewards_every_task(world: World, snapshot: None) -> None:
    ledger = world.ledger
    tasks = [new_task_id() for _ in range(3)]
    before = ledger.balances([world.citizen.address, world.citizen2.address])
    rcpt = ledger.mint_batch(
        [world.citizen.address, world.citizen2.address, world.citizen.address], [10, 20, 30], tasks
    )
    assert [e.args["taskId"] for e in rcpt.named("TaskRewarded")] == tasks
    assert ledger.balances([world.citizen.address, world.citizen2.address]) == [before[0] + 40, before[1] + 20]


def test_batch_mint_is_all_or_nothing(world: World, snapshot: None) -> None:
    ledger = world.ledger
    task = new_task_id()
    with expect_revert("HeitjeTaskAlreadyRewarded"):
        ledger.mint_batch([world.citizen.address, world.citizen2.address], [10, 20], [task, task])
    assert not ledger.is_task_rewarded(task)


def test_batch_mint_reverts_on_length_mismatch(world: World, snapshot: None) -> None:
    with expect_revert("HeitjeLengthMismatch"):
        world.ledger.mint_batch([world.citizen.address], [10, 20], [new_task_id()])
    with expect_revert("HeitjeLengthMismatch"):
        world.ledger.mint_batch([world.citizen.address], [10], [])
