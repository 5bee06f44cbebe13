# SPDX-License-Identifier: EUPL-1.2
"""Tasks and their claims: commission, claim, withdraw, submit proof, approve (mint via the outbox), reject.

Concurrency: claiming locks the task row (slots are counted under the lock); every claim transition locks
the claim row; approval then locks the citizen row, so two approvals for one citizen cannot both pass the
yearly-cap check. Lock order is always task → claim → citizen. On SQLite, `BEGIN IMMEDIATE` serialises
writers instead.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, exists, func, select, update
from sqlalchemy.orm import Session

from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.models.accounts import User
from backend.models.participants import Citizen, ParticipantStatus
from backend.models.tasks import SLOT_HOLDING, Claim, ClaimStatus, Task, TaskCategory, TaskStatus
from backend.relayer import outbox
from backend.relayer.models import FAILED, Intent
from backend.services import audit, policy, uploads
from backend.services.participants import citizen_of
from backend.services.rows import lock
from heitje.settings import Settings
from indexer import queries
from indexer.models import IdxContractState, IdxTaskReward

log = logging.getLogger(__name__)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
OFFICER_VIEW_ROLES = ("approver", "task_manager", "auditor")


class YearlyCapExceeded(Conflict):
    code, title = "yearly-cap-exceeded", "The reward would exceed the citizen's yearly cap"


def now() -> datetime:
    return datetime.now(UTC)


def civil_year(at: datetime | None = None) -> int:
    """The calendar year in Europe/Amsterdam, as the contract counts it."""
    return (at or now()).astimezone(AMSTERDAM).year


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ───────────────────────────── tasks ─────────────────────────────


@dataclass(frozen=True)
class NewTask:
    title: str
    description: str
    category: str
    neighbourhood: str
    lat: float
    lon: float
    reward_cents: int
    estimated_minutes: int
    slots: int
    claim_deadline: datetime
    kit_note: str
    extra_work: bool
    claim_hours: int | None = None


def create_task(session: Session, actor: User, new: NewTask) -> Task:
    if new.category not in TaskCategory.__members__:
        raise ValidationFailed(f"category must be one of {sorted(TaskCategory.__members__)}", field="category")
    if not new.extra_work:
        raise ValidationFailed("tasks must be extra work that does not replace municipal staff", field="extra_work")
    hourly_max = policy.get(session, "hourly_max_cents")
    # reward / (minutes / 60) <= hourly_max, in integers
    if new.reward_cents * 60 > hourly_max * new.estimated_minutes:
        allowed = hourly_max * new.estimated_minutes // 60
        raise ValidationFailed(
            f"the reward is above the hourly maximum of €{hourly_max / 100:.2f}/h: at most {allowed} cents for "
            f"{new.estimated_minutes} minutes",
            field="reward_cents",
            max_reward_cents=allowed,
        )
    deadline = _aware(new.claim_deadline)
    if deadline <= now():
        raise ValidationFailed("the claim deadline is in the past", field="claim_deadline")
    task = Task(
        title=new.title,
        description=new.description,
        category=new.category,
        neighbourhood=new.neighbourhood,
        lat=new.lat,
        lon=new.lon,
        reward_cents=new.reward_cents,
        estimated_minutes=new.estimated_minutes,
        slots=new.slots,
        claim_deadline=deadline,
        claim_hours=new.claim_hours or policy.get(session, "default_claim_hours"),
        kit_note=new.kit_note,
        extra_work=new.extra_work,
        status=TaskStatus.open,
        created_by=actor.id,
    )
    session.add(task)
    session.flush()
    audit.append(
        session,
        actor_id=actor.id,
        action="task.create",
        subject_type="task",
        subject_id=task.id,
        details={"reward_cents": task.reward_cents, "slots": task.slots},
    )
    return task


def close_task(session: Session, actor: User, task_id: int) -> Task:
    task = session.scalar(select(Task).where(Task.id == task_id).with_for_update())
    if task is None:
        raise NotFound("no such task")
    if task.status != TaskStatus.open:
        raise Conflict("the task is already closed")
    task.status = TaskStatus.closed
    audit.append(session, actor_id=actor.id, action="task.close", subject_type="task", subject_id=task.id)
    return task


def _slot_holding(at: datetime) -> Any:
    """SQL condition: the claim holds a slot at `at`."""
    return and_(
        Claim.status.in_([s.value for s in SLOT_HOLDING]),
        ~and_(Claim.status == ClaimStatus.claimed, Claim.expires_at <= at),
    )


def slots_taken(session: Session, task_ids: list[int]) -> dict[int, int]:
    if not task_ids:
        return {}
    rows = session.execute(
        select(Claim.task_id, func.count())
        .where(Claim.task_id.in_(task_ids), _slot_holding(now()))
        .group_by(Claim.task_id)
    ).all()
    return {int(t): int(n) for t, n in rows}


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class TaskFilter:
    neighbourhood: str | None = None
    category: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    include_closed: bool = False


def list_tasks(
    session: Session, f: TaskFilter, limit: int, offset: int
) -> tuple[list[tuple[Task, int, float | None]], int]:
    """Tasks with (slots taken, distance in km); nearest first when a point is given, else newest first."""
    stmt = select(Task)
    if not f.include_closed:
        stmt = stmt.where(Task.status == TaskStatus.open, Task.claim_deadline > now())
    if f.neighbourhood:
        stmt = stmt.where(Task.neighbourhood == f.neighbourhood)
    if f.category:
        stmt = stmt.where(Task.category == f.category)
    near = f.lat is not None and f.lon is not None
    if near and f.radius_km is not None:
        assert f.lat is not None
        assert f.lon is not None
        dlat = f.radius_km / 111.0
        dlon = f.radius_km / max(1e-6, 111.0 * math.cos(math.radians(f.lat)))
        stmt = stmt.where(Task.lat.between(f.lat - dlat, f.lat + dlat), Task.lon.between(f.lon - dlon, f.lon + dlon))
    if not near:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        page_tasks = list(session.scalars(stmt.order_by(Task.id.desc()).limit(limit).offset(offset)))
        taken = slots_taken(session, [t.id for t in page_tasks])
        return [(t, taken.get(t.id, 0), None) for t in page_tasks], int(total)
    tasks = list(session.scalars(stmt.order_by(Task.id.desc())))
    rows: list[tuple[Task, float | None]] = []
    for t in tasks:
        d = distance_km(f.lat, f.lon, float(t.lat), float(t.lon)) if near else None  # type: ignore[arg-type]
        if d is not None and f.radius_km is not None and d > f.radius_km:
            continue
        rows.append((t, d))
    if near:
        rows.sort(key=lambda r: (r[1], -r[0].id))
    total = len(rows)
    page = rows[offset : offset + limit]
    taken = slots_taken(session, [t.id for t, _ in page])
    return [(t, taken.get(t.id, 0), d) for t, d in page], total


def get_task(session: Session, task_id: int) -> tuple[Task, int]:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("no such task")
    return task, slots_taken(session, [task.id]).get(task.id, 0)


# ───────────────────────────── claims ─────────────────────────────


def _expire_stale(session: Session, task_id: int) -> None:
    session.execute(
        update(Claim)
        .where(Claim.task_id == task_id, Claim.status == ClaimStatus.claimed, Claim.expires_at <= now())
        .values(status=ClaimStatus.expired)
    )


def claim_task(session: Session, user: User, task_id: int) -> Claim:
    citizen = citizen_of(session, user)
    if citizen.status != ParticipantStatus.active:
        raise Conflict(f"your registration is {citizen.status}; only active citizens can claim tasks")
    task = session.scalar(select(Task).where(Task.id == task_id).with_for_update())
    if task is None:
        raise NotFound("no such task")
    at = now()
    if task.status != TaskStatus.open or _aware(task.claim_deadline) <= at:
        raise Conflict("the task no longer takes claims")
    _expire_stale(session, task.id)
    mine = session.scalar(
        select(func.count()).where(Claim.task_id == task.id, Claim.citizen_id == citizen.id, _slot_holding(at))
    )
    if mine:
        raise Conflict("you already claimed this task")
    active = session.scalar(
        select(func.count()).where(
            Claim.citizen_id == citizen.id,
            Claim.status.in_([ClaimStatus.claimed, ClaimStatus.submitted]),
            _slot_holding(at),
        )
    )
    max_active = policy.get(session, "max_active_claims")
    if (active or 0) >= max_active:
        raise Conflict(f"finish or withdraw a claim first: at most {max_active} open claims at a time")
    taken = session.scalar(select(func.count()).where(Claim.task_id == task.id, _slot_holding(at))) or 0
    if taken >= task.slots:
        raise Conflict("every slot of this task is taken")
    claim = Claim(
        task_id=task.id,
        citizen_id=citizen.id,
        status=ClaimStatus.claimed,
        claimed_at=at,
        expires_at=at + timedelta(hours=task.claim_hours),
        note="",
    )
    session.add(claim)
    session.flush()
    return claim


def _lock_claim(session: Session, claim_id: int) -> Claim:
    return lock(session, Claim, claim_id, "no such claim")


def _own_claim(session: Session, user: User, claim_id: int) -> Claim:
    citizen = citizen_of(session, user)
    claim = _lock_claim(session, claim_id)
    if claim.citizen_id != citizen.id:
        raise NotFound("no such claim")
    return claim


def visible_claim(session: Session, user: User, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("no such claim")
    if user.has_role(*OFFICER_VIEW_ROLES):
        return claim
    citizen = session.scalar(select(Citizen).where(Citizen.user_id == user.id))
    if citizen is None or claim.citizen_id != citizen.id:
        raise NotFound("no such claim")
    return claim


def withdraw(session: Session, user: User, claim_id: int) -> Claim:
    claim = _own_claim(session, user, claim_id)
    if claim.status not in (ClaimStatus.claimed, ClaimStatus.submitted):
        raise Conflict(f"a claim that is {effective_status(session, claim)} cannot be withdrawn")
    claim.status = ClaimStatus.withdrawn
    return claim


def submit(session: Session, settings: Settings, user: User, claim_id: int, photo: bytes, note: str) -> Claim:
    claim = _own_claim(session, user, claim_id)
    if claim.status != ClaimStatus.claimed:
        raise Conflict(f"a claim that is {claim.status} takes no (new) proof")
    if _aware(claim.expires_at) <= now():
        raise Conflict("the claim expired; its slot was released")
    media_type = uploads.check_photo(photo, policy.get(session, "max_photo_bytes"))
    claim.photo_sha256 = uploads.store(settings, photo)
    claim.photo_type, claim.photo_bytes = media_type, len(photo)
    claim.note = note
    claim.status = ClaimStatus.submitted
    claim.submitted_at = now()
    return claim


@dataclass(frozen=True)
class Allowance:
    year: int
    cap_cents: int
    earned_cents: int
    pending_cents: int

    @property
    def remaining_cents(self) -> int:
        return max(0, self.cap_cents - self.earned_cents - self.pending_cents)


def _claim_key() -> Any:
    return "claim:" + cast(Claim.id, String)


def allowance(session: Session, citizen: Citizen, at: datetime | None = None) -> Allowance:
    """Indexed earnings this civil year plus approved mints not yet indexed (and not failed)."""
    year = civil_year(at)
    earned = queries.earnings(session, citizen.citizen_id, year)
    cap = session.scalar(select(IdxContractState.yearly_cap).where(IdxContractState.id == 1))
    pending = session.scalar(
        select(func.coalesce(func.sum(Claim.reward_cents), 0)).where(
            Claim.citizen_id == citizen.id,
            Claim.status == ClaimStatus.approved,
            ~exists().where(IdxTaskReward.task_id == cast(Claim.id, String)),
            ~exists().where(Intent.business_key == _claim_key(), Intent.status == FAILED),
        )
    )
    return Allowance(
        year=year,
        cap_cents=int(cap) if cap is not None else policy.get(session, "default_yearly_cap_cents"),
        earned_cents=int(earned or 0),
        pending_cents=int(pending or 0),
    )


def approve(session: Session, actor: User, claim_id: int) -> Claim:
    claim = _lock_claim(session, claim_id)
    if claim.status in (ClaimStatus.approved, ClaimStatus.paid):
        raise Conflict("the claim is already approved")
    if claim.status != ClaimStatus.submitted:
        raise Conflict(f"only a submitted claim can be approved; this one is {claim.status}")
    citizen = session.scalar(select(Citizen).where(Citizen.id == claim.citizen_id).with_for_update())
    assert citizen is not None
    if citizen.status != ParticipantStatus.active or citizen.address is None:
        raise Conflict(f"the citizen is {citizen.status}; rewards go only to active citizens")
    task = session.get(Task, claim.task_id)
    assert task is not None
    amount = int(task.reward_cents)
    left = allowance(session, citizen)
    if amount > left.remaining_cents:
        raise YearlyCapExceeded(
            f"approving would exceed the yearly cap: {left.remaining_cents / 100:.2f} of "
            f"{left.cap_cents / 100:.2f} Heitjes left in {left.year}, the reward is {amount / 100:.2f}",
            remaining_cents=left.remaining_cents,
            reward_cents=amount,
            year=left.year,
        )
    claim.status = ClaimStatus.approved
    claim.reward_cents = amount
    claim.decided_at, claim.decided_by = now(), actor.id
    # The claim id is the on-chain taskId: the contract rewards each taskId at most once, ever.
    outbox.enqueue(
        session,
        business_key=f"claim:{claim.id}",
        action="mintForTask",
        args={"citizen": citizen.address, "amount": amount, "taskId": claim.id},
    )
    audit.append(
        session,
        actor_id=actor.id,
        action="claim.approve",
        subject_type="claim",
        subject_id=claim.id,
        details={"reward_cents": amount, "task_id": task.id},
    )
    return claim


def reject(session: Session, actor: User, claim_id: int, reason: str) -> Claim:
    claim = _lock_claim(session, claim_id)
    if claim.status != ClaimStatus.submitted:
        raise Conflict(f"only a submitted claim can be rejected; this one is {claim.status}")
    claim.status = ClaimStatus.rejected
    claim.reject_reason = reason
    claim.decided_at, claim.decided_by = now(), actor.id
    audit.append(
        session,
        actor_id=actor.id,
        action="claim.reject",
        subject_type="claim",
        subject_id=claim.id,
        details={"reason": reason},
    )
    return claim


def effective_status(session: Session, claim: Claim) -> str:
    """The status as a reader should see it: lazily expired, and paid as soon as the indexer saw the reward."""
    if claim.status == ClaimStatus.claimed and _aware(claim.expires_at) <= now():
        return ClaimStatus.expired
    if claim.status == ClaimStatus.approved and session.get(IdxTaskReward, str(claim.id)) is not None:
        return ClaimStatus.paid
    return claim.status


def mint_state(session: Session, claim: Claim) -> tuple[str | None, str | None]:
    """(relayer status, error name) of the claim's mint, if one was queued."""
    if claim.status not in (ClaimStatus.approved, ClaimStatus.paid):
        return None, None
    intent = outbox.get_intent(session, f"claim:{claim.id}")
    if intent is None:
        return None, None
    return intent.status, intent.error_name


