# SPDX-License-Identifier: EUPL-1.2
"""Page authentication: the `heitje_session` cookie (a server-side session token, HttpOnly, SameSite=Lax so
a scanned payment link opens logged in) and a double-submit CSRF token (`heitje_csrf` cookie, SameSite=
Strict, echoed by every form as `csrf_token` or by scripts as `X-CSRF-Token`)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from backend.api.deps import CSRF_COOKIE, SESSION_COOKIE, DbSession
from backend.models.accounts import User, UserKind
from backend.services.accounts import SESSION_TTL, resolve_token

CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class WrongApp(Exception):
    """A logged-in user opened another kind of app (a citizen on the dashboard): answered with 403 page."""


class MissingRole(Exception):
    """An officer opened a part of the dashboard their roles do not cover: answered with a 403 page."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        super().__init__(", ".join(roles))
        self.roles = roles


def need_role(user: User, *roles: str) -> None:
    if not user.has_role(*roles):
        raise MissingRole(roles)


class CsrfFailed(Exception):
    """The form's CSRF token does not match the cookie."""


def csrf_token(request: Request) -> str:
    """This browser's CSRF token: the cookie's, or a new one that `set_csrf_cookie` will store."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def secure_cookies(request: Request) -> bool:
    return not request.app.state.settings.is_dev


def set_csrf_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=False, samesite="strict", secure=secure_cookies(request),
                            path="/")  # fmt: skip


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure_cookies(request),
                        max_age=int(SESSION_TTL.total_seconds()), path="/")  # fmt: skip


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request))


async def check_csrf(request: Request) -> None:
    """For state-changing page requests: the form field (or header) must equal the cookie."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token", "")
    if not sent:
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        sent = value if isinstance(value, str) else ""
    if not expected or not hmac.compare_digest(sent, expected):
        raise CsrfFailed()


Csrf = Depends(check_csrf)


def page_user_optional(request: Request, session: DbSession) -> User | None:
    request.state.db = session  # pages read the pause banner in the same unit of work
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = resolve_token(session, token)
    if user is not None:
        request.state.user_id = user.id
    return user


OptionalPageUser = Annotated[User | None, Depends(page_user_optional)]


def require_page_user(*kinds: UserKind) -> Callable[[Request, User | None], User]:
    def dep(request: Request, user: OptionalPageUser) -> User:
        if user is None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(path)
        if kinds and user.kind not in kinds:
            raise WrongApp()
        return user

    return dep


CitizenPage = Annotated[User, Depends(require_page_user(UserKind.citizen))]
MerchantPage = Annotated[User, Depends(require_page_user(UserKind.merchant))]
OfficerPage = Annotated[User, Depends(require_page_user(UserKind.officer))]
AnyPage = Annotated[User, Depends(require_page_user())]


def safe_next(value: str | None, default: str) -> str:
    """Only local paths: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def home_for(user: User) -> str:
    return {UserKind.citizen: "/citizen/", UserKind.merchant: "/merchant/", UserKind.officer: "/dashboard/"}.get(
        UserKind(user.kind), "/"
    )
