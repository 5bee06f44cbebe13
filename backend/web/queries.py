# SPDX-License-Identifier: EUPL-1.2
"""Read-only questions the pages ask that no service answers (yet): lists, counts and chart series.

Nothing here writes. Tables owned by other packages (tasks, money, the indexer's mirror) are imported
inside the functions, so the web package loads even on a tree where a part has not landed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models.accounts import User
from backend.models.audit import AuditEntry
from backend.web.i18n import TZ


def utcnow() -> datetime:
    return datetime.now(UTC)


def amsterdam_today() -> date:
    return utcnow().astimezone(TZ).date()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ─────────────────────────── pause banner ───────────────────────────


@dataclass(frozen=True)
class Pause:
    paused: bool
    reason: str


def pause_state(session: Session) -> Pause:
    """Paused by the operational flag (set at once by a pauser) or on-chain (seen by the indexer)."""
    from backend.services.money_common import chain_paused, ledger_status

    status = ledger_status(session)
    if status.paused:
        return Pause(True, status.reason)
    return Pause(chain_paused(session), "")


# ─────────────────────────── citizen wallet ───────────────────────────


@dataclass
class Wallet:
    active: bool
    status: str
    balance: int = 0
    available: int = 0
    earned_year: int = 0
    pending: int = 0
    cap: int = 0
    remaining: int = 0
    year: int = 0
    history: list[Any] = field(default_factory=list)


def wallet(session: Session, user: User, history: int = 10) -> Wallet:
    """Balance, what can be spent now (balance minus payments on their way), and the yearly allowance."""
    from backend.services import wallet as wallet_service
    from backend.services.money_common import available
    from backend.services.participants import citizen_of

    citizen = citizen_of(session, user)
    w = wallet_service.wallet(session, citizen)
    a = w.allowance
    out = Wallet(active=citizen.status == "active" and bool(citizen.address), status=citizen.status,
                 balance=w.balance_cents, earned_year=a.earned_cents, pending=a.pending_cents, cap=a.cap_cents,
                 remaining=a.remaining_cents, year=a.year)  # fmt: skip
    if citizen.address:
        out.available = available(session, citizen.address)
        if history:
            out.history = wallet_service.history(session, citizen, history, 0)[0]
    return out


# ─────────────────────────── tasks ───────────────────────────


@dataclass(frozen=True)
class TaskRow:
    task: Any
    slots_left: int
    distance_km: float | None


def open_tasks(
    session: Session,
    *,
    neighbourhood: str = "",
    category: str = "",
    lat: float | None = None,
    lon: float | None = None,
    limit: int = 100,
) -> list[TaskRow]:
    """Open tasks with a free place: nearest first when a point is given, else soonest deadline first."""
    from backend.services import tasks as task_service

    f = task_service.TaskFilter(neighbourhood=neighbourhood or None, category=category or None, lat=lat, lon=lon)
    found, _ = task_service.list_tasks(session, f, limit=500, offset=0)
    rows = [TaskRow(t, t.slots - taken, d) for t, taken, d in found if t.slots - taken > 0]
    if lat is None or lon is None:
        rows.sort(key=lambda r: (r.task.claim_deadline, r.task.id))
    return rows[:limit]


def neighbourhoods(session: Session) -> list[str]:
    from backend.models.tasks import Task

    return [str(n) for n in session.scalars(select(Task.neighbourhood).distinct().order_by(Task.neighbourhood))]


def citizen_claims(session: Session, user: User, limit: int = 50) -> list[tuple[Any, Any]]:
    """(claim, task) of the logged-in citizen, newest first."""
    from backend.models.tasks import Claim, Task
    from backend.services.participants import citizen_of

    citizen = citizen_of(session, user)
    rows = session.execute(
        select(Claim, Task).join(Task, Task.id == Claim.task_id).where(Claim.citizen_id == citizen.id)
        .order_by(Claim.id.desc()).limit(limit)
    )  # fmt: skip
    return [(c, t) for c, t in rows]


def citizen_claim(session: Session, user: User, claim_id: int) -> tuple[Any, Any] | None:
    from backend.models.tasks import Claim, Task
    from backend.services.participants import citizen_of

    citizen = citizen_of(session, user)
    row = session.execute(
        select(Claim, Task).join(Task, Task.id == Claim.task_id)
        .where(Claim.id == claim_id, Claim.citizen_id == citizen.id)
    ).first()  # fmt: skip
    return (row[0], row[1]) if row else None


def all_tasks(session: Session, limit: int = 200) -> list[TaskRow]:
    from backend.models.tasks import Task
    from backend.services.tasks import slots_taken

    tasks = list(session.scalars(select(Task).order_by(Task.id.desc()).limit(limit)))
    taken = slots_taken(session, [t.id for t in tasks])
    return [TaskRow(t, t.slots - taken.get(t.id, 0), None) for t in tasks]


def approval_queue(session: Session, limit: int = 100) -> list[tuple[Any, Any]]:
    from backend.models.tasks import Claim, ClaimStatus, Task

    rows = session.execute(
        select(Claim, Task).join(Task, Task.id == Claim.task_id).where(Claim.status == ClaimStatus.submitted)
        .order_by(Claim.submitted_at, Claim.id).limit(limit)
    )  # fmt: skip
    return [(c, t) for c, t in rows]


def claim_with_task(session: Session, claim_id: int) -> tuple[Any, Any] | None:
    from backend.models.tasks import Claim, Task

    row = session.execute(select(Claim, Task).join(Task, Task.id == Claim.task_id).where(Claim.id == claim_id)).first()
    return (row[0], row[1]) if row else None


# ─────────────────────────── merchant ───────────────────────────


@dataclass(frozen=True)
class Takings:
    payments: int
    received: int
    refunded: int

    @property
    def net(self) -> int:
        return self.received - self.refunded


def todays_takings(session: Session, merchant_id: int) -> Takings:
    """Payments that arrived today (Europe/Amsterdam) and refunds made today; pending ones not counted."""
    from backend.models.money import ChainStatus, Payment, Refund

    start = datetime.combine(amsterdam_today(), datetime.min.time(), tzinfo=TZ).astimezone(UTC)
    got = session.execute(
        select(func.count(Payment.id), func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.merchant_id == merchant_id, Payment.status == ChainStatus.confirmed, Payment.confirmed_at >= start
        )
    ).one()
    back = session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.merchant_id == merchant_id, Refund.status == ChainStatus.confirmed, Refund.confirmed_at >= start
        )
    )
    return Takings(int(got[0] or 0), int(got[1] or 0), int(back or 0))


def merchant_balance(session: Session, merchant: Any) -> tuple[int, int]:
    """(indexed balance, available for payouts and refunds)."""
    from backend.services.money_common import available
    from indexer import queries as idx

    if not merchant.address:
        return 0, 0
    return idx.balance_of(session, merchant.address), available(session, merchant.address)


def recent_requests(session: Session, merchant_id: int, limit: int = 10) -> list[Any]:
    from backend.models.money import PaymentRequest

    return list(
        session.scalars(
            select(PaymentRequest).where(PaymentRequest.merchant_id == merchant_id)
            .order_by(PaymentRequest.id.desc()).limit(limit)
        )
    )  # fmt: skip


# ─────────────────────────── dashboard ───────────────────────────


def audit_entries(
    session: Session, limit: int = 100, offset: int = 0, action: str = ""
) -> tuple[list[AuditEntry], int]:
    q = select(AuditEntry)
    if action:
        q = q.where(AuditEntry.action.startswith(action))
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = list(session.scalars(q.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)))
    return rows, total


def officer_names(session: Session, ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {int(i): str(n) for i, n in session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))}


def iso_week(d: datetime) -> str:
    y, w, _ = _aware(d).astimezone(TZ).isocalendar()
    return f"{y}-W{w:02d}"


def last_weeks(n: int) -> list[str]:
    today = datetime.combine(amsterdam_today(), datetime.min.time(), tzinfo=TZ)
    return [iso_week(today - timedelta(weeks=i)) for i in range(n - 1, -1, -1)]


@dataclass
class Charts:
    weeks: list[str]
    minted: list[int]
    spent: list[int]
    outstanding: list[int]
    neighbourhoods: list[str]
    tasks_done: list[int]
    queue_labels: list[str]
    queue_counts: list[int]
    totals: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "weeks": self.weeks,
            "minted": self.minted,
            "spent": self.spent,
            "outstanding": self.outstanding,
            "neighbourhoods": self.neighbourhoods,
            "tasks_done": self.tasks_done,
            "queue_labels": self.queue_labels,
            "queue_counts": self.queue_counts,
        }


def _utc_hour(session: Session, column: Any) -> Any:
    """`YYYY-MM-DD HH` of a UTC timestamp column, in SQL, on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d %H", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


