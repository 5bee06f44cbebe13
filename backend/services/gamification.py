# SPDX-License-Identifier: EUPL-1.2
"""Recognition without money: badges and a "handyman of the month" per neighbourhood, computed from
approved tasks. Nothing here ever mints, and no amounts are shown: only counts of tasks done."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models.accounts import User
from backend.models.participants import Citizen
from backend.models.tasks import Claim, ClaimStatus, Task

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DONE = (ClaimStatus.approved, ClaimStatus.paid)
ANONYMOUS = "a neighbour"


@dataclass(frozen=True)
class Badge:
    code: str
    title: str
    description: str


COUNT_BADGES = (
    (1, Badge("first-task", "First task", "Your first task approved")),
    (5, Badge("five-tasks", "Regular", "Five tasks approved")),
    (10, Badge("ten-tasks", "Local hero", "Ten tasks approved")),
    (25, Badge("twenty-five-tasks", "Pillar of the neighbourhood", "Twenty-five tasks approved")),
)
CATEGORY_BADGES = {
    "litter": Badge("litter-picker", "Litter picker", "Three litter tasks approved"),
    "greenery": Badge("green-fingers", "Green fingers", "Three greenery tasks approved"),
    "graffiti": Badge("clean-walls", "Clean walls", "Three graffiti tasks approved"),
    "social": Badge("good-neighbour", "Good neighbour", "Three social tasks approved"),
}
ALL_ROUNDER = Badge("all-rounder", "All-rounder", "Tasks approved in three different categories")


def badges(session: Session, citizen: Citizen) -> list[Badge]:
    categories = Counter(
        str(c)
        for c in session.scalars(
            select(Task.category)
            .join(Claim, Claim.task_id == Task.id)
            .where(Claim.citizen_id == citizen.id, Claim.status.in_([s.value for s in DONE]))
        )
    )
    done = sum(categories.values())
    earned = [badge for threshold, badge in COUNT_BADGES if done >= threshold]
    earned += [badge for cat, badge in CATEGORY_BADGES.items() if categories.get(cat, 0) >= 3]
    if len(categories) >= 3:
        earned.append(ALL_ROUNDER)
    return earned


@dataclass(frozen=True)
class Standing:
    citizen_id: int
    display_name: str
    tasks: int


@dataclass(frozen=True)
class Neighbourhood:
    neighbourhood: str
    handyman: Standing
    top: list[Standing]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=AMSTERDAM)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=AMSTERDAM)
    return start.astimezone(UTC), end.astimezone(UTC)


def leaderboard(
    session: Session, year: int, month: int, neighbourhood: str | None, top: int = 5
) -> list[Neighbourhood]:
    """Per neighbourhood (of the task), who had the most tasks approved in the month (Amsterdam time).

    Ties go to whoever reached the count first. Names only for citizens who opted in."""
    start, end = month_bounds(year, month)
    stmt = (
        select(Task.neighbourhood, Claim.citizen_id, Claim.decided_at)
        .join(Task, Task.id == Claim.task_id)
        .where(Claim.status.in_([s.value for s in DONE]), Claim.decided_at >= start, Claim.decided_at < end)
    )
    if neighbourhood:
        stmt = stmt.where(Task.neighbourhood == neighbourhood)
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    reached: dict[tuple[str, int], datetime] = {}
    for hood, cid, decided in session.execute(stmt.order_by(Claim.decided_at, Claim.id)):
        counts[str(hood)][int(cid)] += 1
        reached[(str(hood), int(cid))] = decided or start
    ids = {cid for c in counts.values() for cid in c}
    names: dict[int, str] = {}
    if ids:
        for cid, opt_in, name in session.execute(
            select(Citizen.id, Citizen.leaderboard_opt_in, User.display_name)
            .join(User, User.id == Citizen.user_id)
            .where(Citizen.id.in_(ids))
        ):
            names[int(cid)] = str(name) if opt_in and name else ANONYMOUS
    out: list[Neighbourhood] = []
    for hood in sorted(counts):
        ranked = sorted(counts[hood].items(), key=lambda kv: (-kv[1], reached[(hood, kv[0])], kv[0]))
        standings = [Standing(cid, names.get(cid, ANONYMOUS), n) for cid, n in ranked[:top]]
        out.append(Neighbourhood(hood, standings[0], standings))
    return out
