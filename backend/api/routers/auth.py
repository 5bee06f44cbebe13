# SPDX-License-Identifier: EUPL-1.2
"""Login (bearer tokens for API clients) and logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.api.deps import DbSession, SettingsDep, bearer_or_cookie
from backend.api.schemas import TokenRequest, TokenResponse
from backend.services import accounts

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, summary="Exchange a login and password for a bearer token")
def token(body: TokenRequest, request: Request, session: DbSession, settings: SettingsDep) -> TokenResponse:
    client = request.client.host if request.client else "unknown"
    user = accounts.authenticate(session, settings, body.username, body.password, client)
    issued = accounts.issue_token(session, user, kind="bearer", label="api")
    return TokenResponse(access_token=issued.token, expires_at=issued.expires_at)


@router.post("/logout", status_code=204, summary="Revoke the presented token or session")
def logout(request: Request, session: DbSession) -> Response:
    presented, _ = bearer_or_cookie(request)
    if presented:
        accounts.revoke_token(session, presented)
    return Response(status_code=204)
