# SPDX-License-Identifier: EUPL-1.2
"""Ledger status (the banner every web app shows) and the emergency pause (pauser role)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from backend.api.deps import DbSession, require_roles
from backend.api.money_schemas import LedgerStatusOut, PauseBody
from backend.models.accounts import User
from backend.services import governance
from backend.services.money_common import chain_paused, ledger_status

router = APIRouter(prefix="/api/v1", tags=["ledger"])
Pauser = Annotated[User, Depends(require_roles("pauser"))]


def _status(session: Session) -> LedgerStatusOut:
    row = ledger_status(session)
    on_chain = chain_paused(session)
    paused = row.paused or on_chain
    banner = None
    if paused:
        banner = "Betalingen en uitbetalingen staan tijdelijk stil / Payments and payouts are on hold" + (
            f": {row.reason}" if row.reason else ""
        )
    return LedgerStatusOut(paused=paused, reason=row.reason, since=row.changed_at if paused else None,
                           chain_paused=on_chain, banner=banner)  # fmt: skip


@router.get("/status", response_model=LedgerStatusOut, summary="Whether the ledger is paused (public, for the banner)")
def status(session: DbSession) -> LedgerStatusOut:
    return _status(session)


@router.post("/ledger/pause", response_model=LedgerStatusOut, summary="Emergency pause of every movement (pauser)")
def pause(body: PauseBody, user: Pauser, session: DbSession) -> LedgerStatusOut:
    governance.set_paused(session, user, True, body.reason)
    return _status(session)


@router.post("/ledger/unpause", response_model=LedgerStatusOut, summary="Lift the pause (pauser)")
def unpause(body: PauseBody, user: Pauser, session: DbSession) -> LedgerStatusOut:
    governance.set_paused(session, user, False, body.reason)
    return _status(session)
