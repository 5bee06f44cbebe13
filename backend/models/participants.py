# SPDX-License-Identifier: EUPL-1.2
"""Citizens and merchants as the municipality knows them. On-chain they are only an address and, for a
citizen, a random pseudonymous `citizen_id`; names and contact details stay here, encrypted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from heitje.db import Base


class ParticipantStatus(StrEnum):
    pending = "pending"  # registered, waiting for a registrar
    active = "active"  # approved; on-chain enrolment queued or done
    rejected = "rejected"
    suspended = "suspended"
    erased = "erased"  # GDPR: personal data and key shredded


class Citizen(Base):
    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=ParticipantStatus.pending, index=True)
    citizen_id: Mapped[str] = mapped_column(String(66), unique=True)  # 0x-hex bytes32, random, pseudonymous
    address: Mapped[str | None] = mapped_column(String(42), unique=True)  # custodial wallet, lowercase 0x-hex
    personal_data_id: Mapped[int] = mapped_column(ForeignKey("personal_data.id"))
    postcode4: Mapped[str] = mapped_column(String(4), index=True)  # neighbourhood, for tasks and statistics
    #: Show the display name on the neighbourhood leaderboard (off unless the citizen opts in).
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.current_timestamp())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(Integer)


class MerchantCategory(StrEnum):
    groceries = "groceries"
    bakery = "bakery"
    cafe = "cafe"
    retail = "retail"
    services = "services"
    culture = "culture"
    other = "other"


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ParticipantStatus.pending, index=True)
    business_name: Mapped[str] = mapped_column(String(120))
    kvk_number: Mapped[str] = mapped_column(String(8))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11))
    street_address: Mapped[str] = mapped_column(String(200))
    postcode4: Mapped[str] = mapped_column(String(4), index=True)
    category: Mapped[str] = mapped_column(String(16), default=MerchantCategory.other)
    address: Mapped[str | None] = mapped_column(String(42), unique=True)  # custodial wallet, lowercase 0x-hex
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.current_timestamp())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(Integer)


class MerchantMember(Base):
    """A user who works for a merchant: the owner, or staff the owner added."""

    __tablename__ = "merchant_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    role: Mapped[str] = mapped_column(String(8))  # owner | staff
