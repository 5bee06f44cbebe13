# SPDX-License-Identifier: EUPL-1.2
"""Anonymised statistics export for the statistics office: per 4-digit postcode per ISO week."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from backend.api.deps import DbSession, SettingsDep, require_roles
from backend.models.accounts import User
from backend.services import reporting

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])
Auditor = Annotated[User, Depends(require_roles("auditor"))]
WEEK = r"^\d{4}-W\d{2}$"


@router.get("/export", summary="Tasks, participants, earned and spent per category; cells under 5 people suppressed",
            responses={200: {"content": {"application/json": {}, "text/csv": {}}}})  # fmt: skip
def export(
    user: Auditor,
    session: DbSession,
    settings: SettingsDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    week_from: Annotated[str | None, Query(pattern=WEEK)] = None,
    week_to: Annotated[str | None, Query(pattern=WEEK)] = None,
) -> Any:
    rows = reporting.statistics(session, settings.stats_min_cell, week_from, week_to)
    if format == "csv":
        return Response(reporting.statistics_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="heitje-statistics.csv"'})  # fmt: skip
    return {"min_cell": settings.stats_min_cell, "rows": rows}
