# SPDX-License-Identifier: EUPL-1.2
"""Administration: officers and their roles, and run-time policy (hourly maximum, claim window, …)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from backend.api.deps import DbSession, SettingsDep, require_roles
from backend.api.task_schemas import MAX_ID, OfficerIn, OfficerOut, PolicyIn, RolesIn
from backend.models.accounts import User
from backend.services import officers, policy

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

Admin = Annotated[User, Depends(require_roles("admin"))]


def officer_out(u: User) -> OfficerOut:
    return OfficerOut(id=u.id, display_name=u.display_name, roles=list(u.roles), status=u.status)


@router.get("/officers", response_model=list[OfficerOut], summary="Officers and their roles (admin)")
def list_officers(session: DbSession, _: Admin) -> list[OfficerOut]:
    return [officer_out(u) for u in officers.list_officers(session)]


@router.post("/officers", status_code=201, response_model=OfficerOut, summary="Create an officer (admin)")
def create_officer(body: OfficerIn, session: DbSession, settings: SettingsDep, user: Admin) -> OfficerOut:
    created = officers.create_officer(
        session, settings, user.id, body.email, body.password, body.display_name, list(body.roles)
    )
    return officer_out(created)


@router.put("/officers/{officer_id}/roles", response_model=OfficerOut, summary="Set an officer's roles (admin)")
def set_roles(
    officer_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: RolesIn, session: DbSession, user: Admin
) -> OfficerOut:
    return officer_out(officers.set_roles(session, user.id, officer_id, list(body.roles)))


@router.get("/settings", response_model=dict[str, int], summary="Run-time policy (admin)")
def get_policy(session: DbSession, _: Admin) -> dict[str, int]:
    return policy.all_values(session)


@router.put("/settings", response_model=dict[str, int], summary="Change run-time policy (admin, audited)")
def put_policy(body: PolicyIn, session: DbSession, user: Admin) -> dict[str, int]:
    return policy.update(session, user.id, body.model_dump(exclude_none=True))
