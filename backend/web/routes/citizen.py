# SPDX-License-Identifier: EUPL-1.2
"""Citizen app: wallet, tasks (list and by distance), claims with photo proof, paying a shop by QR code or
short code with the PIN, history and the yearly earnings statement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from backend.api.deps import DbSession, SettingsDep, get_ledger
from backend.errors import BackendError, NotFound
from backend.web import queries
from backend.web.feedback import problem_text
from backend.web.render import render
from backend.web.session import CitizenPage, Csrf, OptionalPageUser

router = APIRouter(prefix="/citizen", include_in_schema=False)
APP = "citizen"


def _failed(request: Request, session: DbSession, exc: BackendError, template: str, **context: object) -> Response:
    session.rollback()
    message, detail = problem_text(exc)
    return render(request, template, status_code=exc.status, app=APP, error=message, error_detail=detail, **context)


def _claims(session: DbSession, user: CitizenPage, limit: int) -> list[tuple[Any, Any, str]]:
    """(claim, task, status as the citizen should see it), newest first."""
    from backend.services.tasks import effective_status

    return [(c, t, effective_status(session, c)) for c, t in queries.citizen_claims(session, user, limit=limit)]


def _task_page(session: DbSession, user: CitizenPage, task_id: int) -> dict[str, Any]:
    from backend.services import tasks as task_service

    row, taken = task_service.get_task(session, task_id)
    mine = [c for c, t, s in _claims(session, user, 100) if t.id == row.id and s in ("claimed", "submitted")]
    return {"task": row, "slots_left": row.slots - taken, "my_claim": mine[0] if mine else None}


@router.get("")
def root() -> Response:
    return RedirectResponse("/citizen/", status_code=307)


@router.get("/")
def home(request: Request, session: DbSession, user: CitizenPage) -> Response:
    wallet = queries.wallet(session, user, history=5)
    claims = [(c, t, s) for c, t, s in _claims(session, user, 20) if s in ("claimed", "submitted", "approved")]
    return render(request, "citizen/home.html", app=APP, user=user, wallet=wallet, claims=claims)


@router.get("/register")
def register_form(request: Request, user: OptionalPageUser) -> Response:
    return render(request, "citizen/register.html", app="public", user=user, values={})


@router.post("/register", dependencies=[Csrf])
async def register(request: Request, session: DbSession, settings: SettingsDep) -> Response:
    from backend.services.participants import CitizenRegistration, register_citizen

    request.state.db = session
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("name", "display_name", "email", "phone", "postcode4",
                                                          "birth_year")}  # fmt: skip
    password, pin = str(form.get("password", "")), str(form.get("pin", ""))
    client = request.client.host if request.client else "unknown"
    try:
        birth_year = int(values["birth_year"]) if values["birth_year"].isdigit() else 0
        reg = CitizenRegistration(email=values["email"], password=password, pin=pin, name=values["name"],
                                  phone=values["phone"], postcode4=values["postcode4"], birth_year=birth_year,
                                  display_name=values["display_name"],
                                  leaderboard_opt_in=form.get("leaderboard") == "yes")  # fmt: skip
        register_citizen(session, settings, reg, client)
    except BackendError as exc:
        return _failed(request, session, exc, "citizen/register.html", values=values)
    return RedirectResponse("/login?next=/citizen/&done=registered", status_code=303)


# ─────────────────────────── tasks ───────────────────────────


@router.get("/tasks")
def tasks(
    request: Request,
    session: DbSession,
    user: CitizenPage,
    neighbourhood: str = "",
    category: str = "",
    lat: str = "",
    lon: str = "",
    sort: str = "deadline",
) -> Response:
    from backend.models.tasks import TaskCategory

    def coord(value: str, limit: float) -> float | None:
        try:
            f = float(value)
        except ValueError:
            return None
        return f if -limit <= f <= limit else None

    la, lo = coord(lat, 90), coord(lon, 180)
    if sort == "distance" and (la is None or lo is None):
        la = lo = None
    rows = queries.open_tasks(session, neighbourhood=neighbourhood[:4], category=category[:16], lat=la, lon=lo)
    return render(request, "citizen/tasks.html", app=APP, user=user, rows=rows, categories=list(TaskCategory),
                  hoods=queries.neighbourhoods(session), neighbourhood=neighbourhood, category=category,
                  lat=lat if la is not None else "", lon=lon if lo is not None else "",
                  by_distance=la is not None)  # fmt: skip


@router.get("/tasks/{task_id}")
def task(request: Request, session: DbSession, user: CitizenPage, task_id: int) -> Response:
    return render(request, "citizen/task.html", app=APP, user=user, **_task_page(session, user, task_id))


@router.post("/tasks/{task_id}/claim", dependencies=[Csrf])
def claim(request: Request, session: DbSession, user: CitizenPage, task_id: int) -> Response:
    from backend.services import tasks as task_service

    try:
        made = task_service.claim_task(session, user, task_id)
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "citizen/task.html", user=user, **_task_page(session, user, task_id))
    return RedirectResponse(f"/citizen/claims/{made.id}?done=claimed", status_code=303)


@router.get("/claims/{claim_id}")
def claim_page(request: Request, session: DbSession, user: CitizenPage, claim_id: int) -> Response:
    return render(request, "citizen/claim.html", app=APP, user=user, **_claim_page(session, user, claim_id))


def _claim_page(session: DbSession, user: CitizenPage, claim_id: int) -> dict[str, Any]:
    from backend.services.tasks import effective_status

    found = queries.citizen_claim(session, user, claim_id)
    if found is None:
        raise NotFound("no such claim")
    return {"claim": found[0], "task": found[1], "status": effective_status(session, found[0])}


@router.post("/claims/{claim_id}/submission", dependencies=[Csrf])
async def submit(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: CitizenPage,
    claim_id: int,
    photo: Annotated[UploadFile, File()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    from backend.services import tasks as task_service

    data = await photo.read()
    try:
        task_service.submit(session, settings, user, claim_id, data, note.strip())
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "citizen/claim.html", user=user, **_claim_page(session, user, claim_id))
    return RedirectResponse(f"/citizen/claims/{claim_id}?done=submitted", status_code=303)


@router.post("/claims/{claim_id}/withdraw", dependencies=[Csrf])
def withdraw(request: Request, session: DbSession, user: CitizenPage, claim_id: int) -> Response:
    from backend.services import tasks as task_service

    try:
        task_service.withdraw(session, user, claim_id)
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "citizen/claim.html", user=user, **_claim_page(session, user, claim_id))
    return RedirectResponse("/citizen/history?done=withdrawn", status_code=303)


# ─────────────────────────── history ───────────────────────────


@router.get("/history")
def history(request: Request, session: DbSession, user: CitizenPage) -> Response:
    wallet = queries.wallet(session, user, history=100)
    return render(
        request, "citizen/history.html", app=APP, user=user, wallet=wallet, claims=_claims(session, user, 100)
    )


# ─────────────────────────── paying ───────────────────────────


@router.get("/pay")
def pay_start(request: Request, user: CitizenPage, code: str = "") -> Response:
    code = "".join(ch for ch in code.upper() if ch.isalnum())[:16]
    if code:
        return RedirectResponse(f"/citizen/pay/{code}", status_code=303)
    return render(request, "citizen/pay.html", app=APP, user=user)


def _request_view(session: DbSession, user: CitizenPage, code: str) -> object:
    from backend.services import payments

    return payments.view_request(session, user, code)


@router.get("/pay/{code}")
def pay_confirm(request: Request, session: DbSession, user: CitizenPage, code: str) -> Response:
    try:
        view = _request_view(session, user, code)
    except BackendError as exc:
        return _failed(request, session, exc, "citizen/pay.html", user=user, code=code)
    wallet = queries.wallet(session, user, history=0)
    return render(request, "citizen/pay_confirm.html", app=APP, user=user, view=view, wallet=wallet, code=code)


@router.post("/pay/{code}", dependencies=[Csrf])
def pay(
    request: Request,
    session: DbSession,
    user: CitizenPage,
    code: str,
    pin: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    from backend.services import payments

    try:
        payments.pay(session, get_ledger(request), user, code, pin)
    except BackendError as exc:
        session.rollback()
        message, detail = problem_text(exc)
        try:
            view = _request_view(session, user, code)
        except BackendError:
            return _failed(request, session, exc, "citizen/pay.html", user=user, code=code)
        wallet = queries.wallet(session, user, history=0)
        return render(request, "citizen/pay_confirm.html", status_code=exc.status, app=APP, user=user, view=view,
                      wallet=wallet, code=code, error=message, error_detail=detail)  # fmt: skip
    return RedirectResponse(f"/citizen/pay/{code}?done=paid", status_code=303)


# ─────────────────────────── statement ───────────────────────────


@router.get("/statement")
def statements(request: Request, session: DbSession, user: CitizenPage) -> Response:
    from backend.services.participants import citizen_of
    from indexer import queries as idx

    citizen = citizen_of(session, user)
    years = idx.earnings_by_year(session, citizen.citizen_id)
    this_year = queries.amsterdam_today().year
    years.setdefault(this_year, 0)
    cap = queries.wallet(session, user, history=0).cap
    return render(request, "citizen/statement.html", app=APP, user=user, years=sorted(years.items(), reverse=True),
                  cap=cap)  # fmt: skip
