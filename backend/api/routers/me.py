# SPDX-License-Identifier: EUPL-1.2
from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import CurrentUser
from backend.api.schemas import Me

router = APIRouter(prefix="/api/v1", tags=["me"])


@router.get("/me", response_model=Me, summary="Who the caller is")
def me(user: CurrentUser) -> Me:
    return Me(id=user.id, kind=user.kind, display_name=user.display_name, roles=list(user.roles), locale=user.locale)