def charts(session: Session, weeks: int = 12) -> Charts:
    from backend.models.money import Payout, PayoutStatus
    from backend.models.tasks import Claim, ClaimStatus, Task
    from indexer import queries as idx
    from indexer.models import IdxTransfer

    labels = last_weeks(weeks)
    since = datetime.now(UTC) - timedelta(weeks=weeks + 1)
    minted: dict[str, int] = defaultdict(int)
    spent: dict[str, int] = defaultdict(int)
    burned: dict[str, int] = defaultdict(int)
    before = {"mint": 0, "burn": 0}
    # Sums by the database, never row by row: the cost stays flat however many transfers are indexed.
    for kind, total in session.execute(
        select(IdxTransfer.kind, func.sum(IdxTransfer.amount))
        .where(IdxTransfer.kind.in_(["mint", "burn"]), IdxTransfer.block_time < since)
        .group_by(IdxTransfer.kind)
    ):
        before[str(kind)] = int(total or 0)
    # Recent movements summed per UTC hour; Amsterdam's offset is whole hours, so each hour falls in one week.
    hour = _utc_hour(session, IdxTransfer.block_time)
    for kind, hour_text, total in session.execute(
        select(IdxTransfer.kind, hour, func.sum(IdxTransfer.amount))
        .where(IdxTransfer.kind.in_(["mint", "payment", "refund", "burn"]), IdxTransfer.block_time >= since)
        .group_by(IdxTransfer.kind, hour)
    ):
        wk = iso_week(datetime.strptime(str(hour_text), "%Y-%m-%d %H").replace(tzinfo=UTC))
        amount = int(total or 0)
        if kind == "mint":
            minted[wk] += amount
        elif kind == "payment":
            spent[wk] += amount
        elif kind == "refund":
            spent[wk] -= amount
        elif kind == "burn":
            burned[wk] += amount
    running = before["mint"] - before["burn"]
    outstanding = []
    for wk in labels:
        running += minted.get(wk, 0) - burned.get(wk, 0)
        outstanding.append(running)
    done: dict[str, int] = defaultdict(int)
    for hood, n in session.execute(
        select(Task.neighbourhood, func.count(Claim.id)).join(Task, Task.id == Claim.task_id)
        .where(Claim.status.in_([ClaimStatus.approved, ClaimStatus.paid])).group_by(Task.neighbourhood)
    ):  # fmt: skip
        done[str(hood)] = int(n)
    hoods = sorted(done)
    buckets = ["< 1 d", "1–3 d", "3–7 d", "> 7 d"]
    counts = [0, 0, 0, 0]
    now = utcnow()
    for created, escrowed in session.execute(
        select(Payout.created_at, Payout.escrowed_at).where(
            Payout.status.in_([PayoutStatus.requested, PayoutStatus.escrowed, PayoutStatus.batched])
        )
    ):
        age = (now - _aware(escrowed or created)).total_seconds() / 86400
        counts[0 if age < 1 else 1 if age < 3 else 2 if age < 7 else 3] += 1
    s = idx.supply(session)
    totals = {"minted": s.minted, "burned": s.burned, "escrow": s.escrow, "outstanding": s.outstanding}
    return Charts(labels, [minted.get(w, 0) for w in labels], [spent.get(w, 0) for w in labels], outstanding, hoods,
                  [done[h] for h in hoods], buckets, counts, totals)  # fmt: skip


def queue_counts(session: Session) -> dict[str, int]:
    from backend.models.money import Payout, PayoutStatus, Recovery, RecoveryStatus
    from backend.models.participants import Citizen, Merchant, ParticipantStatus
    from backend.models.tasks import Claim, ClaimStatus

    def count(q: Any) -> int:
        return int(session.scalar(q) or 0)

    return {
        "approvals": count(select(func.count(Claim.id)).where(Claim.status == ClaimStatus.submitted)),
        "enrolments": count(select(func.count(Citizen.id)).where(Citizen.status == ParticipantStatus.pending))
        + count(select(func.count(Merchant.id)).where(Merchant.status == ParticipantStatus.pending)),
        "payouts": count(
            select(func.count(Payout.id)).where(Payout.status == PayoutStatus.escrowed, Payout.batch_id.is_(None))
        ),
        "recoveries": count(select(func.count(Recovery.id)).where(Recovery.status == RecoveryStatus.awaiting_approval)),
    }
