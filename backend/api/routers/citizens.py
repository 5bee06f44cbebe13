# SPDX-License-Identifier: EUPL-1.2
"""Citizen registration and enrolment by a registrar (approval queues the on-chain enrolment)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from backend.api.deps import CurrentUser, DbSession, SettingsDep, require_roles
from backend.api.schemas import Page
from backend.api.task_schemas import MAX_ID, CitizenIn, CitizenOut, Decision, PersonalDataOut
from backend.models.accounts import User
from backend.models.participants import Citizen
from backend.services import participants
from heitje.settings import Settings

router = APIRouter(prefix="/api/v1/citizens", tags=["citizens"])

CitizenId = Annotated[int, Path(ge=1, le=MAX_ID)]
Registrar = Annotated[User, Depends(require_roles("registrar"))]
Viewer = Annotated[User, Depends(require_roles("registrar", "auditor"))]


def citizen_out(session: Session, settings: Settings, citizen: Citizen, with_pii: bool) -> CitizenOut:
    out = CitizenOut(
        id=citizen.id,
        user_id=citizen.user_id,
        status=citizen.status,
        postcode4=citizen.postcode4,
        address=citizen.address,
        leaderboard_opt_in=citizen.leaderboard_opt_in,
        created_at=citizen.created_at,
    )
    if with_pii:
        pd = participants.citizen_personal_data(session, settings, citizen)
        out.personal_data = PersonalDataOut(**pd) if pd else None
    return out


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("", status_code=201, response_model=CitizenOut, summary="Register as a citizen (enrolment pending)")
def register(body: CitizenIn, request: Request, session: DbSession, settings: SettingsDep) -> CitizenOut:
    reg = participants.CitizenRegistration(**body.model_dump())
    citizen = participants.register_citizen(session, settings, reg, _client(request))
    return citizen_out(session, settings, citizen, with_pii=True)


@router.get("", response_model=Page[CitizenOut], summary="Registrations and citizens (registrar, auditor)")
def list_citizens(
    session: DbSession,
    settings: SettingsDep,
    user: Viewer,
    status: Annotated[str | None, Query(pattern="^(pending|active|rejected|suspended|erased)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[CitizenOut]:
    rows, total = participants.list_citizens(session, status, limit, offset)
    pii = user.has_role("registrar")
    return Page(items=[citizen_out(session, settings, c, pii) for c in rows], total=total, limit=limit, offset=offset)


@router.get("/{citizen_id}", response_model=CitizenOut, summary="One citizen (the citizen or a registrar)")
def get_citizen(citizen_id: CitizenId, session: DbSession, settings: SettingsDep, user: CurrentUser) -> CitizenOut:
    citizen = participants.get_citizen(session, user, citizen_id)
    pii = citizen.user_id == user.id or user.has_role("registrar")
    return citizen_out(session, settings, citizen, pii)


@router.post(
    "/{citizen_id}/approve",
    response_model=CitizenOut,
    summary="Approve a registration: custodial wallet + on-chain enrolment (registrar)",
)
def approve(citizen_id: CitizenId, session: DbSession, settings: SettingsDep, user: Registrar) -> CitizenOut:
    citizen = participants.approve_citizen(session, settings, user, citizen_id)
    return citizen_out(session, settings, citizen, with_pii=False)


@router.post("/{citizen_id}/reject", response_model=CitizenOut, summary="Refuse a registration (registrar)")
def reject(
    citizen_id: CitizenId, body: Decision, session: DbSession, settings: SettingsDep, user: Registrar
) -> CitizenOut:
    return citizen_out(session, settings, participants.reject_citizen(session, user, citizen_id, body.reason), False)


@router.post("/{citizen_id}/suspend", response_model=CitizenOut, summary="Suspend a citizen on-chain (registrar)")
def suspend(citizen_id: CitizenId, session: DbSession, settings: SettingsDep, user: Registrar) -> CitizenOut:
    return citizen_out(session, settings, participants.suspend_citizen(session, user, citizen_id, True), False)


@router.post("/{citizen_id}/reinstate", response_model=CitizenOut, summary="Reinstate a suspended citizen")
def reinstate(citizen_id: CitizenId, session: DbSession, settings: SettingsDep, user: Registrar) -> CitizenOut:
    return citizen_out(session, settings, participants.suspend_citizen(session, user, citizen_id, False), False)
