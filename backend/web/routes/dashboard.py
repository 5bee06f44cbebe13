# SPDX-License-Identifier: EUPL-1.2
"""Municipality dashboard: tasks and the approval queue, enrolment, settlement batches (SEPA, four-eyes),
recoveries, the pause control, charts, audit log, reconciliation, statistics and handyman of the month.

Every page checks the officer's role here, as the API does; the services enforce the business rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from backend.api.deps import DbSession, SettingsDep
from backend.errors import BackendError, NotFound, ValidationFailed
from backend.web import queries
from backend.web.feedback import problem_text
from backend.web.i18n import TZ
from backend.web.render import render
from backend.web.session import Csrf, OfficerPage, need_role

router = APIRouter(prefix="/dashboard", include_in_schema=False)
APP = "dashboard"


def _failed(request: Request, session: DbSession, exc: BackendError, template: str, **context: Any) -> Response:
    session.rollback()
    message, detail = problem_text(exc)
    return render(request, template, status_code=exc.status, app=APP, error=message, error_detail=detail, **context)


def _back(path: str, done: str) -> Response:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


@router.get("")
def root() -> Response:
    return RedirectResponse("/dashboard/", status_code=307)


# ─────────────────────────── overview, pause ───────────────────────────


def _overview(session: DbSession) -> dict[str, Any]:
    from backend.services import reporting

    charts = queries.charts(session)
    return {"charts": charts, "counts": queries.queue_counts(session), "pause": queries.pause_state(session),
            "rec": reporting.reconciliation(session), "liability": reporting.liability(session)}  # fmt: skip


@router.get("/")
def overview(request: Request, session: DbSession, user: OfficerPage) -> Response:
    return render(request, "dashboard/overview.html", app=APP, user=user, **_overview(session))


@router.post("/pause", dependencies=[Csrf])
def pause(
    request: Request, session: DbSession, user: OfficerPage, reason: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    from backend.services import governance

    need_role(user, "pauser")
    try:
        governance.set_paused(session, user, True, reason)
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/overview.html", user=user, **_overview(session))
    return _back("/dashboard/", "paused")


@router.post("/unpause", dependencies=[Csrf])
def unpause(request: Request, session: DbSession, user: OfficerPage) -> Response:
    from backend.services import governance

    need_role(user, "pauser")
    try:
        governance.set_paused(session, user, False, "")
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/overview.html", user=user, **_overview(session))
    return _back("/dashboard/", "unpaused")


# ─────────────────────────── tasks ───────────────────────────


def _tasks(session: DbSession) -> dict[str, Any]:
    from backend.models.tasks import TaskCategory
    from backend.services import policy

    return {"rows": queries.all_tasks(session), "categories": list(TaskCategory),
            "hourly_max": policy.get(session, "hourly_max_cents")}  # fmt: skip


@router.get("/tasks")
def tasks(request: Request, session: DbSession, user: OfficerPage) -> Response:
    default_deadline = (datetime.now(TZ) + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    return render(request, "dashboard/tasks.html", app=APP, user=user, values={"claim_deadline": default_deadline},
                  **_tasks(session))  # fmt: skip


def _num(value: str, kind: type[int] | type[float], field: str) -> Any:
    try:
        return kind(value.replace(",", ".") if kind is float else value)
    except ValueError as exc:
        raise ValidationFailed(f"{field} is not a number", field=field) from exc


@router.post("/tasks", dependencies=[Csrf])
async def create_task(request: Request, session: DbSession, user: OfficerPage) -> Response:
    from backend.services import tasks as task_service
    from backend.web.routes.merchant import parse_cents

    need_role(user, "task_manager")
    form = await request.form()
    keys = ("title", "description", "category", "neighbourhood", "lat", "lon", "reward", "estimated_minutes", "slots",
            "claim_deadline", "kit_note")  # fmt: skip
    values = {k: str(form.get(k, "")).strip() for k in keys}
    values["extra_work"] = "yes" if form.get("extra_work") == "yes" else ""
    try:
        try:
            deadline = datetime.fromisoformat(values["claim_deadline"]).replace(tzinfo=TZ)
        except ValueError as exc:
            raise ValidationFailed("the claim deadline is not a date and time", field="claim_deadline") from exc
        new = task_service.NewTask(
            title=values["title"][:120], description=values["description"][:4000], category=values["category"],
            neighbourhood=values["neighbourhood"][:4], lat=_num(values["lat"], float, "lat"),
            lon=_num(values["lon"], float, "lon"), reward_cents=parse_cents(values["reward"]),
            estimated_minutes=_num(values["estimated_minutes"], int, "estimated_minutes"),
            slots=_num(values["slots"], int, "slots"), claim_deadline=deadline.astimezone(UTC),
            kit_note=values["kit_note"][:500], extra_work=bool(values["extra_work"]),
        )  # fmt: skip
        if not new.title or not new.description:
            raise ValidationFailed("a task needs a title and a description", field="title")
        if not (len(new.neighbourhood) == 4 and new.neighbourhood.isdigit()):
            raise ValidationFailed("the neighbourhood is a 4-digit postcode", field="neighbourhood")
        if not (1 <= new.slots <= 1000 and 1 <= new.estimated_minutes <= 24 * 60):
            raise ValidationFailed("slots or minutes out of range", field="slots")
        task_service.create_task(session, user, new)
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/tasks.html", user=user, values=values, **_tasks(session))
    return _back("/dashboard/tasks", "task-created")


@router.post("/tasks/{task_id}/close", dependencies=[Csrf])
def close_task(request: Request, session: DbSession, user: OfficerPage, task_id: int) -> Response:
    from backend.services import tasks as task_service

    need_role(user, "task_manager")
    task_service.close_task(session, user, task_id)
    return RedirectResponse("/dashboard/tasks", status_code=303)


# ─────────────────────────── approvals ───────────────────────────


@router.get("/approvals")
def approvals(request: Request, session: DbSession, user: OfficerPage) -> Response:
    need_role(user, "approver")
    return render(request, "dashboard/approvals.html", app=APP, user=user, rows=queries.approval_queue(session))


def _claim(session: DbSession, claim_id: int) -> dict[str, Any]:
    from backend.models.participants import Citizen
    from backend.services.tasks import allowance, effective_status

    found = queries.claim_with_task(session, claim_id)
    if found is None:
        raise NotFound("no such claim")
    claim, task = found
    citizen = session.get(Citizen, claim.citizen_id)
    return {"claim": claim, "task": task, "status": effective_status(session, claim),
            "allowance": allowance(session, citizen) if citizen else None}  # fmt: skip


@router.get("/approvals/{claim_id}")
def approval(request: Request, session: DbSession, user: OfficerPage, claim_id: int) -> Response:
    need_role(user, "approver")
    return render(request, "dashboard/approval.html", app=APP, user=user, **_claim(session, claim_id))


@router.get("/claims/{claim_id}/photo")
def photo(session: DbSession, settings: SettingsDep, user: OfficerPage, claim_id: int) -> Response:
    from backend.services import tasks as task_service

    need_role(user, "approver", "auditor")
    data, media_type = task_service.photo_of(session, settings, user, claim_id)
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=3600",
                                                          "X-Content-Type-Options": "nosniff"})  # fmt: skip


@router.post("/approvals/{claim_id}/approve", dependencies=[Csrf])
def approve(request: Request, session: DbSession, user: OfficerPage, claim_id: int) -> Response:
    from backend.services import tasks as task_service

    need_role(user, "approver")
    try:
        task_service.approve(session, user, claim_id)
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/approval.html", user=user, **_claim(session, claim_id))
    return _back("/dashboard/approvals", "approved")


@router.post("/approvals/{claim_id}/reject", dependencies=[Csrf])
def reject(
    request: Request, session: DbSession, user: OfficerPage, claim_id: int,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:  # fmt: skip
    from backend.services import tasks as task_service

    need_role(user, "approver")
    try:
        if not reason.strip():
            raise ValidationFailed("give the citizen a reason", field="reason")
        task_service.reject(session, user, claim_id, reason.strip())
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/approval.html", user=user, **_claim(session, claim_id))
    return _back("/dashboard/approvals", "rejected")


# ─────────────────────────── enrolment ───────────────────────────


def _enrolments(session: DbSession, settings: SettingsDep) -> dict[str, Any]:
    from backend.services import participants

    citizens, _ = participants.list_citizens(session, "pending", 100, 0)
    merchants, _ = participants.list_merchants(session, "pending", 100, 0)
    people = [(c, participants.citizen_personal_data(session, settings, c) or {}) for c in citizens]
    return {"citizens": people, "merchants": merchants}


@router.get("/enrolments")
def enrolments(request: Request, session: DbSession, settings: SettingsDep, user: OfficerPage) -> Response:
    need_role(user, "registrar")
    return render(request, "dashboard/enrolments.html", app=APP, user=user, **_enrolments(session, settings))


@router.post("/enrolments/{kind}/{ident}/{decision}", dependencies=[Csrf])
def decide_enrolment(
    request: Request, session: DbSession, settings: SettingsDep, user: OfficerPage, kind: str, ident: int,
    decision: str, reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    from backend.services import participants

    need_role(user, "registrar")
    if kind not in ("citizen", "merchant") or decision not in ("approve", "reject"):
        raise NotFound("no such action")
    try:
        if decision == "approve":
            if kind == "citizen":
                participants.approve_citizen(session, settings, user, ident)
            else:
                participants.approve_merchant(session, settings, user, ident)
        else:
            if not reason.strip():
                raise ValidationFailed("give a reason for the rejection", field="reason")
            if kind == "citizen":
                participants.reject_citizen(session, user, ident, reason.strip())
            else:
                participants.reject_merchant(session, user, ident, reason.strip())
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/enrolments.html", user=user, **_enrolments(session, settings))
    return _back("/dashboard/enrolments", "enrolled" if decision == "approve" else "enrolment-rejected")


# ─────────────────────────── settlement ───────────────────────────


def _settlement(session: DbSession) -> dict[str, Any]:
    from backend.services import settlement

    waiting, _ = settlement.all_payouts(session, "escrowed", 500, 0)
    requested, _ = settlement.all_payouts(session, "requested", 500, 0)
    batches, _ = settlement.list_batches(session, 50, 0)
    names = {m: settlement.merchant_name(session, m) for m in {p.merchant_id for p in waiting + requested}}
    return {"waiting": waiting, "requested": requested, "batches": batches, "names": names,
            "today": queries.amsterdam_today()}  # fmt: skip


@router.get("/settlement")
def settlement_page(request: Request, session: DbSession, user: OfficerPage) -> Response:
    need_role(user, "settlement_officer", "auditor")
    return render(request, "dashboard/settlement.html", app=APP, user=user, **_settlement(session))


@router.post("/settlement", dependencies=[Csrf])
def build_batch(
    request: Request, session: DbSession, settings: SettingsDep, user: OfficerPage,
    execution_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:  # fmt: skip
    from backend.services import settlement

    need_role(user, "settlement_officer")
    try:
        try:
            day = date.fromisoformat(execution_date)
        except ValueError as exc:
            raise ValidationFailed("the execution date is not a date", field="execution_date") from exc
        batch = settlement.create_batch(session, settings, user, day)
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/settlement.html", user=user, **_settlement(session))
    return _back(f"/dashboard/settlement/{batch.id}", "batch-built")


def _batch(session: DbSession, batch_id: int) -> dict[str, Any]:
    from backend.services import settlement

    batch = settlement.get_batch(session, batch_id)
    lines = settlement.batch_lines(session, batch_id)
    names = queries.officer_names(session, {batch.created_by, batch.approved_by or 0, batch.confirmed_by or 0})
    return {"batch": batch, "lines": lines, "officers": names}


@router.get("/settlement/{batch_id}")
def batch_page(request: Request, session: DbSession, user: OfficerPage, batch_id: int) -> Response:
    need_role(user, "settlement_officer", "auditor")
    return render(request, "dashboard/batch.html", app=APP, user=user, **_batch(session, batch_id))


@router.post("/settlement/{batch_id}/{action}", dependencies=[Csrf])
async def batch_action(request: Request, session: DbSession, user: OfficerPage, batch_id: int, action: str) -> Response:
    from backend.services import settlement

    need_role(user, "settlement_officer")
    form = await request.form()
    done = {"approve": "batch-approved", "confirm": "batch-confirmed", "reject-line": "line-rejected"}.get(action)
    if done is None:
        raise NotFound("no such action")
    try:
        if action == "approve":
            settlement.approve_batch(session, user, batch_id)
        elif action == "confirm":
            failed_ids = [str(v) for v in form.getlist("failed")]
            reason = str(form.get("failed_reason", "")).strip() or "rejected by the bank"
            lines = [settlement.FailedLine(payout=pid, reason=reason) for pid in failed_ids]
            settlement.confirm_batch(session, user, batch_id, str(form.get("bank_reference", "")).strip(), lines)
        else:
            reason = str(form.get("reason", "")).strip()
            if not reason:
                raise ValidationFailed("give a reason for rejecting the line", field="reason")
            settlement.reject_line(session, user, batch_id, str(form.get("payout", "")), reason)
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/batch.html", user=user, **_batch(session, batch_id))
    return _back(f"/dashboard/settlement/{batch_id}", done)


# ─────────────────────────── recoveries ───────────────────────────


def _recoveries(session: DbSession) -> dict[str, Any]:
    from backend.services import governance

    rows, total = governance.list_recoveries(session, 100, 0)
    return {"rows": rows, "total": total,
            "officers": queries.officer_names(session, {r.requested_by for r in rows})}  # fmt: skip


@router.get("/recoveries")
def recoveries(request: Request, session: DbSession, user: OfficerPage) -> Response:
    need_role(user, "recovery_officer")
    return render(request, "dashboard/recoveries.html", app=APP, user=user, values={}, **_recoveries(session))


@router.post("/recoveries", dependencies=[Csrf])
def start_recovery(
    request: Request, session: DbSession, user: OfficerPage,
    citizen: Annotated[str, Form(max_length=12)] = "", reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    from backend.services import governance

    need_role(user, "recovery_officer")
    try:
        if not citizen.strip().isdigit():
            raise ValidationFailed("the citizen number is a number", field="citizen")
        governance.start_recovery(session, user, int(citizen), reason.strip())
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/recoveries.html", user=user,
                       values={"citizen": citizen, "reason": reason}, **_recoveries(session))  # fmt: skip
    return _back("/dashboard/recoveries", "recovery-started")


@router.post("/recoveries/{recovery_id}/{decision}", dependencies=[Csrf])
def decide_recovery(
    request: Request, session: DbSession, user: OfficerPage, recovery_id: int, decision: str
) -> Response:
    from backend.services import governance

    need_role(user, "recovery_officer")
    if decision not in ("approve", "reject"):
        raise NotFound("no such action")
    try:
        governance.decide_recovery(session, user, recovery_id, decision == "approve")
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "dashboard/recoveries.html", user=user, values={},
                       **_recoveries(session))  # fmt: skip
    return _back("/dashboard/recoveries", "recovery-approved" if decision == "approve" else "enrolment-rejected")


# ─────────────────────────── audit, reconciliation, statistics ───────────────────────────


@router.get("/audit")
def audit_log(request: Request, session: DbSession, user: OfficerPage, page: int = 0, action: str = "") -> Response:
    from backend.services import audit

    need_role(user, "auditor")
    page = max(0, page)
    rows, total = queries.audit_entries(session, limit=50, offset=page * 50, action=action[:64])
    return render(request, "dashboard/audit.html", app=APP, user=user, rows=rows, total=total, page=page,
                  action=action, check=audit.verify(session),
                  officers=queries.officer_names(session, {r.actor_id or 0 for r in rows}))  # fmt: skip


@router.get("/reconciliation")
def reconciliation(request: Request, session: DbSession, user: OfficerPage) -> Response:
    from backend.services import reporting
    from indexer import queries as idx

    need_role(user, "auditor", "settlement_officer")
    return render(request, "dashboard/reconciliation.html", app=APP, user=user, rec=reporting.reconciliation(session),
                  liability=reporting.liability(session), cursor=idx.status(session))  # fmt: skip


@router.get("/stats")
def stats(request: Request, session: DbSession, settings: SettingsDep, user: OfficerPage) -> Response:
    from backend.services import reporting

    need_role(user, "auditor")
    rows = reporting.statistics(session, settings.stats_min_cell)
    return render(request, "dashboard/stats.html", app=APP, user=user, rows=rows[-200:], total=len(rows),
                  min_cell=settings.stats_min_cell)  # fmt: skip


@router.get("/handyman")
def handyman(request: Request, session: DbSession, user: OfficerPage, month: str = "") -> Response:
    from backend.services import gamification

    today = queries.amsterdam_today()
    try:
        year, mon = (int(x) for x in month.split("-")) if month else (today.year, today.month)
        datetime.combine(date(year, mon, 1), time())
    except ValueError:
        year, mon = today.year, today.month
    board = gamification.leaderboard(session, year, mon, None)
    prev = date(year, mon, 1) - timedelta(days=1)
    return render(request, "dashboard/handyman.html", app=APP, user=user, board=board, year=year, month=mon,
                  prev=f"{prev.year}-{prev.month:02d}")  # fmt: skip
