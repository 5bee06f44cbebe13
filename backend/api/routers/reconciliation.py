# SPDX-License-Identifier: EUPL-1.2
"""Reconciliation (Σ euros confirmed by the bank == Σ burned on-chain) and the liability view."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from backend.api.deps import DbSession, require_roles
from backend.models.accounts import User
from backend.services import reporting

router = APIRouter(prefix="/api/v1", tags=["reconciliation"])
Reader = Annotated[User, Depends(require_roles("auditor", "settlement_officer"))]


@router.get("/reconciliation", summary="Euros paid in confirmed batches against tokens burned on-chain (JSON or CSV)",
            responses={200: {"content": {"application/json": {}, "text/csv": {}}}})  # fmt: skip
def reconciliation(
    user: Reader,
    session: DbSession,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    rec = reporting.reconciliation(session)
    if format == "csv":
        return Response(reporting.reconciliation_csv(rec), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="reconciliation.csv"'})  # fmt: skip
    return asdict(rec)


@router.get("/liability", summary="Outstanding Heitjes (minted − burned), escrow, settled per month")
def liability(user: Reader, session: DbSession) -> dict[str, Any]:
    return reporting.liability(session)
