# SPDX-License-Identifier: EUPL-1.2
"""The citizen's own wallet: balance, this year's earnings against the cap, history. Always the caller's own:
there is no path that takes another citizen's id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CitizenUser, DbSession, read_only
from backend.api.schemas import Page
from backend.api.task_schemas import AllowanceOut, MovementOut, WalletOut
from backend.services import participants
from backend.services import wallet as service

router = APIRouter(prefix="/api/v1/me/wallet", tags=["wallet"])


@router.get("", response_model=WalletOut, summary="Balance, earned this year, pending and remaining allowance")
@read_only
def my_wallet(session: DbSession, user: CitizenUser) -> WalletOut:
    w = service.wallet(session, participants.citizen_of(session, user))
    a = w.allowance
    return WalletOut(
        address=w.address,
        balance_cents=w.balance_cents,
        this_year=AllowanceOut(
            year=a.year,
            cap_cents=a.cap_cents,
            earned_cents=a.earned_cents,
            pending_cents=a.pending_cents,
            remaining_cents=a.remaining_cents,
        ),
    )


@router.get("/history", response_model=Page[MovementOut], summary="Tasks paid, payments and refunds, newest first")
@read_only
def my_history(
    session: DbSession,
    user: CitizenUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[MovementOut]:
    rows, total = service.history(session, participants.citizen_of(session, user), limit, offset)
    return Page(items=[MovementOut(**service.summary(m)) for m in rows], total=total, limit=limit, offset=offset)
