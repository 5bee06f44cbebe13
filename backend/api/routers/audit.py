# SPDX-License-Identifier: EUPL-1.2
"""The hash-chained audit log of officer actions, for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from backend.api.deps import DbSession, require_roles
from backend.api.money_schemas import MAX_ID, AuditEntryOut, AuditVerifyOut, Offset
from backend.api.schemas import Page
from backend.models.accounts import User
from backend.models.audit import AuditEntry
from backend.services import audit

router = APIRouter(prefix="/api/v1/audit-log", tags=["audit"])
Auditor = Annotated[User, Depends(require_roles("auditor"))]


@router.get("", response_model=Page[AuditEntryOut], summary="Officer actions, newest first (auditor)")
def audit_log(
    user: Auditor,
    session: DbSession,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Page[AuditEntryOut]:
    q = select(AuditEntry)
    if action:
        q = q.where(AuditEntry.action == action)
    if actor_id:
        q = q.where(AuditEntry.actor_id == actor_id)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = session.scalars(q.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
    items = [AuditEntryOut(seq=e.seq, at=e.at, actor_id=e.actor_id, action=e.action, subject_type=e.subject_type,
                           subject_id=e.subject_id, details=e.details, hash=e.hash, prev_hash=e.prev_hash)
             for e in rows]  # fmt: skip
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/verify", response_model=AuditVerifyOut, summary="Check the hash chain; names the first broken entry")
def verify(user: Auditor, session: DbSession) -> AuditVerifyOut:
    r = audit.verify(session)
    return AuditVerifyOut(ok=r.ok, entries=r.entries, first_bad_seq=r.first_bad_seq, reason=r.reason)