def list_claims(
    session: Session, user: User, status: str | None, task_id: int | None, limit: int, offset: int
) -> tuple[list[Claim], int]:
    stmt = select(Claim)
    if user.has_role(*OFFICER_VIEW_ROLES):
        pass
    else:
        citizen = session.scalar(select(Citizen).where(Citizen.user_id == user.id))
        if citizen is None:
            raise Forbidden("only citizens and officers have claims to see")
        stmt = stmt.where(Claim.citizen_id == citizen.id)
    if task_id is not None:
        stmt = stmt.where(Claim.task_id == task_id)
    if status in (ClaimStatus.expired, ClaimStatus.paid, ClaimStatus.approved, ClaimStatus.claimed):
        # Statuses a reader derives (lazy expiry, paid once indexed): filter after reading the candidates.
        derived_from: dict[str, list[str]] = {
            ClaimStatus.expired: [ClaimStatus.claimed, ClaimStatus.expired],
            ClaimStatus.paid: [ClaimStatus.approved, ClaimStatus.paid],
        }
        stored = derived_from.get(status, [status])
        candidates = session.scalars(stmt.where(Claim.status.in_(stored)).order_by(Claim.id.desc()))
        claims = [c for c in candidates if effective_status(session, c) == status]
        return claims[offset : offset + limit], len(claims)
    if status == ClaimStatus.submitted:
        stmt = stmt.where(Claim.status == status).order_by(Claim.submitted_at, Claim.id)  # the approval queue
    else:
        if status:
            stmt = stmt.where(Claim.status == status)
        stmt = stmt.order_by(Claim.id.desc())
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset))), int(total)


