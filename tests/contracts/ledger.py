# SPDX-License-Identifier: EUPL-1.2
"""A typed Python façade over a deployed HeitjeToken, for the contract tests and the benchmark.

It speaks raw JSON-RPC through `heitje.chain.client.Chain` (locally signed transactions with explicit zero
fees, reverts decoded into `ContractRevert` by custom-error name) and signs authorizations as EIP-712 typed
data with eth_account, the way a custodial wallet would.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from heitje.chain.abi import ContractABI, heitje_abi
from heitje.chain.client import Chain
from heitje.compiler import load_artifact
from heitje.errors import ContractRevert
from heitje.signing import LocalKeySigner, Signer, dev_account

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO_BYTES32 = bytes(32)
#: Far enough in the future for any test; authorizations that should not expire use it.
FOREVER = 2**64

DOMAIN_NAME = "Heerlens Heitje"
DOMAIN_VERSION = "1"

#: EIP-712 types exactly as the contract hashes them (see docs/contract.md).
EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
TRANSFER_TYPES = {
    "TransferWithAuthorization": [
        {"name": "from", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "validAfter", "type": "uint256"},
        {"name": "validBefore", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "paymentRef", "type": "bytes32"},
    ]
}
REDEMPTION_TYPES = {
    "RedemptionWithAuthorization": [
        {"name": "merchant", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "validAfter", "type": "uint256"},
        {"name": "validBefore", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "payoutId", "type": "bytes32"},
    ]
}

#: Role constants as the contract defines them.
ROLES = {
    name: keccak(text=name)
    for name in ("REGISTRAR_ROLE", "ISSUER_ROLE", "SETTLER_ROLE", "PAUSER_ROLE", "RECOVERY_ROLE")
}
DEFAULT_ADMIN_ROLE = ZERO_BYTES32


class Kind(IntEnum):
    NONE = 0
    CITIZEN = 1
    MERCHANT = 2


class RedemptionStatus(IntEnum):
    NONE = 0
    PENDING = 1
    SETTLED = 2
    REJECTED = 3


def new_account() -> LocalAccount:
    """A fresh key. Gas is free on this chain, so it can send transactions without any ETH."""
    return Account.create()


def random_bytes32() -> bytes:
    return secrets.token_bytes(32)


def citizen_id(label: str) -> bytes:
    """A pseudonymous citizenId (as the backend derives it: a hash, never PII)."""
    return keccak(text=f"citizen:{label}")


def as_signer(key: Signer | LocalAccount) -> Signer:
    return LocalKeySigner(key) if isinstance(key, LocalAccount) else key


@dataclass(frozen=True)
class Event:
    name: str
    args: dict[str, Any]
    topics: tuple[bytes, ...]
    address: str


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    gas_used: int
    events: tuple[Event, ...]
    raw: dict[str, Any] = field(repr=False)

    def named(self, name: str) -> list[Event]:
        return [e for e in self.events if e.name == name]

    def event(self, name: str) -> Event:
        """The one event called `name` (fails the test when there is not exactly one)."""
        found = self.named(name)
        assert len(found) == 1, f"expected one {name}, got {[e.name for e in self.events]}"
        return found[0]


@dataclass(frozen=True)
class TransferAuthorization:
    """A signed `TransferWithAuthorization` (payment or refund)."""

    from_: str
    to: str
    value: int
    valid_after: int
    valid_before: int
    nonce: int
    payment_ref: bytes
    v: int
    r: bytes
    s: bytes

    def call_args(self) -> tuple[Any, ...]:
        return (
            self.from_,
            self.to,
            self.value,
            self.valid_after,
            self.valid_before,
            self.nonce,
            self.payment_ref,
            self.v,
            self.r,
            self.s,
        )


@dataclass(frozen=True)
class RedemptionAuthorization:
    """A signed `RedemptionWithAuthorization` (a merchant's payout request)."""

    merchant: str
    value: int
    valid_after: int
    valid_before: int
    nonce: int
    payout_id: bytes
    v: int
    r: bytes
    s: bytes

    def call_args(self) -> tuple[Any, ...]:
        return (
            self.merchant,
            self.value,
            self.valid_after,
            self.valid_before,
            self.nonce,
            self.payout_id,
            self.v,
            self.r,
            self.s,
        )


@dataclass(frozen=True)
class Operators:
    """The municipal keys that drive the contract. `relayer` submits signed authorizations."""

    admin: Signer
    issuer: Signer
    registrar: Signer
    settler: Signer
    pauser: Signer
    recovery: Signer
    relayer: Signer

    @classmethod
    def dev(cls) -> Operators:
        """The anvil dev keys as `heitje deploy` assigns them on a dev chain; key 6 relays."""
        admin, issuer, registrar, settler, pauser, recovery, relayer = (
            LocalKeySigner(dev_account(i)) for i in range(7)
        )
        return cls(admin, issuer, registrar, settler, pauser, recovery, relayer)


class Ledger:
    """One deployed HeitjeToken. Every write waits for its receipt and raises `ContractRevert` on a revert.

    `gas=None` estimates first (a revert surfaces from the estimate); pass `gas` to skip estimation, e.g. when
    the next block's timestamp has been fixed and the transaction must be mined whatever its outcome.
    """

    def __init__(self, chain: Chain, address: str, ops: Operators, abi: ContractABI | None = None) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.ops = ops
        self.abi = abi or heitje_abi()
        self._fns = self.abi.functions

    # ─────────────────────────── plumbing ───────────────────────────

    def call(self, fn: str, *args: Any, sender: str | None = None, block: str = "latest") -> Any:
        """Call a view; a single output is returned bare, several as a tuple."""
        f = self._fns[fn]
        raw = f.decode_output(self.chain.call(self.address, f.encode(*args), block=block, sender=sender))
        out = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(f.output_types, raw, strict=True))
        return out[0] if len(out) == 1 else out

    def call_many(self, calls: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Several view calls in one JSON-RPC batch; results as `call` returns them."""
        requests: list[tuple[str, list[Any]]] = [
            ("eth_call", [{"to": self.address, "data": "0x" + self.calldata(fn, *args).hex()}, "latest"])
            for fn, args in calls
        ]
        out = []
        for (fn, _), result in zip(calls, self.chain.rpc.batch(requests), strict=True):
            if isinstance(result, Exception):
                raise result
            f = self._fns[fn]
            raw = f.decode_output(bytes.fromhex(result[2:]))
            values = tuple(
                to_checksum_address(v) if t == "address" else v for t, v in zip(f.output_types, raw, strict=True)
            )
            out.append(values[0] if len(values) == 1 else values)
        return out

    def calldata(self, fn: str, *args: Any) -> bytes:
        return self._fns[fn].encode(*args)

    def send(self, key: Signer | LocalAccount, fn: str, *args: Any, gas: int | None = None) -> Receipt:
        rcpt = self.chain.transact(as_signer(key), self.address, self.calldata(fn, *args), gas=gas)
        return self.receipt(rcpt)

    def send_as(self, address: str, fn: str, *args: Any, value: int = 0, gas: int = 500_000) -> Receipt:
        """Send from any address by anvil impersonation (the escrow contract itself, the zero address)."""
        return self.send_raw_as(address, self.address, self.calldata(fn, *args), value=value, gas=gas)

    def send_raw_as(self, sender: str, to: str, data: bytes, value: int = 0, gas: int = 500_000) -> Receipt:
        rpc = self.chain.rpc
        rpc.call("anvil_impersonateAccount", sender)
        try:
            tx_hash = rpc.call(
                "eth_sendTransaction",
                {
                    "from": sender,
                    "to": to,
                    "data": "0x" + data.hex(),
                    "value": hex(value),
                    "gas": hex(gas),
                    "maxFeePerGas": "0x0",
                    "maxPriorityFeePerGas": "0x0",
                },
            )
        finally:
            rpc.call("anvil_stopImpersonatingAccount", sender)
        rcpt = self.chain.wait(tx_hash)
        if int(rcpt["status"], 16) != 1:
            raise self.chain.revert_reason(tx_hash)
        return self.receipt(rcpt)

    def receipt(self, rcpt: dict[str, Any]) -> Receipt:
        events = []
        for log in rcpt["logs"]:
            topics = tuple(bytes.fromhex(t[2:]) for t in log["topics"])
            spec = self.abi.events.get(topics[0]) if topics else None
            if spec is None:
                continue
            data = bytes.fromhex(log["data"][2:])
            events.append(Event(spec.name, spec.decode(list(topics), data), topics, log["address"]))
        return Receipt(
            tx_hash=rcpt["transactionHash"],
            block_number=int(rcpt["blockNumber"], 16),
            gas_used=int(rcpt["gasUsed"], 16),
            events=tuple(events),
            raw=rcpt,
        )

    # ─────────────────────────── time ───────────────────────────

    def latest_timestamp(self) -> int:
        return int(self.chain.get_block("latest")["timestamp"], 16)

    def set_next_timestamp(self, ts: int) -> None:
        self.chain.rpc.call("evm_setNextBlockTimestamp", ts)

    def mine(self, ts: int | None = None) -> None:
        if ts is not None:
            self.set_next_timestamp(ts)
        self.chain.rpc.call("evm_mine")

    # ─────────────────────────── participants ───────────────────────────

    def enrol_citizen(self, account: str, cid: bytes) -> Receipt:
        return self.send(self.ops.registrar, "enrolCitizen", account, cid)

    def enrol_merchant(self, account: str) -> Receipt:
        return self.send(self.ops.registrar, "enrolMerchant", account)

    def suspend(self, account: str) -> Receipt:
        return self.send(self.ops.registrar, "suspend", account)

    def reinstate(self, account: str) -> Receipt:
        return self.send(self.ops.registrar, "reinstate", account)

    # ─────────────────────────── issuing ───────────────────────────

    def mint(self, citizen: str, amount: int, task_id: int, gas: int | None = None) -> Receipt:
        return self.send(self.ops.issuer, "mintForTask", citizen, amount, task_id, gas=gas)

    def mint_batch(self, citizens: list[str], amounts: list[int], task_ids: list[int]) -> Receipt:
        return self.send(self.ops.issuer, "mintForTasks", citizens, amounts, task_ids)

    def set_yearly_cap(self, cap: int) -> Receipt:
        return self.send(self.ops.admin, "setYearlyCap", cap)

    # ─────────────────────────── EIP-712 ───────────────────────────

    def domain(self) -> dict[str, Any]:
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain.chain_id,
            "verifyingContract": self.address,
        }

    def _default_valid_before(self) -> int:
        return self.latest_timestamp() + 3600

    def sign_transfer(
        self,
        key: LocalAccount,
        to: str,
        value: int,
        *,
        nonce: int | None = None,
        payment_ref: bytes | None = None,
        valid_after: int = 0,
        valid_before: int | None = None,
        from_: str | None = None,
    ) -> TransferAuthorization:
        """`key` signs a payment or refund; `from_` defaults to the key's address (override to forge)."""
        auth = TransferAuthorization(
            from_=to_checksum_address(from_ or key.address),
            to=to_checksum_address(to),
            value=value,
            valid_after=valid_after,
            valid_before=self._default_valid_before() if valid_before is None else valid_before,
            nonce=secrets.randbits(256) if nonce is None else nonce,
            payment_ref=random_bytes32() if payment_ref is None else payment_ref,
            v=0,
            r=b"",
            s=b"",
        )
        message = {
            "from": auth.from_,
            "to": auth.to,
            "value": auth.value,
            "validAfter": auth.valid_after,
            "validBefore": auth.valid_before,
            "nonce": auth.nonce,
            "paymentRef": auth.payment_ref,
        }
        sig = key.sign_typed_data(self.domain(), TRANSFER_TYPES, message)
        return replace(auth, v=sig.v, r=sig.r.to_bytes(32, "big"), s=sig.s.to_bytes(32, "big"))

    def sign_redemption(
        self,
        key: LocalAccount,
        value: int,
        payout_id: bytes,
        *,
        nonce: int | None = None,
        valid_after: int = 0,
        valid_before: int | None = None,
        merchant: str | None = None,
    ) -> RedemptionAuthorization:
        auth = RedemptionAuthorization(
            merchant=to_checksum_address(merchant or key.address),
            value=value,
            valid_after=valid_after,
            valid_before=self._default_valid_before() if valid_before is None else valid_before,
            nonce=secrets.randbits(256) if nonce is None else nonce,
            payout_id=payout_id,
            v=0,
            r=b"",
            s=b"",
        )
        message = {
            "merchant": auth.merchant,
            "value": auth.value,
            "validAfter": auth.valid_after,
            "validBefore": auth.valid_before,
            "nonce": auth.nonce,
            "payoutId": auth.payout_id,
        }
        sig = key.sign_typed_data(self.domain(), REDEMPTION_TYPES, message)
        return replace(auth, v=sig.v, r=sig.r.to_bytes(32, "big"), s=sig.s.to_bytes(32, "big"))

    def submit_transfer(self, auth: TransferAuthorization, gas: int | None = None) -> Receipt:
        """The relayer submits a signed payment or refund."""
        return self.send(self.ops.relayer, "transferWithAuthorization", *auth.call_args(), gas=gas)

    def submit_redemption(self, auth: RedemptionAuthorization, gas: int | None = None) -> Receipt:
        return self.send(self.ops.relayer, "requestRedemptionWithAuthorization", *auth.call_args(), gas=gas)

    def pay(self, citizen: LocalAccount, merchant: str, value: int, **kw: Any) -> Receipt:
        """A citizen pays a merchant by signed authorization, submitted by the relayer."""
        return self.submit_transfer(self.sign_transfer(citizen, merchant, value, **kw))

    def refund(self, merchant: LocalAccount, citizen: str, value: int, **kw: Any) -> Receipt:
        return self.submit_transfer(self.sign_transfer(merchant, citizen, value, **kw))

    # ─────────────────────────── ERC-20 paths ───────────────────────────

    def transfer(self, key: LocalAccount, to: str, value: int) -> Receipt:
        return self.send(key, "transfer", to, value)

    def approve(self, key: LocalAccount, spender: str, value: int) -> Receipt:
        return self.send(key, "approve", spender, value)

    def transfer_from(self, spender: LocalAccount, owner: str, to: str, value: int) -> Receipt:
        return self.send(spender, "transferFrom", owner, to, value)

    # ─────────────────────────── settlement ───────────────────────────

    def request_redemption(self, merchant: LocalAccount, value: int, payout_id: bytes) -> Receipt:
        """The merchant's own transaction (the custodial path is `redeem`)."""
        return self.send(merchant, "requestRedemption", value, payout_id)

    def redeem(self, merchant: LocalAccount, value: int, payout_id: bytes, **kw: Any) -> Receipt:
        """A payout request by signed authorization, submitted by the relayer."""
        return self.submit_redemption(self.sign_redemption(merchant, value, payout_id, **kw))

    def settle(self, payout_id: bytes, bank_reference: bytes, gas: int | None = None) -> Receipt:
        return self.send(self.ops.settler, "settleRedemption", payout_id, bank_reference, gas=gas)

    def reject(self, payout_id: bytes, reason: bytes = ZERO_BYTES32, gas: int | None = None) -> Receipt:
        return self.send(self.ops.settler, "rejectRedemption", payout_id, reason, gas=gas)

    # ─────────────────────────── recovery, pause ───────────────────────────

    def recover(self, lost: str, replacement: str, gas: int | None = None) -> Receipt:
        return self.send(self.ops.recovery, "recoverAccount", lost, replacement, gas=gas)

    def pause(self) -> Receipt:
        return self.send(self.ops.pauser, "pause")

    def unpause(self) -> Receipt:
        return self.send(self.ops.pauser, "unpause")

    # ─────────────────────────── views ───────────────────────────

    def balance_of(self, account: str) -> int:
        return int(self.call("balanceOf", account))

    def balances(self, accounts: list[str]) -> list[int]:
        """Several balances in one JSON-RPC batch."""
        return [int(b) for b in self.call_many([("balanceOf", (a,)) for a in accounts])]

    def total_supply(self) -> int:
        return int(self.call("totalSupply"))

    def escrow_balance(self) -> int:
        return self.balance_of(self.address)

    def account_of(self, account: str) -> tuple[Kind, bool, bytes]:
        kind, suspended, cid = self.call("accountOf", account)
        return Kind(kind), bool(suspended), bytes(cid)

    def cap_used(self, cid: bytes, year: int) -> tuple[int, int]:
        minted, cap = self.call("capUsed", cid, year)
        return int(minted), int(cap)

    def yearly_cap(self) -> int:
        return int(self.call("yearlyCap"))

    def is_task_rewarded(self, task_id: int) -> bool:
        return bool(self.call("isTaskRewarded", task_id))

    def authorization_state(self, authorizer: str, nonce: int) -> bool:
        return bool(self.call("authorizationState", authorizer, nonce))

    def redemption_of(self, payout_id: bytes) -> tuple[str, int, RedemptionStatus]:
        merchant, amount, status = self.call("redemptionOf", payout_id)
        return to_checksum_address(merchant), int(amount), RedemptionStatus(status)

    def year_of(self, timestamp: int) -> int:
        return int(self.call("yearOf", timestamp))

    def current_year(self) -> int:
        return int(self.call("currentYear"))

    def paused(self) -> bool:
        return bool(self.call("paused"))

    def has_role(self, role: bytes, account: str) -> bool:
        return bool(self.call("hasRole", role, account))


@dataclass
class RevertInfo:
    """Filled in by `expect_revert` once the block has reverted."""

    error: ContractRevert | None = None

    @property
    def args(self) -> tuple[object, ...]:
        """The error's arguments, addresses checksummed so they compare equal to account addresses."""
        assert self.error is not None
        return tuple(_normalise(a) for a in self.error.error_args)


def _normalise(value: object) -> object:
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    return value


@contextmanager
def expect_revert(name: str) -> Iterator[RevertInfo]:
    """`with expect_revert("HeitjePaused") as err:` — the block must revert with that error, by name."""
    info = RevertInfo()
    with pytest.raises(ContractRevert) as caught:
        yield info
    info.error = caught.value
    assert caught.value.name == name, f"expected {name}, got {caught.value}"


def deploy_token(chain: Chain, deployer: Signer, admin_delay: int) -> tuple[str, dict[str, Any]]:
    """Deploy a bare HeitjeToken (no roles granted) with `deployer` as admin: its address and raw receipt."""
    artifact = load_artifact("HeitjeToken")
    init_code = bytes.fromhex(artifact["bytecode"][2:]) + encode(["address", "uint48"], [deployer.address, admin_delay])
    rcpt = chain.transact(deployer, None, init_code, gas=6_000_000)
    return to_checksum_address(rcpt["contractAddress"]), rcpt
