# SPDX-License-Identifier: EUPL-1.2
"""Random operation sequences against the chain and a Python model of the ledger (DESIGN §3 invariants).

Each step predicts its outcome from the model — success, or the exact custom error the contract must raise
(which also pins the order in which the contract checks its rules) — runs it on the chain, and then checks:
Σ balances (incl. escrow) == totalSupply; totalSupply == Σ minted − Σ burned; minted per citizenId per
Amsterdam year ≤ cap; no task rewarded twice; and model == chain for every balance, cap counter, task,
redemption and the pause flag. Every transaction is mined at a timestamp the model chose, so the
Amsterdam new year (23:00 UTC on 31 Dec) is crossed on purpose.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from heitje.errors import ContractRevert
from tests.contracts.ledger import (
    FOREVER,
    ZERO_BYTES32,
    Kind,
    Ledger,
    Receipt,
    RedemptionStatus,
    citizen_id,
    new_account,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CAP = 10_000  # small, so the cap is reached often
START_FUNDS = 4_000
TASKS = 40  # small task-id space, so replays happen
PAYOUTS = 12
NONCES = 24
GAS = 600_000  # fixed: every transaction is mined (at the model's timestamp) whatever its outcome


def amsterdam_year(ts: int) -> int:
    return datetime.fromtimestamp(ts, AMSTERDAM).year


def payout_id(i: int) -> bytes:
    return (i + 1).to_bytes(32, "big")


@dataclass(frozen=True)
class Participant:
    kind: Kind
    suspended: bool
    cid: bytes | None


@dataclass
class Redemption:
    merchant: str
    amount: int
    status: RedemptionStatus


class LedgerMachine(RuleBasedStateMachine):
    ledger: ClassVar[Ledger]

    def __init__(self) -> None:
        super().__init__()
        self._snapshot = self.ledger.chain.rpc.call("evm_snapshot")
        self.clock = self.ledger.latest_timestamp()
        self.keys: dict[str, LocalAccount] = {}
        self.order: list[str] = []  # every address the model knows, in creation order
        self.accounts: dict[str, Participant] = {}
        self.balances: Counter[str] = Counter()
        self.minted_in: Counter[tuple[bytes, int]] = Counter()
        self.minted = 0
        self.burned = 0
        self.rewarded: Counter[int] = Counter()  # TaskRewarded events seen per task
        self.redemptions: dict[bytes, Redemption] = {}
        self.successor: dict[str, str] = {}
        self.used_nonces: set[tuple[str, int]] = set()
        self.paused = False
        self.steps = 0

    def teardown(self) -> None:
        assert self.ledger.chain.rpc.call("evm_revert", self._snapshot) is True

    # ─────────────────────────── helpers ───────────────────────────

    @property
    def escrow(self) -> str:
        return self.ledger.address

    def _new_key(self) -> str:
        key = new_account()
        self.keys[key.address] = key
        self.order.append(key.address)
        return str(key.address)

    def pick(self, i: int, kind: Kind | None = None) -> str:
        pool = [a for a in self.order if kind is None or self.kind(a) == kind] or self.order
        return pool[i % len(pool)]

    def kind(self, address: str) -> Kind:
        p = self.accounts.get(address)
        return p.kind if p else Kind.NONE

    def _tick(self) -> int:
        self.clock += 1
        self.ledger.set_next_timestamp(self.clock)
        return self.clock

    def run(self, expected: str | None, action: Any) -> Receipt | None:
        """Mine `action` at the next model second; it must succeed or revert with `expected`, by name."""
        self._tick()
        self.steps += 1
        error: ContractRevert | None = None
        rcpt: Receipt | None = None
        try:
            rcpt = action()
        except ContractRevert as exc:
            error = exc
        event(f"outcome: {expected or 'success'}")
        if error is not None:
            assert expected is not None, f"step {self.steps}: unexpected {error}"
            assert error.name == expected, f"step {self.steps}: expected {expected}, got {error}"
            return None
        assert expected is None, f"step {self.steps}: expected {expected}, but it succeeded"
        return rcpt

    def _movement_error(self, frm: str, to: str, value: int) -> str | None:
        """What `_update` says about an ordinary movement (after the path's own checks)."""
        if self.paused:
            return "HeitjePaused"
        f, t = self.accounts.get(frm), self.accounts.get(to)
        allowed = False
        if f is not None and f.kind == Kind.CITIZEN:
            allowed = not f.suspended and t is not None and t.kind == Kind.MERCHANT and not t.suspended
        elif f is not None and f.kind == Kind.MERCHANT:
            allowed = t is not None and t.kind == Kind.CITIZEN
        if not allowed:
            return "HeitjeMovementNotAllowed"
        if self.balances[frm] < value:
            return "ERC20InsufficientBalance"
        return None

    def _new_account_error(self, address: str) -> str | None:
        if address in self.successor:
            return "HeitjeInvalidAddress"
        if address in self.accounts:
            return "HeitjeAlreadyEnrolled"
        return None

    # ─────────────────────────── set-up ───────────────────────────

    @initialize()
    def enrol_participants(self) -> None:
        self.ledger.set_yearly_cap(CAP)
        shared, single, other = citizen_id("model-a"), citizen_id("model-b"), citizen_id("model-c")
        for cid in (shared, shared, single, other):  # two keys share one person (key rotation)
            address = self._new_key()
            self.ledger.enrol_citizen(address, cid)
            self.accounts[address] = Participant(Kind.CITIZEN, False, cid)
        for _ in range(2):
            address = self._new_key()
            self.ledger.enrol_merchant(address)
            self.accounts[address] = Participant(Kind.MERCHANT, False, None)
        self._new_key()  # one unregistered key
        # Start with money everywhere (task ids above the rules' range), so that every rule can succeed.
        citizens, merchants = self.order[:4], self.order[4:6]
        tasks = [TASKS + i for i in range(4)]
        self.ledger.mint_batch(citizens, [START_FUNDS] * 4, tasks)
        year = amsterdam_year(self.ledger.latest_timestamp())
        for citizen, task in zip(citizens, tasks, strict=True):
            person = self.accounts[citizen].cid
            assert person is not None
            self.rewarded[task] += 1
            self.minted_in[(person, year)] += START_FUNDS
            self.balances[citizen] += START_FUNDS
            self.minted += START_FUNDS
        for citizen, merchant in zip(citizens[2:], merchants, strict=True):
            self.ledger.transfer(self.keys[citizen], merchant, START_FUNDS // 2)
            self.balances[citizen] -= START_FUNDS // 2
            self.balances[merchant] += START_FUNDS // 2
        self.clock = self.ledger.latest_timestamp()

    # ─────────────────────────── rules ───────────────────────────

    @rule(who=st.integers(0, 99), amount=st.integers(0, 4_000), task=st.integers(0, TASKS - 1))
    def mint(self, who: int, amount: int, task: int) -> None:
        citizen = self.pick(who, Kind.CITIZEN) if who % 5 else self.pick(who)
        year = amsterdam_year(self.clock + 1)
        p = self.accounts.get(citizen)
        cid = p.cid if p else None
        already = self.minted_in[(cid, year)] if cid else 0
        expected = None
        if amount == 0:
            expected = "HeitjeZeroAmount"
        elif self.rewarded[task]:
            expected = "HeitjeTaskAlreadyRewarded"
        elif amount > CAP or already > CAP - amount:
            expected = "HeitjeYearlyCapExceeded"
        elif self.paused:
            expected = "HeitjePaused"
        elif p is None or p.kind != Kind.CITIZEN:
            expected = "HeitjeNotCitizen"
        elif p.suspended:
            expected = "HeitjeAccountSuspended"
        rcpt = self.run(expected, lambda: self.ledger.mint(citizen, amount, task, gas=GAS))
        if rcpt is None:
            return
        assert cid is not None
        assert rcpt.event("TaskRewarded").args == {"taskId": task, "citizen": citizen, "amount": amount}
        self.rewarded[task] += 1
        self.minted_in[(cid, year)] += amount
        self.minted += amount
        self.balances[citizen] += amount

    def _move(self, frm: str, to: str, value: int, nonce: int, signed: bool) -> None:
        if signed:
            if (frm, nonce) in self.used_nonces:
                expected: str | None = "HeitjeAuthorizationAlreadyUsed"
            else:
                expected = self._movement_error(frm, to, value)
            auth = self.ledger.sign_transfer(self.keys[frm], to, value, nonce=nonce, valid_before=FOREVER)
            rcpt = self.run(expected, lambda: self.ledger.submit_transfer(auth, gas=GAS))
        else:
            expected = self._movement_error(frm, to, value)
            rcpt = self.run(expected, lambda: self.ledger.send(self.keys[frm], "transfer", to, value, gas=GAS))
        if rcpt is None:
            return
        if signed:
            self.used_nonces.add((frm, nonce))
            name = "PaymentMade" if self.kind(frm) == Kind.CITIZEN else "RefundMade"
            assert rcpt.event(name).args["amount"] == value
        self.balances[frm] -= value
        self.balances[to] += value

    @rule(
        src=st.integers(0, 99),
        dst=st.integers(0, 99),
        value=st.integers(0, 3_000),
        nonce=st.integers(0, NONCES - 1),
        signed=st.booleans(),
    )
    def pay(self, src: int, dst: int, value: int, nonce: int, signed: bool) -> None:
        self._move(self.pick(src, Kind.CITIZEN), self.pick(dst, Kind.MERCHANT), value, nonce, signed)

    @rule(
        src=st.integers(0, 99),
        dst=st.integers(0, 99),
        value=st.integers(0, 1_000),
        nonce=st.integers(0, NONCES - 1),
        signed=st.booleans(),
    )
    def refund(self, src: int, dst: int, value: int, nonce: int, signed: bool) -> None:
        self._move(self.pick(src, Kind.MERCHANT), self.pick(dst, Kind.CITIZEN), value, nonce, signed)

    @rule(
        src=st.integers(0, 99),
        dst=st.integers(0, 99),
        value=st.integers(0, 1_000),
        nonce=st.integers(0, NONCES - 1),
        signed=st.booleans(),
    )
    def move_anywhere(self, src: int, dst: int, value: int, nonce: int, signed: bool) -> None:
        self._move(self.pick(src), self.pick(dst), value, nonce, signed)

    @rule(
        who=st.integers(0, 99),
        value=st.integers(0, 3_000),
        payout=st.integers(0, PAYOUTS - 1),
        nonce=st.integers(0, NONCES - 1),
        signed=st.booleans(),
    )
    def request_redemption(self, who: int, value: int, payout: int, nonce: int, signed: bool) -> None:
        merchant = self.pick(who, Kind.MERCHANT) if who % 4 else self.pick(who)
        pid = payout_id(payout)
        expected = None
        if signed and (merchant, nonce) in self.used_nonces:
            expected = "HeitjeAuthorizationAlreadyUsed"
        elif value == 0:
            expected = "HeitjeZeroAmount"
        elif self.kind(merchant) != Kind.MERCHANT:
            expected = "HeitjeNotMerchant"
        elif pid in self.redemptions:
            expected = "HeitjeRedemptionExists"
        elif self.paused:
            expected = "HeitjePaused"
        elif self.balances[merchant] < value:
            expected = "ERC20InsufficientBalance"
        key = self.keys[merchant]
        if signed:
            auth = self.ledger.sign_redemption(key, value, pid, nonce=nonce, valid_before=FOREVER)
            rcpt = self.run(expected, lambda: self.ledger.submit_redemption(auth, gas=GAS))
        else:
            rcpt = self.run(expected, lambda: self.ledger.send(key, "requestRedemption", value, pid, gas=GAS))
        if rcpt is None:
            return
        if signed:
            self.used_nonces.add((merchant, nonce))
        assert rcpt.event("RedemptionRequested").args == {"payoutId": pid, "merchant": merchant, "amount": value}
        self.redemptions[pid] = Redemption(merchant, value, RedemptionStatus.PENDING)
        self.balances[merchant] -= value
        self.balances[self.escrow] += value

    def pick_payout(self, i: int) -> bytes:
        """Mostly a pending payout (there is one to settle or reject), sometimes any id at all."""
        pending = sorted(p for p, r in self.redemptions.items() if r.status == RedemptionStatus.PENDING)
        if pending and i % 4:
            return pending[i % len(pending)]
        return payout_id(i % PAYOUTS)

    @rule(payout=st.integers(0, 99), bank=st.integers(0, 7))
    def settle(self, payout: int, bank: int) -> None:
        pid = self.pick_payout(payout)
        bank_ref = bank.to_bytes(32, "big")  # 0: no bank reference
        red = self.redemptions.get(pid)
        expected = None
        if bank_ref == ZERO_BYTES32:
            expected = "HeitjeMissingBankReference"
        elif red is None or red.status != RedemptionStatus.PENDING:
            expected = "HeitjeRedemptionNotPending"
        elif self.paused:
            expected = "HeitjePaused"
        rcpt = self.run(expected, lambda: self.ledger.settle(pid, bank_ref, gas=GAS))
        if rcpt is None:
            return
        assert red is not None
        assert rcpt.event("RedemptionSettled").args["amount"] == red.amount
        red.status = RedemptionStatus.SETTLED
        self.balances[self.escrow] -= red.amount
        self.burned += red.amount

    @rule(payout=st.integers(0, 99))
    def reject(self, payout: int) -> None:
        pid = self.pick_payout(payout)
        red = self.redemptions.get(pid)
        expected = None
        if red is None or red.status != RedemptionStatus.PENDING:
            expected = "HeitjeRedemptionNotPending"
        elif self.paused:
            expected = "HeitjePaused"
        rcpt = self.run(expected, lambda: self.ledger.reject(pid, gas=GAS))
        if rcpt is None:
            return
        assert red is not None
        holder = red.merchant
        while holder in self.successor:
            holder = self.successor[holder]
        assert rcpt.event("RedemptionRejected").args["merchant"] == holder
        red.status = RedemptionStatus.REJECTED
        self.balances[self.escrow] -= red.amount
        self.balances[holder] += red.amount

    @rule(lost=st.integers(0, 99), replacement=st.integers(0, 99), fresh=st.booleans())
    def recover(self, lost: int, replacement: int, fresh: bool) -> None:
        old = self.pick(lost)
        new = self._new_key() if fresh else self.pick(replacement)
        expected = None
        if self.paused:
            expected = "HeitjePaused"
        elif old not in self.accounts:
            expected = "HeitjeNotEnrolled"
        else:
            expected = self._new_account_error(new)
        rcpt = self.run(expected, lambda: self.ledger.recover(old, new, gas=GAS))
        if rcpt is None:
            return
        amount = self.balances[old]
        assert rcpt.event("AccountRecovered").args == {"lost": old, "replacement": new, "amount": amount}
        self.accounts[new] = self.accounts.pop(old)
        self.successor[old] = new
        self.balances[new] += amount
        self.balances[old] = 0

    @rule(who=st.integers(0, 99), suspend=st.booleans())
    def suspend_or_reinstate(self, who: int, suspend: bool) -> None:
        account = self.pick(who)
        p = self.accounts.get(account)
        if p is None:
            expected: str | None = "HeitjeNotEnrolled"
        elif suspend and p.suspended:
            expected = "HeitjeAccountSuspended"
        elif not suspend and not p.suspended:
            expected = "HeitjeAccountNotSuspended"
        else:
            expected = None
        action = self.ledger.suspend if suspend else self.ledger.reinstate
        if self.run(expected, lambda: action(account)) is not None:
            assert p is not None
            self.accounts[account] = replace(p, suspended=suspend)

    @rule(n=st.integers(0, 3))
    def pause_or_unpause(self, n: int) -> None:
        """Mostly unpauses when paused and rarely pauses, so that a quarter of the steps run paused."""
        # Paused: n == 3 tries a second pause (must fail). Running: n != 0 tries an unpause (must fail).
        pause = n == 3 if self.paused else n == 0
        if pause:
            done = self.run("HeitjePaused" if self.paused else None, self.ledger.pause)
        else:
            done = self.run(None if self.paused else "HeitjeNotPaused", self.ledger.unpause)
        if done is not None:
            self.paused = pause

    @rule(how=st.sampled_from(["seconds", "days", "new-years-eve"]), n=st.integers(0, 3))
    def advance_time(self, how: str, n: int) -> None:
        if how == "seconds":
            self.clock += n
        elif how == "days":
            self.clock += (n + 1) * 86_400
        else:  # a few seconds before 23:00 UTC on 31 Dec: the next steps straddle the Amsterdam new year
            year = amsterdam_year(self.clock)
            boundary = int(datetime(year, 12, 31, 23, 0, 0, tzinfo=UTC).timestamp())
            self.clock = max(self.clock, boundary - 1 - n)

    # ─────────────────────────── invariants ───────────────────────────

    @invariant()
    def chain_matches_model(self) -> None:
        if not self.order:
            return
        addresses = [*self.order, self.escrow]
        cids = sorted({cid for cid, _ in self.minted_in})
        years = sorted({year for _, year in self.minted_in})
        pids = sorted(self.redemptions)
        calls: list[tuple[str, tuple[Any, ...]]] = [("totalSupply", ()), ("paused", ())]
        calls += [("balanceOf", (a,)) for a in addresses]
        calls += [("capUsed", (cid, year)) for cid in cids for year in years]
        task_ids = sorted(set(range(TASKS)) | set(self.rewarded))
        calls += [("isTaskRewarded", (t,)) for t in task_ids]
        calls += [("redemptionOf", (pid,)) for pid in pids]
        results = iter(self.ledger.call_many(calls))

        supply, paused = next(results), next(results)
        balances = [next(results) for _ in addresses]
        cap_used = {(cid, year): next(results) for cid in cids for year in years}
        tasks = [next(results) for _ in task_ids]
        redemptions = {pid: next(results) for pid in pids}

        assert paused == self.paused
        assert sum(balances) == supply, "Σ balances (incl. escrow) != totalSupply"
        assert supply == self.minted - self.burned, "totalSupply != Σ minted − Σ burned"
        assert balances == [self.balances[a] for a in addresses], "model and chain balances differ"
        for (cid, year), (minted, cap) in cap_used.items():
            assert minted == self.minted_in[(cid, year)]
            assert minted <= cap == CAP, f"cap exceeded for {cid.hex()} in {year}"
        assert all(count == 1 for count in self.rewarded.values()), "a task was rewarded twice"
        assert tasks == [self.rewarded[t] == 1 for t in task_ids]
        pending = 0
        for pid, (merchant, amount, status) in redemptions.items():
            red = self.redemptions[pid]
            assert (merchant, amount, status) == (red.merchant, red.amount, red.status)
            pending += amount if status == RedemptionStatus.PENDING else 0
        assert self.balances[self.escrow] == pending, "escrow does not cover exactly the pending payouts"


def test_ledger_matches_model_under_random_operations(ledger: Ledger) -> None:
    machine = type("BoundLedgerMachine", (LedgerMachine,), {"ledger": ledger})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=50,
            stateful_step_count=50,
            deadline=None,
            database=None,
            # Shrinking replays sequences on the chain and can take minutes; a failure prints its steps
            # anyway. HEITJE_SHRINK=1 turns shrinking on when debugging one.
            phases=tuple(Phase) if os.environ.get("HEITJE_SHRINK") else (Phase.explicit, Phase.generate),
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
