# SPDX-License-Identifier: EUPL-1.2
"""Account recovery with two recovery officers (four-eyes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.api.deps import DbSession, require_roles
from backend.api.money_schemas import IdPath, Offset, RecoveryCreate, RecoveryOut
from backend.api.schemas import Page
from backend.models.accounts import User
from backend.models.money import Recovery
from backend.services import governance

router = APIRouter(prefix="/api/v1/recoveries", tags=["recoveries"])
RecoveryOfficer = Annotated[User, Depends(require_roles("recovery_officer"))]


def recovery_out(r: Recovery) -> RecoveryOut:
    return RecoveryOut(id=r.id, citizen_id=r.citizen_id, lost_address=r.lost_address,
                       replacement_address=r.replacement_address, status=r.status, requested_by=r.requested_by,
                       decided_by=r.decided_by, requested_at=r.requested_at, completed_at=r.completed_at)  # fmt: skip


@router.post("", status_code=201, response_model=RecoveryOut,
             summary="Start recovering a citizen's account onto a new custodial key (first officer)")  # fmt: skip
def start(body: RecoveryCreate, user: RecoveryOfficer, session: DbSession) -> RecoveryOut:
    return recovery_out(governance.start_recovery(session, user, body.citizen_id, body.reason))


@router.get("", response_model=Page[RecoveryOut], summary="Recoveries, newest first")
def list_(
    user: RecoveryOfficer,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[RecoveryOut]:
    rows, total = governance.list_recoveries(session, limit, offset)
    return Page(items=[recovery_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{recovery_id}", response_model=RecoveryOut, summary="One recovery")
def get(recovery_id: IdPath, user: RecoveryOfficer, session: DbSession) -> RecoveryOut:
    return recovery_out(governance.get_recovery(session, recovery_id))


@router.post("/{recovery_id}/approve", response_model=RecoveryOut,
             summary="A second recovery officer approves: the on-chain recovery is queued")  # fmt: skip
def approve(recovery_id: IdPath, user: RecoveryOfficer, session: DbSession) -> RecoveryOut:
    return recovery_out(governance.decide_recovery(session, user, recovery_id, approve=True))


@router.post("/{recovery_id}/reject", response_model=RecoveryOut, summary="A second recovery officer rejects")
def reject(recovery_id: IdPath, user: RecoveryOfficer, session: DbSession) -> RecoveryOut:
    return recovery_out(governance.decide_recovery(session, user, recovery_id, approve=False))
