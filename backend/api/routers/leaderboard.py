# SPDX-License-Identifier: EUPL-1.2
"""Gamification without money: the handyman of the month per neighbourhood, and the citizen's badges."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from backend.api.deps import CitizenUser, CurrentUser, DbSession, read_only
from backend.api.task_schemas import BadgeOut, LeaderboardOut, NeighbourhoodOut, StandingOut
from backend.models.participants import Citizen
from backend.services import gamification, participants
from backend.services.tasks import AMSTERDAM, now

router = APIRouter(prefix="/api/v1", tags=["leaderboard"])


@router.get(
    "/leaderboard",
    response_model=LeaderboardOut,
    summary="Handyman of the month per neighbourhood (task counts only, names only with consent)",
)
@read_only
def leaderboard(
    session: DbSession,
    user: CurrentUser,
    month: Annotated[str | None, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])] = None,
    neighbourhood: Annotated[str | None, Query(pattern=r"^[1-9][0-9]{3}$")] = None,
) -> LeaderboardOut:
    if month is None:
        month = now().astimezone(AMSTERDAM).strftime("%Y-%m")
    year, mon = (int(x) for x in month.split("-"))
    me = session.scalar(select(Citizen.id).where(Citizen.user_id == user.id))
    hoods = gamification.leaderboard(session, year, mon, neighbourhood)

    def standing(s: gamification.Standing) -> StandingOut:
        return StandingOut(display_name=s.display_name, tasks=s.tasks, is_you=s.citizen_id == me)

    return LeaderboardOut(
        month=month,
        neighbourhoods=[
            NeighbourhoodOut(
                neighbourhood=h.neighbourhood,
                handyman_of_the_month=standing(h.handyman),
                top=[standing(s) for s in h.top],
            )
            for h in hoods
        ],
    )


@router.get("/me/badges", response_model=list[BadgeOut], summary="The citizen's badges")
@read_only
def my_badges(session: DbSession, user: CitizenUser) -> list[BadgeOut]:
    citizen = participants.citizen_of(session, user)
    return [
        BadgeOut(code=b.code, title=b.title, description=b.description) for b in gamification.badges(session, citizen)
    ]
