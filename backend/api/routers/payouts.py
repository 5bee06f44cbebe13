# SPDX-License-Identifier: EUPL-1.2
"""Payout requests: a merchant owner cashes Heitjes in for euros (tokens into escrow until settled)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser, DbSession, LedgerDep, MerchantUser
from backend.api.money_schemas import Offset, PayoutCreate, PayoutOut
from backend.api.schemas import Page
from backend.errors import Forbidden
from backend.models.accounts import UserKind
from backend.models.money import Payout
from backend.services import ratelimit, settlement

router = APIRouter(prefix="/api/v1", tags=["payouts"])


def payout_out(p: Payout) -> PayoutOut:
    return PayoutOut(id=p.public_id, merchant_id=p.merchant_id, amount=p.amount, status=p.status, batch_id=p.batch_id,
                     bank_reference=p.bank_reference, reject_reason=p.reject_reason, created_at=p.created_at,
                     escrowed_at=p.escrowed_at, finished_at=p.finished_at)  # fmt: skip


@router.post("/payouts", status_code=201, response_model=PayoutOut,
             summary="Request a euro payout of (part of) the balance (merchant owner)")  # fmt: skip
def create_payout(body: PayoutCreate, user: MerchantUser, session: DbSession, ledger: LedgerDep) -> PayoutOut:
    ratelimit.hit(session, f"payout:{user.id}", 10, 60)
    return payout_out(settlement.request_payout(session, ledger, user, body.amount))


@router.get("/payouts", response_model=Page[PayoutOut],
            summary="Payouts: a merchant sees its own; settlement officers and auditors see all")  # fmt: skip
def list_payouts(
    user: CurrentUser,
    session: DbSession,
    status: Annotated[str | None, Query(max_length=12)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[PayoutOut]:
    if user.kind == UserKind.merchant:
        rows, total = settlement.merchant_payouts(session, user, limit, offset)
    elif user.has_role("settlement_officer", "auditor"):
        rows, total = settlement.all_payouts(session, status, limit, offset)
    else:
        raise Forbidden("only merchants, settlement officers and auditors see payouts")
    return Page(items=[payout_out(p) for p in rows], total=total, limit=limit, offset=offset)
