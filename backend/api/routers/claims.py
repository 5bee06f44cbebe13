# SPDX-License-Identifier: EUPL-1.2
"""Claims: proof submission by the citizen, the approval queue, approve (queues the mint) or reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile
from sqlalchemy.orm import Session

from backend.api.deps import CitizenUser, CurrentUser, DbSession, SettingsDep, require_roles
from backend.api.schemas import Page
from backend.api.task_schemas import MAX_ID, ApproveIn, ClaimOut, Decision, Line
from backend.errors import PayloadTooLarge
from backend.models.accounts import User
from backend.models.tasks import Claim
from backend.services import policy, ratelimit
from backend.services import tasks as service

router = APIRouter(prefix="/api/v1/claims", tags=["claims"])

ClaimId = Annotated[int, Path(ge=1, le=MAX_ID)]
Approver = Annotated[User, Depends(require_roles("approver"))]
STATUSES = "^(claimed|submitted|approved|paid|rejected|withdrawn|expired)$"


def claim_out(session: Session, claim: Claim) -> ClaimOut:
    mint_status, mint_error = service.mint_state(session, claim)
    return ClaimOut(
        id=claim.id,
        task_id=claim.task_id,
        citizen_id=claim.citizen_id,
        status=service.effective_status(session, claim),
        claimed_at=claim.claimed_at,
        expires_at=claim.expires_at,
        note=claim.note,
        has_photo=claim.photo_sha256 is not None,
        photo_type=claim.photo_type,
        photo_sha256=claim.photo_sha256,
        submitted_at=claim.submitted_at,
        decided_at=claim.decided_at,
        reject_reason=claim.reject_reason,
        reward_cents=claim.reward_cents,
        mint_status=mint_status,
        mint_error=mint_error,
        paid_tx_hash=claim.paid_tx_hash,
    )


@router.get(
    "",
    response_model=Page[ClaimOut],
    summary="Claims: the citizen's own; all for officers (status=submitted is the approval queue)",
)
def list_claims(
    session: DbSession,
    user: CurrentUser,
    status: Annotated[str | None, Query(pattern=STATUSES)] = None,
    task_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[ClaimOut]:
    rows, total = service.list_claims(session, user, status, task_id, limit, offset)
    return Page(items=[claim_out(session, c) for c in rows], total=total, limit=limit, offset=offset)


@router.get("/{claim_id}", response_model=ClaimOut, summary="One claim (its citizen, or officers)")
def get_claim(claim_id: ClaimId, session: DbSession, user: CurrentUser) -> ClaimOut:
    return claim_out(session, service.visible_claim(session, user, claim_id))


@router.get(
    "/{claim_id}/photo",
    summary="The proof photo (its citizen, or officers)",
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def photo(claim_id: ClaimId, session: DbSession, settings: SettingsDep, user: CurrentUser) -> Response:
    data, media_type = service.photo_of(session, settings, user, claim_id)
    return Response(
        data,
        media_type=media_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.post(
    "/{claim_id}/submission",
    response_model=ClaimOut,
    summary="Hand in proof: a photo (JPEG, PNG or WebP) and a note (the claiming citizen)",
)
async def submit(
    claim_id: ClaimId,
    session: DbSession,
    settings: SettingsDep,
    user: CitizenUser,
    photo: Annotated[UploadFile, File(description="JPEG, PNG or WebP; type checked by content")],
    note: Annotated[Line, Form(max_length=2000)] = "",
) -> ClaimOut:
    limit = policy.get(session, "max_photo_bytes")
    data = await photo.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the photo is larger than {limit // 1024} kB")
    ratelimit.hit(session, f"submit:{user.id}", 60, 3600)
    return claim_out(session, service.submit(session, settings, user, claim_id, data, note))


@router.post("/{claim_id}/withdraw", response_model=ClaimOut, summary="Give the slot back (the claiming citizen)")
def withdraw(claim_id: ClaimId, session: DbSession, user: CitizenUser) -> ClaimOut:
    return claim_out(session, service.withdraw(session, user, claim_id))


@router.post(
    "/{claim_id}/approve",
    response_model=ClaimOut,
    summary="Approve the proof: checks the yearly cap and queues the mint (approver)",
)
def approve(claim_id: ClaimId, session: DbSession, user: Approver, body: ApproveIn | None = None) -> ClaimOut:
    ratelimit.hit(session, f"approve:{user.id}", 600, 60)
    return claim_out(session, service.approve(session, user, claim_id))


@router.post("/{claim_id}/reject", response_model=ClaimOut, summary="Reject the proof with a reason (approver)")
def reject(claim_id: ClaimId, body: Decision, session: DbSession, user: Approver) -> ClaimOut:
    return claim_out(session, service.reject(session, user, claim_id, body.reason))
