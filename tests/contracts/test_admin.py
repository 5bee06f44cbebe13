# SPDX-License-Identifier: EUPL-1.2
"""Roles, the two-step admin handover, no ETH, no external calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from heitje.chain.client import Chain
from heitje.deploy import Deployment
from heitje.errors import ContractRevert
from heitje.signing import LocalKeySigner, dev_account
from tests.contracts.conftest import World, new_task_id
from tests.contracts.ledger import (
    DEFAULT_ADMIN_ROLE,
    ROLES,
    ZERO_BYTES32,
    Ledger,
    Operators,
    citizen_id,
    deploy_token,
    expect_revert,
    new_account,
    random_bytes32,
)

ADMIN_DELAY = 3 * 24 * 3600

#: Every restricted function, the role it needs, and arguments that would otherwise succeed or fail later.
RESTRICTED: dict[str, tuple[str, Callable[[World], tuple[Any, ...]]]] = {
    "enrolCitizen": ("REGISTRAR_ROLE", lambda w: (new_account().address, citizen_id("x"))),
    "enrolMerchant": ("REGISTRAR_ROLE", lambda w: (new_account().address,)),
    "suspend": ("REGISTRAR_ROLE", lambda w: (w.citizen.address,)),
    "reinstate": ("REGISTRAR_ROLE", lambda w: (w.citizen.address,)),
    "mintForTask": ("ISSUER_ROLE", lambda w: (w.citizen.address, 1, new_task_id())),
    "mintForTasks": ("ISSUER_ROLE", lambda w: ([w.citizen.address], [1], [new_task_id()])),
    "settleRedemption": ("SETTLER_ROLE", lambda w: (w.pending_payout, random_bytes32())),
    "rejectRedemption": ("SETTLER_ROLE", lambda w: (w.pending_payout, ZERO_BYTES32)),
    "pause": ("PAUSER_ROLE", lambda w: ()),
    "unpause": ("PAUSER_ROLE", lambda w: ()),
    "recoverAccount": ("RECOVERY_ROLE", lambda w: (w.citizen.address, new_account().address)),
    "setYearlyCap": ("DEFAULT_ADMIN_ROLE", lambda w: (1000,)),
}

ROLE_HOLDER_INDEX = {
    "DEFAULT_ADMIN_ROLE": 0,
    "ISSUER_ROLE": 1,
    "REGISTRAR_ROLE": 2,
    "SETTLER_ROLE": 3,
    "PAUSER_ROLE": 4,
    "RECOVERY_ROLE": 5,
}


def role_id(name: str) -> bytes:
    return DEFAULT_ADMIN_ROLE if name == "DEFAULT_ADMIN_ROLE" else ROLES[name]


def test_dev_deployment_grants_each_role_to_its_key(ledger: Ledger, deployment: Deployment) -> None:
    for name, index in ROLE_HOLDER_INDEX.items():
        assert ledger.has_role(role_id(name), dev_account(index).address), name
        assert ledger.call("hasRole", role_id(name), dev_account(6).address) is False
    for name, holders in deployment.roles.items():
        assert ledger.call(name) == ROLES[name]
        assert ledger.has_role(ROLES[name], holders[0])


def test_deployer_holds_the_admin_role(ledger: Ledger, deployment: Deployment) -> None:
    assert ledger.call("defaultAdmin") == deployment.admin == dev_account(0).address
    assert ledger.call("owner") == deployment.admin
    assert ledger.call("defaultAdminDelay") == 0


@pytest.mark.parametrize("fn", RESTRICTED)
def test_restricted_function_reverts_for_everyone_but_its_role(fn: str, world: World, snapshot: None) -> None:
    ledger = world.ledger
    role, make_args = RESTRICTED[fn]
    outsiders = [world.outsider, world.citizen, world.merchant] + [
        dev_account(i) for i in range(7) if i != ROLE_HOLDER_INDEX[role]
    ]
    for key in outsiders:
        with expect_revert("AccessControlUnauthorizedAccount") as err:
            ledger.send(key, fn, *make_args(world))
        assert err.args == (key.address, role_id(role))


def test_admin_grants_and_revokes_operational_roles(ledger: Ledger, snapshot: None) -> None:
    issuer2 = new_account()
    rcpt = ledger.send(ledger.ops.admin, "grantRole", ROLES["ISSUER_ROLE"], issuer2.address)
    assert rcpt.event("RoleGranted").args["account"] == issuer2.address
    citizen = new_account().address
    ledger.enrol_citizen(citizen, citizen_id("granted"))
    ledger.send(issuer2, "mintForTask", citizen, 5, new_task_id())
    ledger.send(ledger.ops.admin, "revokeRole", ROLES["ISSUER_ROLE"], issuer2.address)
    with expect_revert("AccessControlUnauthorizedAccount"):
        ledger.send(issuer2, "mintForTask", citizen, 5, new_task_id())


def test_admin_role_cannot_be_granted_or_revoked_directly(ledger: Ledger, snapshot: None) -> None:
    with expect_revert("AccessControlEnforcedDefaultAdminRules"):
        ledger.send(ledger.ops.admin, "grantRole", DEFAULT_ADMIN_ROLE, new_account().address)
    with expect_revert("AccessControlEnforcedDefaultAdminRules"):
        ledger.send(ledger.ops.admin, "revokeRole", DEFAULT_ADMIN_ROLE, ledger.ops.admin.address)


def test_two_step_admin_handover_waits_for_the_delay(chain: Chain, snapshot: None) -> None:
    old_admin = LocalKeySigner(dev_account(0))
    address, _ = deploy_token(chain, old_admin, ADMIN_DELAY)
    token = Ledger(chain, address, Operators.dev())
    new_admin = new_account()
    assert token.call("defaultAdminDelay") == ADMIN_DELAY

    rcpt = token.send(old_admin, "beginDefaultAdminTransfer", new_admin.address)
    started = int(chain.get_block(rcpt.block_number)["timestamp"], 16)
    schedule = started + ADMIN_DELAY
    assert token.call("pendingDefaultAdmin") == (new_admin.address, schedule)
    assert rcpt.event("DefaultAdminTransferScheduled").args == {
        "newAdmin": new_admin.address,
        "acceptSchedule": schedule,
    }

    with expect_revert("AccessControlEnforcedDefaultAdminDelay") as err:
        token.send(new_admin, "acceptDefaultAdminTransfer")
    assert err.args == (schedule,)
    with expect_revert("AccessControlInvalidDefaultAdmin"):
        token.send(new_account(), "acceptDefaultAdminTransfer")

    token.set_next_timestamp(schedule + 1)
    token.send(new_admin, "acceptDefaultAdminTransfer", gas=200_000)
    assert token.call("defaultAdmin") == new_admin.address
    assert token.has_role(DEFAULT_ADMIN_ROLE, new_admin.address)
    assert not token.has_role(DEFAULT_ADMIN_ROLE, old_admin.address)
    with expect_revert("AccessControlUnauthorizedAccount"):
        token.send(old_admin, "setYearlyCap", 1)
    token.send(new_admin, "setYearlyCap", 1)


def test_admin_handover_can_be_cancelled(ledger: Ledger, snapshot: None) -> None:
    candidate = new_account()
    ledger.send(ledger.ops.admin, "beginDefaultAdminTransfer", candidate.address)
    ledger.send(ledger.ops.admin, "cancelDefaultAdminTransfer")
    assert ledger.call("pendingDefaultAdmin") == ("0x0000000000000000000000000000000000000000", 0)
    with expect_revert("AccessControlInvalidDefaultAdmin"):
        ledger.send(candidate, "acceptDefaultAdminTransfer")


def test_only_the_admin_can_start_a_handover(ledger: Ledger, snapshot: None) -> None:
    with expect_revert("AccessControlUnauthorizedAccount"):
        ledger.send(ledger.ops.issuer, "beginDefaultAdminTransfer", ledger.ops.issuer.address)


@pytest.mark.parametrize("data", [b"", bytes.fromhex("a9059cbb") + bytes(64)], ids=["plain", "with-call"])
def test_contract_accepts_no_eth(data: bytes, world: World, snapshot: None) -> None:
    ledger = world.ledger
    rich = dev_account(9).address
    with pytest.raises(ContractRevert):
        ledger.send_raw_as(rich, ledger.address, data, value=10**18, gas=100_000)
    assert ledger.chain.rpc.call("eth_getBalance", ledger.address, "latest") == "0x0"


# Opcodes a contract needs to hand control to other code or move ETH out.
_FORBIDDEN = {
    0xF0: "CREATE",
    0xF1: "CALL",
    0xF2: "CALLCODE",
    0xF4: "DELEGATECALL",
    0xF5: "CREATE2",
    0xFF: "SELFDESTRUCT",
}


def opcodes(code: bytes) -> list[int]:
    meta_len = int.from_bytes(code[-2:], "big") + 2  # CBOR metadata trailer
    code = code[:-meta_len]
    ops, i = [], 0
    while i < len(code):
        op = code[i]
        ops.append(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return ops


def test_contract_makes_no_external_calls(ledger: Ledger) -> None:
    code = bytes.fromhex(ledger.chain.rpc.call("eth_getCode", ledger.address, "latest")[2:])
    ops = opcodes(code)
    assert [_FORBIDDEN[op] for op in ops if op in _FORBIDDEN] == []
    assert 0xFA in ops  # STATICCALL: only the ecrecover precompile, for signatures