def photo_of(session: Session, settings: Settings, user: User, claim_id: int) -> tuple[bytes, str]:
    claim = visible_claim(session, user, claim_id)
    if claim.photo_sha256 is None or claim.photo_type is None:
        raise NotFound("this claim has no photo")
    try:
        return uploads.read(settings, claim.photo_sha256), claim.photo_type
    except FileNotFoundError as exc:
        raise NotFound("the photo is no longer stored") from exc


# ───────────────────────────── indexer hook ─────────────────────────────


def mark_paid(session: Session, events: Any) -> int:
    """Mark approved claims paid for every `TaskRewarded` in an indexed page (inside the page's transaction)."""
    count = 0
    for event in events:
        if event.name != "TaskRewarded":
            continue
        task_id = int(event.args["taskId"])
        result = session.execute(
            update(Claim)
            .where(Claim.id == task_id, Claim.status == ClaimStatus.approved)
            .values(status=ClaimStatus.paid, paid_at=event.block_time, paid_tx_hash=event.tx_hash)
        )
        count += result.rowcount or 0  # type: ignore[attr-defined]
    return count


def unmark_paid(session: Session, ancestor_block: int) -> None:
    """After a reorg: claims whose reward is no longer indexed go back to approved."""
    session.execute(
        update(Claim)
        .where(Claim.status == ClaimStatus.paid, ~exists().where(IdxTaskReward.task_id == cast(Claim.id, String)))
        .values(status=ClaimStatus.approved, paid_at=None, paid_tx_hash=None)
    )
