# SPDX-License-Identifier: EUPL-1.2
"""The citizen's wallet, read from the indexer's projections: balance, this year's earnings against the cap,
and the history of movements (tasks paid, payments, refunds), with task titles from our own tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend.models.participants import Citizen, Merchant
from backend.models.tasks import Claim, Task
from backend.services import tasks as task_service
from indexer import queries
from indexer.models import IdxTransfer


def balance_of(session: Session, address: str) -> int:
    return queries.balance_of(session, address)


@dataclass(frozen=True)
class Wallet:
    address: str | None
    balance_cents: int
    allowance: task_service.Allowance


def wallet(session: Session, citizen: Citizen) -> Wallet:
    return Wallet(
        address=citizen.address,
        balance_cents=balance_of(session, citizen.address) if citizen.address else 0,
        allowance=task_service.allowance(session, citizen),
    )


@dataclass(frozen=True)
class Movement:
    at: datetime
    kind: str  # task_reward | payment | refund | recovery | other
    amount_cents: int  # signed: + in, − out
    description: str
    tx_hash: str
    reference: str | None


KIND_NAMES = {"mint": "task_reward", "payment": "payment", "refund": "refund", "recovery": "recovery"}


def history(session: Session, citizen: Citizen, limit: int, offset: int) -> tuple[list[Movement], int]:
    if citizen.address is None:
        return [], 0
    me = citizen.address.lower()
    where = or_(IdxTransfer.from_address == me, IdxTransfer.to_address == me)
    total = int(session.scalar(select(func.count()).select_from(IdxTransfer).where(where)) or 0)
    rows = queries.history(session, me, limit=limit, offset=offset)
    claim_ids = [int(r.reference) for r in rows if r.kind == "mint" and r.reference and r.reference.isdigit()]
    titles: dict[int, str] = {}
    if claim_ids:
        titles = {
            int(cid): str(title)
            for cid, title in session.execute(
                select(Claim.id, Task.title).join(Task, Task.id == Claim.task_id).where(Claim.id.in_(claim_ids))
            )
        }
    names = {
        str(addr): str(name)
        for addr, name in session.execute(
            select(Merchant.address, Merchant.business_name).where(Merchant.address.in_({r.counterparty for r in rows}))
        )
    }
    out: list[Movement] = []
    for r in rows:
        kind = KIND_NAMES.get(r.kind, "other")
        if kind == "task_reward":
            ref = int(r.reference) if r.reference and r.reference.isdigit() else -1
            description = titles.get(ref, f"task {r.reference}")
        else:
            description = names.get(r.counterparty, kind)
        out.append(Movement(at=r.time, kind=kind, amount_cents=r.amount, description=description,
                            tx_hash=r.tx_hash, reference=r.reference))  # fmt: skip
    return out, total


def summary(m: Movement) -> dict[str, Any]:
    return {
        "at": m.at,
        "kind": m.kind,
        "amount_cents": m.amount_cents,
        "description": m.description,
        "tx_hash": m.tx_hash,
    }
