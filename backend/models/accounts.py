# SPDX-License-Identifier: EUPL-1.2
"""People and their credentials: users (citizens, merchant owners and staff, officers), roles, tokens,
citizen and merchant profiles. Personal data is kept encrypted (see `backend.pii`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heitje.db import Base


class UserKind(StrEnum):
    citizen = "citizen"
    merchant = "merchant"  # owner or staff; see MerchantMember.role
    officer = "officer"


class OfficerRole(StrEnum):
    task_manager = "task_manager"
    approver = "approver"
    registrar = "registrar"
    settlement_officer = "settlement_officer"
    recovery_officer = "recovery_officer"
    auditor = "auditor"
    pauser = "pauser"
    admin = "admin"


class UserStatus(StrEnum):
    active = "active"
    disabled = "disabled"
    erased = "erased"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # HMAC of the normalised login (an e-mail address): lookups without storing the address in clear.
    login_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.active)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    display_name: Mapped[str] = mapped_column(String(80), default="")  # a first name or handle, not PII-heavy
    locale: Mapped[str] = mapped_column(String(5), default="nl")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    failed_pins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pin_locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.current_timestamp())

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def has_role(self, *roles: str) -> bool:
        return self.kind == UserKind.officer and (
            OfficerRole.admin in self.roles or any(r in self.roles for r in roles)
        )


class ApiToken(Base):
    """A bearer token (API clients) or a cookie session (web apps). Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # bearer | session
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.current_timestamp())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")


class PersonalData(Base):
    """Envelope-encrypted personal data of one person: erasing the wrapped key shreds it (GDPR)."""

    __tablename__ = "personal_data"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RateLimitBucket(Base):
    """Fixed-window counters shared by every API worker (rate limits live in the database, not in memory)."""

    __tablename__ = "rate_limit_buckets"
    __table_args__ = (UniqueConstraint("bucket", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(128))
    window_start: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)
