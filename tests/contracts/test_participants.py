# SPDX-License-Identifier: EUPL-1.2
"""DESIGN §3 rule 1: participants are citizens (pseudonymous citizenId), merchants, or nothing."""

from __future__ import annotations

from tests.contracts.ledger import (
    ZERO_ADDRESS,
    ZERO_BYTES32,
    Kind,
    Ledger,
    citizen_id,
    expect_revert,
    new_account,
)


def test_enrol_citizen_records_kind_and_citizen_id(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    cid = citizen_id("alice")
    rcpt = ledger.enrol_citizen(account, cid)
    assert ledger.account_of(account) == (Kind.CITIZEN, False, cid)
    event = rcpt.event("CitizenEnrolled")
    assert event.args == {"account": account, "citizenId": cid}
    assert event.topics[1][-20:] == bytes.fromhex(account[2:])
    assert event.topics[2] == cid


def test_enrol_merchant_records_kind(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    rcpt = ledger.enrol_merchant(account)
    assert ledger.account_of(account) == (Kind.MERCHANT, False, ZERO_BYTES32)
    assert rcpt.event("MerchantEnrolled").topics[1][-20:] == bytes.fromhex(account[2:])


def test_unregistered_address_is_nothing(ledger: Ledger) -> None:
    assert ledger.account_of(new_account().address) == (Kind.NONE, False, ZERO_BYTES32)


def test_enrol_reverts_for_an_enrolled_address(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    ledger.enrol_merchant(account)
    with expect_revert("HeitjeAlreadyEnrolled") as err:
        ledger.enrol_citizen(account, citizen_id("bob"))
    assert err.args == (account,)
    with expect_revert("HeitjeAlreadyEnrolled"):
        ledger.enrol_merchant(account)


def test_enrol_reverts_for_zero_address_and_escrow(ledger: Ledger, snapshot: None) -> None:
    for bad in (ZERO_ADDRESS, ledger.address):
        with expect_revert("HeitjeInvalidAddress") as err:
            ledger.enrol_citizen(bad, citizen_id("carol"))
        assert err.args == (bad,)
        with expect_revert("HeitjeInvalidAddress"):
            ledger.enrol_merchant(bad)


def test_enrol_citizen_reverts_for_zero_citizen_id(ledger: Ledger, snapshot: None) -> None:
    with expect_revert("HeitjeZeroCitizenId"):
        ledger.enrol_citizen(new_account().address, ZERO_BYTES32)


def test_several_addresses_may_share_a_citizen_id(ledger: Ledger, snapshot: None) -> None:
    cid = citizen_id("dave")
    first, second = new_account().address, new_account().address
    ledger.enrol_citizen(first, cid)
    ledger.enrol_citizen(second, cid)
    assert ledger.account_of(first)[2] == ledger.account_of(second)[2] == cid


def test_suspend_and_reinstate_toggle_the_flag(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    ledger.enrol_citizen(account, citizen_id("erin"))
    rcpt = ledger.suspend(account)
    assert rcpt.event("ParticipantSuspended").args == {"account": account}
    assert ledger.account_of(account)[1] is True
    rcpt = ledger.reinstate(account)
    assert rcpt.event("ParticipantReinstated").args == {"account": account}
    assert ledger.account_of(account)[1] is False


def test_suspend_reverts_when_already_suspended(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    ledger.enrol_merchant(account)
    ledger.suspend(account)
    with expect_revert("HeitjeAccountSuspended") as err:
        ledger.suspend(account)
    assert err.args == (account,)


def test_reinstate_reverts_when_not_suspended(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    ledger.enrol_merchant(account)
    with expect_revert("HeitjeAccountNotSuspended") as err:
        ledger.reinstate(account)
    assert err.args == (account,)


def test_suspend_and_reinstate_revert_for_unregistered_address(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    with expect_revert("HeitjeNotEnrolled") as err:
        ledger.suspend(account)
    assert err.args == (account,)
    with expect_revert("HeitjeNotEnrolled"):
        ledger.reinstate(account)
