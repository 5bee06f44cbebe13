# SPDX-License-Identifier: EUPL-1.2
"""Landing page, login and logout, the language switch, the PWA manifest and service worker, and the
front-end libraries served from node_modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from backend.api.deps import SESSION_COOKIE, DbSession, SettingsDep
from backend.errors import BackendError
from backend.services import accounts
from backend.web import i18n
from backend.web.feedback import problem_text
from backend.web.render import render
from backend.web.session import (
    Csrf,
    OptionalPageUser,
    clear_session_cookie,
    home_for,
    safe_next,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)

LOGIN_APPS = ("citizen", "merchant", "dashboard")


@router.get("/")
def landing(request: Request, user: OptionalPageUser) -> Response:
    return render(request, "landing.html", user=user)


@router.get("/login")
def login_form(request: Request, user: OptionalPageUser, next: str = "") -> Response:
    target = safe_next(next, "")
    app = target.strip("/").split("/")[0] if target else ""
    return render(request, "login.html", user=user, next=target, login_app=app if app in LOGIN_APPS else "")


@router.post("/login", dependencies=[Csrf])
def login(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    login: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    request.state.db = session
    client = request.client.host if request.client else "unknown"
    try:
        user = accounts.authenticate(session, settings, login.strip(), password, client)
    except BackendError as exc:
        session.rollback()
        message, _ = problem_text(exc)
        return render(request, "login.html", status_code=exc.status, next=safe_next(next, ""), error=message,
                      login_value=login)  # fmt: skip
    issued = accounts.issue_token(session, user, kind="session", label="web")
    response = RedirectResponse(safe_next(next, home_for(user)), status_code=303)
    set_session_cookie(request, response, issued.token)
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.revoke_token(session, token)
    response = RedirectResponse("/?done=logged-out", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Remember the chosen language for a year; the page the switch was used on opens again."""
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if code in i18n.LOCALES:
        response.set_cookie(i18n.LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


@router.get("/citizen/manifest.webmanifest")
def manifest(request: Request) -> Response:
    lang = i18n.negotiate(request)
    t = i18n.translations(lang).gettext
    body = {
        "name": t("Heitje — citizen app"),
        "short_name": "Heitje",
        "description": t("Earn Heitjes with small jobs in your neighbourhood and spend them in local shops."),
        "lang": lang,
        "start_url": "/citizen/",
        "scope": "/citizen/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5d3b",
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
    return JSONResponse(body, media_type="application/manifest+json")


@router.get("/citizen/sw.js")
def service_worker() -> Response:
    """Served under /citizen/ so that its scope is the citizen app."""
    from backend.web import STATIC

    response = FileResponse(STATIC / "js" / "sw.js", media_type="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/citizen/offline")
def offline(request: Request) -> Response:
    return render(request, "citizen/offline.html", app="citizen")


@router.get("/pay/{code}")
def payment_link(code: str) -> Response:
    """The URL inside a shop's QR code: opens the payment in the citizen app (after login if needed)."""
    clean = "".join(ch for ch in code.upper() if ch.isalnum())[:16]
    return RedirectResponse(f"/citizen/pay/{clean}", status_code=303)
