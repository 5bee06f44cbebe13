# SPDX-License-Identifier: EUPL-1.2
"""Users, credentials and sessions: creation, login with rate limits and lockout, tokens, PIN checks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import Conflict, Locked, Unauthenticated, ValidationFailed
from backend.models.accounts import ApiToken, OfficerRole, User, UserKind, UserStatus
from backend.security import hash_secret, login_hash, new_token, token_hash, verify_secret
from backend.services import ratelimit
from heitje.settings import Settings

log = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
MAX_FAILED_PINS = 5
LOCKOUT = timedelta(minutes=15)
BEARER_TTL = timedelta(days=30)
SESSION_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: User


def now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite returns naive UTC datetimes
        return value.replace(tzinfo=UTC)
    return value


def validate_password(password: str) -> None:
    if len(password) < 10 or len(password) > 256:
        raise ValidationFailed("a password needs 10 to 256 characters")


def validate_pin(pin: str) -> None:
    if not (pin.isdigit() and len(pin) in (4, 5, 6) and pin.isascii()):
        raise ValidationFailed("a PIN is 4 to 6 digits")


def find_by_login(session: Session, settings: Settings, login: str) -> User | None:
    return session.scalar(
        select(User).where(User.login_hash == login_hash(settings.master_key.get_secret_value(), login))
    )


def create_user(
    session: Session,
    settings: Settings,
    *,
    kind: UserKind,
    login: str,
    password: str,
    display_name: str = "",
    roles: list[str] | None = None,
    pin: str | None = None,
    locale: str = "nl",
) -> User:
    validate_password(password)
    if pin is not None:
        validate_pin(pin)
    for role in roles or []:
        if role not in OfficerRole.__members__:
            raise ValidationFailed(f"unknown officer role {role!r}")
    if find_by_login(session, settings, login) is not None:
        raise Conflict("an account with this login already exists")
    user = User(
        kind=kind,
        login_hash=login_hash(settings.master_key.get_secret_value(), login),
        password_hash=hash_secret(password),
        pin_hash=hash_secret(pin) if pin else None,
        roles=sorted(set(roles or [])),
        display_name=display_name[:80],
        locale=locale,
        status=UserStatus.active,
        failed_logins=0,
        failed_pins=0,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, settings: Settings, login: str, password: str, client: str) -> User:
    """Check a login. Failed attempts are committed even though the call raises."""
    ratelimit.hit(session, f"login-ip:{client}", settings.login_attempts_per_minute, 60)
    user = find_by_login(session, settings, login)
    if user is None or user.status != UserStatus.active:
        verify_secret(hash_secret("timing-equaliser"), password) if user is None else None
        session.commit()
        raise Unauthenticated("wrong login or password")
    locked_until = _aware(user.locked_until)
    if locked_until and locked_until > now():
        session.commit()
        raise Locked("too many failed logins; try again later", retry_after=int((locked_until - now()).total_seconds()))
    if not verify_secret(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now() + LOCKOUT
            user.failed_logins = 0
            log.warning("user %s locked after repeated failed logins", user.id)
        session.commit()
        raise Unauthenticated("wrong login or password")
    user.failed_logins = 0
    user.locked_until = None
    return user


def issue_token(session: Session, user: User, kind: str = "bearer", label: str = "") -> IssuedToken:
    token = new_token()
    expires = now() + (BEARER_TTL if kind == "bearer" else SESSION_TTL)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), kind=kind, label=label, expires_at=expires))
    session.flush()
    return IssuedToken(token, expires, user)


def resolve_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    expires = _aware(row.expires_at)
    if expires is None or expires <= now():
        return None
    user = session.get(User, row.user_id)
    if user is None or user.status != UserStatus.active:
        return None
    return user


def revoke_token(session: Session, token: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now()


def revoke_all_tokens(session: Session, user: User) -> None:
    for row in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        row.revoked_at = now()


def set_pin(session: Session, user: User, pin: str) -> None:
    validate_pin(pin)
    user.pin_hash = hash_secret(pin)
    user.failed_pins = 0
    user.pin_locked_until = None


def check_pin(session: Session, user: User, pin: str | None) -> None:
    """Confirm a value-moving action with the PIN; locks PIN use after repeated failures.

    A failed attempt is committed before raising, so the counter survives the request's rollback.
    """
    locked_until = _aware(user.pin_locked_until)
    if locked_until and locked_until > now():
        raise Locked("PIN locked after repeated failures; try again later")
    if pin is None or not verify_secret(user.pin_hash, pin):
        user.failed_pins += 1
        if user.failed_pins >= MAX_FAILED_PINS:
            user.pin_locked_until = now() + LOCKOUT
            user.failed_pins = 0
        session.commit()
        raise Unauthenticated("wrong PIN", field="pin")
    user.failed_pins = 0
