# SPDX-License-Identifier: EUPL-1.2
"""The citizen's yearly earnings statement (PDF and HTML): for the tax office or the benefits desk."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from backend.api.deps import CitizenUser, DbSession, SettingsDep
from backend.services import reporting
from backend.services.money_common import citizen_of

router = APIRouter(prefix="/api/v1", tags=["statements"])


@router.get("/me/statements/{year}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
            summary="Yearly earnings statement: tasks, dates, amounts, total vs the cap (PDF/HTML)")  # fmt: skip
def my_statement(
    year: Annotated[int, Path(ge=2020, le=2100)],
    request: Request,
    user: CitizenUser,
    session: DbSession,
    settings: SettingsDep,
    format: Annotated[Literal["pdf", "html"] | None, Query()] = None,
) -> Response:
    citizen = citizen_of(session, user)
    name = user.display_name
    try:
        from backend.services.participants import citizen_personal_data

        pd = citizen_personal_data(session, settings, citizen)
        if pd and pd.get("name"):
            name = str(pd["name"])
    except ImportError:  # the enrolment part is not installed
        pass
    statement = reporting.statement(session, citizen, year, name)
    wants_html = format == "html" or (format is None and "text/html" in request.headers.get("accept", ""))
    filename = f"heitje-jaaropgave-{year}"
    headers = {"Cache-Control": "private, no-store"}
    if wants_html:
        return Response(reporting.statement_html(statement), media_type="text/html; charset=utf-8", headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return Response(reporting.statement_pdf(statement), media_type="application/pdf", headers=headers)
