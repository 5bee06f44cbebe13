# SPDX-License-Identifier: EUPL-1.2
"""The caller's own account: who they are, PIN, preferences, and GDPR export and erasure."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select

from backend.api.deps import CitizenUser, CurrentUser, DbSession, SettingsDep, read_only
from backend.api.schemas import Me
from backend.api.task_schemas import EraseRequest, PinChange, Preferences
from backend.models.participants import Citizen, MerchantMember
from backend.services import accounts, participants, wallet

router = APIRouter(prefix="/api/v1", tags=["me"])


@router.get("/me", response_model=Me, summary="Who the caller is")
@read_only
def me(user: CurrentUser, session: DbSession) -> Me:
    citizen_id = session.scalar(select(Citizen.id).where(Citizen.user_id == user.id))
    merchant_id = session.scalar(select(MerchantMember.merchant_id).where(MerchantMember.user_id == user.id))
    return Me(
        id=user.id,
        kind=user.kind,
        display_name=user.display_name,
        roles=list(user.roles),
        locale=user.locale,
        citizen_id=citizen_id,
        merchant_id=merchant_id,
    )


@router.put("/me/pin", status_code=204, summary="Set or change the PIN that confirms payments (needs the password)")
def change_pin(body: PinChange, user: CurrentUser, session: DbSession) -> Response:
    participants.confirm_password(session, user, body.password)
    accounts.set_pin(session, user, body.pin)
    return Response(status_code=204)


@router.put("/me/preferences", response_model=Preferences, summary="Leaderboard consent (citizen)")
def preferences(body: Preferences, user: CitizenUser, session: DbSession) -> Preferences:
    citizen = participants.citizen_of(session, user)
    citizen.leaderboard_opt_in = body.leaderboard_opt_in
    return Preferences(leaderboard_opt_in=citizen.leaderboard_opt_in)


@router.get("/me/export", summary="GDPR: everything the platform holds about me, as JSON")
def export(user: CurrentUser, session: DbSession, settings: SettingsDep) -> dict[str, Any]:
    return participants.export(session, settings, user)


@router.post(
    "/me/erase",
    status_code=204,
    summary="GDPR: erase me (personal data and wallet key destroyed; on-chain history stays pseudonymous)",
)
def erase(body: EraseRequest, user: CurrentUser, session: DbSession, settings: SettingsDep) -> Response:
    participants.erase(session, settings, user, body.password, body.forfeit_balance, wallet.balance_of)
    return Response(status_code=204)
