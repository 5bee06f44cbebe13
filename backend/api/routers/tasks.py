# SPDX-License-Identifier: EUPL-1.2
"""Tasks: task managers commission them; citizens find them (by neighbourhood, category, distance) and claim."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from backend.api.deps import CitizenUser, CurrentUser, DbSession, require_roles
from backend.api.routers.claims import claim_out
from backend.api.schemas import Page
from backend.api.task_schemas import MAX_ID, ClaimOut, TaskCategoryName, TaskIn, TaskOut
from backend.models.accounts import User
from backend.models.tasks import Task
from backend.services import ratelimit
from backend.services import tasks as service

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
TaskManager = Annotated[User, Depends(require_roles("task_manager"))]


def task_out(task: Task, taken: int, distance: float | None = None) -> TaskOut:
    return TaskOut(
        id=task.id,
        title=task.title,
        description=task.description,
        category=task.category,
        neighbourhood=task.neighbourhood,
        lat=float(task.lat),
        lon=float(task.lon),
        reward_cents=task.reward_cents,
        estimated_minutes=task.estimated_minutes,
        slots=task.slots,
        slots_left=max(0, task.slots - taken),
        claim_deadline=task.claim_deadline,
        claim_hours=task.claim_hours,
        kit_note=task.kit_note,
        extra_work=task.extra_work,
        status=task.status,
        distance_km=None if distance is None else round(distance, 3),
    )


@router.get("", response_model=Page[TaskOut], summary="Open tasks; filter by neighbourhood, category, distance")
def list_tasks(
    session: DbSession,
    user: CurrentUser,
    neighbourhood: Annotated[str | None, Query(pattern=r"^[1-9][0-9]{3}$")] = None,
    category: TaskCategoryName | None = None,
    lat: Annotated[float | None, Query(ge=-90, le=90, allow_inf_nan=False)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180, allow_inf_nan=False)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=100, allow_inf_nan=False)] = None,
    include_closed: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[TaskOut]:
    f = service.TaskFilter(
        neighbourhood,
        category,
        lat,
        lon,
        radius_km,
        include_closed and user.has_role("task_manager", "approver", "auditor"),
    )
    rows, total = service.list_tasks(session, f, limit, offset)
    return Page(items=[task_out(t, n, d) for t, n, d in rows], total=total, limit=limit, offset=offset)


@router.post("", status_code=201, response_model=TaskOut, summary="Commission a task (task manager)")
def create_task(body: TaskIn, session: DbSession, user: TaskManager) -> TaskOut:
    task = service.create_task(session, user, service.NewTask(**body.model_dump()))
    return task_out(task, 0)


@router.get("/{task_id}", response_model=TaskOut, summary="One task")
def get_task(task_id: TaskId, session: DbSession, _: CurrentUser) -> TaskOut:
    task, taken = service.get_task(session, task_id)
    return task_out(task, taken)


@router.post("/{task_id}/close", response_model=TaskOut, summary="Stop taking claims (task manager)")
def close_task(task_id: TaskId, session: DbSession, user: TaskManager) -> TaskOut:
    task = service.close_task(session, user, task_id)
    return task_out(task, service.get_task(session, task_id)[1])


@router.post(
    "/{task_id}/claims", status_code=201, response_model=ClaimOut, summary="Claim one slot of a task (active citizen)"
)
def claim(task_id: TaskId, session: DbSession, user: CitizenUser) -> ClaimOut:
    ratelimit.hit(session, f"claim:{user.id}", 30, 3600)
    return claim_out(session, service.claim_task(session, user, task_id))
