# SPDX-License-Identifier: EUPL-1.2
"""Platform policy an admin may change at run time (stored in SQL, every change audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import ValidationFailed
from backend.models.tasks import PlatformSetting
from backend.services import audit


@dataclass(frozen=True)
class Bound:
    default: int
    low: int
    high: int
    help: str


#: key → default and allowed range
POLICY: dict[str, Bound] = {
    "hourly_max_cents": Bound(500, 1, 10_000, "highest reward per hour of estimated work, in cents"),
    "default_claim_hours": Bound(48, 1, 24 * 14, "hours a claim may stay unsubmitted before its slot is released"),
    "max_active_claims": Bound(3, 1, 50, "open (unsubmitted or unreviewed) claims a citizen may hold at once"),
    "registrations_per_ip": Bound(30, 1, 100_000, "registrations accepted per client address per 10 minutes"),
    "max_photo_bytes": Bound(8 * 1024 * 1024, 10_000, 10 * 1024 * 1024, "largest proof photo accepted, in bytes"),
    "default_yearly_cap_cents": Bound(150_000, 1, 10_000_000, "yearly cap assumed until the indexer has seen it"),
}


def get(session: Session, key: str) -> int:
    bound = POLICY[key]
    value = session.scalar(select(PlatformSetting.value).where(PlatformSetting.key == key))
    return bound.default if value is None else int(value)


def all_values(session: Session) -> dict[str, int]:
    return {key: get(session, key) for key in POLICY}


def update(session: Session, actor_id: int, values: dict[str, int]) -> dict[str, int]:
    for key, value in values.items():
        bound = POLICY.get(key)
        if bound is None:
            raise ValidationFailed(f"unknown setting {key!r}")
        if not bound.low <= value <= bound.high:
            raise ValidationFailed(f"{key} must be between {bound.low} and {bound.high}")
    for key, value in values.items():
        row = session.get(PlatformSetting, key, with_for_update=True)
        old = get(session, key)
        if row is None:
            session.add(PlatformSetting(key=key, value=value, updated_by=actor_id, updated_at=datetime.now(UTC)))
        else:
            row.value, row.updated_by, row.updated_at = value, actor_id, datetime.now(UTC)
        audit.append(
            session,
            actor_id=actor_id,
            action="policy.change",
            subject_type="setting",
            subject_id=key,
            details={"old": old, "new": value},
        )
    session.flush()
    return all_values(session)
