# SPDX-License-Identifier: EUPL-1.2
"""FastAPI dependencies, as `Annotated` aliases: settings, the per-request unit of work, the caller."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from backend.errors import Forbidden, Unauthenticated
from backend.ledger import Ledger, load_ledger
from backend.models.accounts import User, UserKind
from backend.services.accounts import resolve_token
from heitje.settings import Settings

SESSION_COOKIE = "heitje_session"
CSRF_COOKIE = "heitje_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


F = TypeVar("F", bound=Callable[..., Any])


def read_only(endpoint: F) -> F:
    """Mark a GET route as a pure read (put it under the `@router.get` line). Its unit of work then takes no
    write lock — on SQLite a writer holds the whole database, so a busy read path (wallet, dashboards) would
    otherwise queue behind every write. A write attempted through it fails loudly."""
    endpoint.__heitje_read_only__ = True  # type: ignore[attr-defined]
    return endpoint


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the route returns, rolled back when it raises."""
    factory = get_session_factory(request)
    endpoint = request.scope.get("endpoint")
    if request.method in ("GET", "HEAD") and getattr(endpoint, "__heitje_read_only__", False):
        factory = sessionmaker(bind=request.app.state.read_engine, expire_on_commit=False)
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_db)]


def bearer_or_cookie(request: Request) -> tuple[str | None, bool]:
    """The presented credential and whether it came from the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def optional_user(request: Request, session: DbSession) -> User | None:
    token, from_cookie = bearer_or_cookie(request)
    if not token:
        return None
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(sent, expected):
            raise Forbidden("missing or wrong CSRF token")
    user = resolve_token(session, token)
    if user is None:
        raise Unauthenticated("the token is unknown, expired or revoked")
    request.state.user_id = user.id
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise Unauthenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


def require_kind(*kinds: UserKind) -> Callable[[User], User]:
    def dep(user: CurrentUser) -> User:
        if user.kind not in kinds:
            raise Forbidden(f"only for {', '.join(k.value for k in kinds)} accounts")
        return user

    return dep


def require_roles(*roles: str) -> Callable[[User], User]:
    """An officer holding one of `roles` (admin holds every role)."""

    def dep(user: CurrentUser) -> User:
        if not user.has_role(*roles):
            raise Forbidden(f"needs one of the officer roles: {', '.join(roles)}")
        return user

    return dep


CitizenUser = Annotated[User, Depends(require_kind(UserKind.citizen))]
MerchantUser = Annotated[User, Depends(require_kind(UserKind.merchant))]
OfficerUser = Annotated[User, Depends(require_kind(UserKind.officer))]


def get_ledger(request: Request) -> Ledger:
    """The ledger this API serves (loaded once from the deployment manifest; tests may preset it)."""
    ledger: Ledger | None = getattr(request.app.state, "ledger", None)
    if ledger is None:
        ledger = load_ledger(request.app.state.settings)
        request.app.state.ledger = ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
