# SPDX-License-Identifier: EUPL-1.2
"""Reconcile: the SQL mirror against the chain, at the block the mirror has indexed.

Checked: every balance (escrow included), totalSupply against minted − burned and against Σ balances,
every task-rewarded flag, every redemption, every participant, every earnings row against `capUsed`,
the yearly cap, the pause flag and every role holder. Reads are batched `eth_call`s at the cursor block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heitje.chain.abi import ContractABI, heitje_abi
from indexer.errors import ReconcileError
from indexer.fetch import Rpc
from indexer.models import (
    IdxBalance,
    IdxContractState,
    IdxCursor,
    IdxEarning,
    IdxParticipant,
    IdxRedemption,
    IdxRole,
    IdxSupply,
    IdxTaskReward,
)

_KIND = {0: None, 1: "citizen", 2: "merchant"}
_STATUS = {0: None, 1: "requested", 2: "settled", 3: "rejected"}


@dataclass(frozen=True)
class Difference:
    what: str
    key: str
    sql: Any
    chain: Any

    def __str__(self) -> str:
        return f"{self.what} {self.key}: sql={self.sql!r} chain={self.chain!r}"


@dataclass
class Report:
    block_number: int
    checked: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        out = [f"reconciled at block {self.block_number}"]
        out += [f"  {what:<14} {n:>9} checked" for what, n in self.checked.items()]
        if self.clean:
            out.append("no differences")
        else:
            out.append(f"{len(self.differences)} DIFFERENCES")
            out += [f"  {d}" for d in self.differences[:200]]
            if len(self.differences) > 200:
                out.append(f"  … and {len(self.differences) - 200} more")
        return out


class _Calls:
    """Batched eth_call of one contract at one block."""

    def __init__(self, rpc: Rpc, contract: str, block: int, abi: ContractABI, batch: int = 500) -> None:
        self.rpc, self.contract, self.tag, self.abi, self.batch = rpc, contract, hex(block), abi, batch

    def many(self, fn: str, args: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        f = self.abi.functions[fn]
        out: list[tuple[Any, ...]] = []
        for i in range(0, len(args), self.batch):
            calls = [
                ("eth_call", [{"to": self.contract, "data": "0x" + f.encode(*a).hex()}, self.tag])
                for a in args[i : i + self.batch]
            ]
            for result in self.rpc.batch(calls):
                if isinstance(result, Exception):
                    raise ReconcileError(f"{fn} at block {int(self.tag, 16)} failed: {result}")
                out.append(f.decode_output(bytes.fromhex(result[2:])))
        return out

    def one(self, fn: str, *args: Any) -> tuple[Any, ...]:
        return self.many(fn, [args])[0]


def _b32(hex_value: str) -> bytes:
    return bytes.fromhex(hex_value[2:])


def _check(report: Report, what: str, items: Sequence[tuple[str, Any, Any]]) -> None:
    report.checked[what] = report.checked.get(what, 0) + len(items)
    report.differences += [Difference(what, key, sql, chain) for key, sql, chain in items if sql != chain]


def reconcile(rpc: Rpc, session: Session, abi: ContractABI | None = None) -> Report:
    cursor = session.get(IdxCursor, 1)
    if cursor is None:
        raise ReconcileError("nothing indexed yet: run `heitje index` first")
    abi = abi or heitje_abi()
    calls = _Calls(rpc, cursor.contract, cursor.block_number, abi)
    report = Report(cursor.block_number)
    lower: Callable[[Any], str] = lambda a: str(a).lower()  # noqa: E731

    balances = session.execute(select(IdxBalance.address, IdxBalance.balance)).all()
    chain_balances = calls.many("balanceOf", [(a,) for a, _ in balances])
    _check(report, "balances", [(a, b, c[0]) for (a, b), c in zip(balances, chain_balances, strict=True)])

    supply = session.get(IdxSupply, 1)
    total = calls.one("totalSupply")[0]
    escrow = calls.one("balanceOf", cursor.contract)[0]
    sum_balances = int(session.scalar(select(func.coalesce(func.sum(IdxBalance.balance), 0))) or 0)
    _check(
        report,
        "supply",
        [
            ("outstanding", supply.outstanding if supply else 0, total),
            ("minted-burned", (supply.minted - supply.burned) if supply else 0, total),
            ("escrow", supply.escrow if supply else 0, escrow),
            ("sum(balances)", sum_balances, total),
        ],
    )

    tasks = session.execute(select(IdxTaskReward.task_id)).scalars().all()
    flags = calls.many("isTaskRewarded", [(int(t),) for t in tasks])
    _check(report, "task rewards", [(t, True, f[0]) for t, f in zip(tasks, flags, strict=True)])

    reds = session.execute(select(IdxRedemption)).scalars().all()
    chain_reds = calls.many("redemptionOf", [(_b32(r.payout_id),) for r in reds])
    _check(
        report,
        "redemptions",
        [
            (r.payout_id, (r.merchant, r.amount, r.status), (lower(c[0]), c[1], _STATUS[c[2]]))
            for r, c in zip(reds, chain_reds, strict=True)
        ],
    )

    people = session.execute(select(IdxParticipant)).scalars().all()
    accounts = calls.many("accountOf", [(p.address,) for p in people])
    _check(
        report,
        "participants",
        [
            (
                p.address,
                (None, False, None) if p.recovered_to else (p.kind, p.suspended, p.citizen_id),
                (_KIND[c[0]], c[1], None if c[2] == b"\0" * 32 else "0x" + c[2].hex()),
            )
            for p, c in zip(people, accounts, strict=True)
        ],
    )

    earned = session.execute(select(IdxEarning)).scalars().all()
    used = calls.many("capUsed", [(_b32(e.citizen_id), e.year) for e in earned])
    _check(
        report, "earnings", [(f"{e.citizen_id}/{e.year}", e.amount, c[0]) for e, c in zip(earned, used, strict=True)]
    )

    state = session.get(IdxContractState, 1)
    _check(
        report,
        "settings",
        [
            ("yearlyCap", state.yearly_cap if state else None, calls.one("yearlyCap")[0]),
            ("paused", state.paused if state else None, calls.one("paused")[0]),
        ],
    )

    roles = session.execute(select(IdxRole)).scalars().all()
    held = calls.many("hasRole", [(_b32(r.role), r.account) for r in roles])
    _check(report, "roles", [(f"{r.role_name}/{r.account}", True, h[0]) for r, h in zip(roles, held, strict=True)])
    return report
