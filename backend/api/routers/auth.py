# SPDX-License-Identifier: EUPL-1.2
"""Login: bearer tokens for API clients, cookie sessions (with a CSRF double-submit cookie) for the web apps."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response

from backend.api.deps import CSRF_COOKIE, SESSION_COOKIE, DbSession, SettingsDep, bearer_or_cookie
from backend.api.schemas import TokenRequest, TokenResponse
from backend.api.task_schemas import SessionResponse
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


@router.post(
    "/session",
    response_model=SessionResponse,
    summary="Log in the web apps: sets the HttpOnly session cookie and the CSRF cookie",
)
def session_login(
    body: TokenRequest, request: Request, response: Response, session: DbSession, settings: SettingsDep
) -> SessionResponse:
    client = request.client.host if request.client else "unknown"
    user = accounts.authenticate(session, settings, body.username, body.password, client)
    issued = accounts.issue_token(session, user, kind="session", label="web")
    csrf = secrets.token_urlsafe(24)
    secure = request.url.scheme == "https" or not settings.is_dev
    max_age = int((issued.expires_at - accounts.now()).total_seconds())
    response.set_cookie(
        SESSION_COOKIE, issued.token, max_age=max_age, httponly=True, secure=secure, samesite="lax", path="/"
    )
    # Double-submit: readable by the page's script, sent back as X-CSRF-Token on unsafe requests.
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure, samesite="strict", path="/")
    return SessionResponse(csrf_token=csrf, expires_at=issued.expires_at, user_id=user.id, kind=user.kind)


@router.delete("/session", status_code=204, summary="Log out of the web apps (revokes the session, clears cookies)")
def session_logout(request: Request, session: DbSession) -> Response:
    presented, _ = bearer_or_cookie(request)
    if presented:
        accounts.revoke_token(session, presented)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
