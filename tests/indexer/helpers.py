# SPDX-License-Identifier: EUPL-1.2
"""Shared pieces of the indexer tests: scenarios that emit every event, table dumps, one-shot indexing."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from heitje.db import make_engine, migrate
from heitje.deploy import Deployment
from indexer.bootstrap import Parts, bootstrap
from indexer.fetch import Backoff, Rpc
from indexer.follower import IndexerConfig
from indexer.loadgen import LoadGen, b32, party
from indexer.models import PROJECTIONS, IdxCursor, IdxEvent
from indexer.project import ROLE_NAMES

ISSUER_ROLE = next(bytes.fromhex(k[2:]) for k, v in ROLE_NAMES.items() if v == "ISSUER_ROLE")


def index(
    rpc: str | Rpc,
    database_url: str,
    deployment: Deployment,
    confirmations: int = 0,
    **kwargs: Any,
) -> Parts:
    """Migrate, then catch up to the head; returns the parts (dispose `parts.engine` when done)."""
    migrate(database_url)
    kwargs.setdefault("backoff", Backoff(initial=0.01, maximum=0.05, attempts=50))
    parts = bootstrap(
        rpc,
        database_url,
        deployment.address,
        deployment.block_number,
        deployment.chain_id,
        config=IndexerConfig(confirmations=confirmations, reorg_window=16),
        **kwargs,
    )
    parts.indexer.catch_up()
    return parts


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection and the raw mirror, as sorted row tuples (comparable across databases)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for model in (IdxEvent, *PROJECTIONS):
            table = model.__table__  # type: ignore[attr-defined]
            rows = conn.execute(table.select()).all()
            out[table.name] = sorted(tuple(_plain(v) for v in r) for r in rows)
        cursor = conn.execute(select(IdxCursor.block_number, IdxCursor.block_hash, IdxCursor.events)).one()
        out["idx_cursor"] = [tuple(cursor)]
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, float):
        return int(value)
    if value.__class__.__name__ == "Decimal":
        return int(value)
    return value


def fresh_dump(rpc: str | Rpc, database_url: str, deployment: Deployment, **kw: Any) -> dict[str, Any]:
    parts = index(rpc, database_url, deployment, **kw)
    try:
        return dump(parts.engine)
    finally:
        parts.engine.dispose()


def url_engine(database_url: str) -> Engine:
    return make_engine(database_url)


@dataclass
class World:
    """A Python view of who exists, so random operations are mostly valid ones."""

    gen: LoadGen
    rng: random.Random
    citizens: list[Any] = field(default_factory=list)
    merchants: list[Any] = field(default_factory=list)
    suspended: set[str] = field(default_factory=set)
    balances: dict[str, int] = field(default_factory=dict)
    pending: list[tuple[bytes, str, int]] = field(default_factory=list)
    next_task: int = 1
    next_id: int = 0
    nonce: int = 1

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def citizen(self, person: str | None = None) -> None:
        acct = party("citizen", self._id() + self.rng.randrange(10**9))
        cid = b32(person or f"person-{self.next_id}-{self.rng.random()}")
        self.gen.enrol_citizen(acct.address, cid)
        self.citizens.append(acct)

    def merchant(self) -> None:
        acct = party("merchant", self._id() + self.rng.randrange(10**9))
        self.gen.enrol_merchant(acct.address)
        self.merchants.append(acct)

    def active(self, people: list[Any]) -> list[Any]:
        return [p for p in people if p.address not in self.suspended]

    def mint(self, n: int) -> None:
        citizens = self.active(self.citizens)
        if not citizens:
            return
        chosen = [self.rng.choice(citizens) for _ in range(n)]
        amounts = [self.rng.randint(1, 500) for _ in range(n)]
        self.gen.mint([c.address for c in chosen], amounts, list(range(self.next_task, self.next_task + n)))
        self.next_task += n
        for c, a in zip(chosen, amounts, strict=True):
            self.balances[c.address] = self.balances.get(c.address, 0) + a

    def pay(self) -> None:
        payers = [c for c in self.active(self.citizens) if self.balances.get(c.address, 0) > 0]
        shops = self.active(self.merchants)
        if not payers or not shops:
            return
        c, m = self.rng.choice(payers), self.rng.choice(shops)
        value = self.rng.randint(1, self.balances[c.address])
        self.nonce += 1
        self.gen.transfer_auth(c, m.address, value, self.rng.getrandbits(255), b32(f"ref-{self.nonce}"))
        self.balances[c.address] -= value
        self.balances[m.address] = self.balances.get(m.address, 0) + value

    def refund(self) -> None:
        shops = [m for m in self.merchants if self.balances.get(m.address, 0) > 0]
        if not shops or not self.citizens:
            return
        m, c = self.rng.choice(shops), self.rng.choice(self.citizens)
        value = self.rng.randint(1, self.balances[m.address])
        self.nonce += 1
        self.gen.transfer_auth(m, c.address, value, self.rng.getrandbits(64), b32(f"ref-{self.nonce}"))
        self.balances[m.address] -= value
        self.balances[c.address] = self.balances.get(c.address, 0) + value

    def redeem(self) -> None:
        shops = [m for m in self.merchants if self.balances.get(m.address, 0) > 0]
        if not shops:
            return
        m = self.rng.choice(shops)
        value = self.rng.randint(1, self.balances[m.address])
        payout = b32(f"payout-{self._id()}-{self.rng.random()}")
        self.gen.redeem_auth(m, value, self.rng.getrandbits(128), payout)
        self.balances[m.address] -= value
        self.pending.append((payout, m.address, value))

    def settle_or_reject(self) -> None:
        if not self.pending:
            return
        payout, merchant, value = self.pending.pop(self.rng.randrange(len(self.pending)))
        if self.rng.random() < 0.6:
            self.gen.send("settler", "settleRedemption", payout, b32(f"bank-{payout.hex()}"))
        else:
            self.gen.send("settler", "rejectRedemption", payout, b32("iban closed"))
            self.balances[merchant] = self.balances.get(merchant, 0) + value

    def toggle_suspension(self) -> None:
        people = self.citizens + self.merchants
        if not people:
            return
        p = self.rng.choice(people)
        if p.address in self.suspended:
            self.gen.send("registrar", "reinstate", p.address)
            self.suspended.discard(p.address)
        else:
            self.gen.send("registrar", "suspend", p.address)
            self.suspended.add(p.address)

    def recover(self) -> None:
        if not self.citizens:
            return
        lost = self.rng.choice(self.citizens)
        new = party("replacement", self._id() + self.rng.randrange(10**9))
        self.gen.send("recovery", "recoverAccount", lost.address, new.address)
        self.citizens.remove(lost)
        self.citizens.append(new)
        if lost.address in self.suspended:
            self.suspended.discard(lost.address)
            self.suspended.add(new.address)
        self.balances[new.address] = self.balances.pop(lost.address, 0)

    def admin(self) -> None:
        choice = self.rng.randrange(3)
        if choice == 0:
            self.gen.send("admin", "setYearlyCap", self.rng.randint(150_000, 300_000))
        elif choice == 1:
            self.gen.send("admin", "grantRole", ISSUER_ROLE, party("officer", self._id()).address)
        else:
            # Alone in their blocks: nothing else may be mined while paused.
            self.gen.flush()
            self.gen.send("pauser", "pause")
            self.gen.flush()
            self.gen.send("pauser", "unpause")
            self.gen.flush()

    def random_round(self, ops: int) -> None:
        """`ops` random operations, mined together into one block (flush)."""
        actions = [
            self.mint_some,
            self.pay,
            self.pay,
            self.refund,
            self.redeem,
            self.settle_or_reject,
            self.toggle_suspension,
            self.recover,
            self.admin,
            self.citizen,
            self.merchant,
        ]
        for _ in range(ops):
            self.rng.choice(actions)()
        self.gen.flush()

    def mint_some(self) -> None:
        self.mint(self.rng.randint(1, 8))

    def populate(self, citizens: int = 6, merchants: int = 3) -> None:
        for i in range(citizens):
            self.citizen("person-shared" if i < 2 else None)  # two keys of one person
        for _ in range(merchants):
            self.merchant()
        self.gen.flush()
        self.mint(20)
        self.gen.flush()
