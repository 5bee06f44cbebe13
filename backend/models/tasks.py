# SPDX-License-Identifier: EUPL-1.2
"""Tasks the municipality commissions and the claims citizens make on them.

A claim holds one slot of its task from the moment it is made until it is withdrawn, expires unsubmitted,
or is rejected. Its proof (photo and note) is stored on the claim; the photo itself lives on disk under
its SHA-256. Approval snapshots the reward and queues the mint under the business key ``claim:<id>``, with
the claim's id as the on-chain ``taskId`` (the contract rewards each taskId at most once, ever).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from heitje.db import Base, Cents, UTCDateTime


class TaskCategory(StrEnum):
    litter = "litter"
    greenery = "greenery"
    graffiti = "graffiti"
    snow = "snow"
    repair = "repair"
    social = "social"
    other = "other"


class TaskStatus(StrEnum):
    open = "open"
    closed = "closed"


class ClaimStatus(StrEnum):
    claimed = "claimed"  # holds a slot until expires_at unless submitted
    submitted = "submitted"  # proof handed in, waiting for an approver
    approved = "approved"  # mint queued
    paid = "paid"  # TaskRewarded indexed
    rejected = "rejected"
    withdrawn = "withdrawn"
    expired = "expired"


#: Claims that hold a slot (a 'claimed' one only until it expires).
SLOT_HOLDING = (ClaimStatus.claimed, ClaimStatus.submitted, ClaimStatus.approved, ClaimStatus.paid)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16), index=True)
    neighbourhood: Mapped[str] = mapped_column(String(4), index=True)  # 4-digit postcode area
    lat: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    lon: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    reward_cents: Mapped[int] = mapped_column(Cents(12))
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    slots: Mapped[int] = mapped_column(Integer)
    claim_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    #: How long a claim may stay unsubmitted before its slot is released.
    claim_hours: Mapped[int] = mapped_column(Integer, default=48)
    kit_note: Mapped[str] = mapped_column(String(500), default="")
    extra_work: Mapped[bool] = mapped_column(Boolean)  # "extra work, not replacing municipal staff"
    status: Mapped[str] = mapped_column(String(8), default=TaskStatus.open, index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.current_timestamp())


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_task_id_status", "task_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ClaimStatus.claimed, index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(2000), default="")
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    photo_type: Mapped[str | None] = mapped_column(String(16))
    photo_bytes: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    reward_cents: Mapped[int | None] = mapped_column(Cents(12))  # snapshot at approval: what is minted
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_tx_hash: Mapped[str | None] = mapped_column(String(66))


class PlatformSetting(Base):
    """Policy an admin may change without a deployment (each change is audited)."""

    __tablename__ = "platform_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.current_timestamp())
