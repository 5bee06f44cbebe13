# SPDX-License-Identifier: EUPL-1.2
"""Append-only, hash-chained audit log of officer actions.

Each entry's hash covers its content and the previous entry's hash, so editing, deleting or reordering any
entry breaks every later link; `verify` finds the first broken one. Appends serialise on the chain head
(a row lock on PostgreSQL; SQLite serialises writers already).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.models.audit import AuditEntry

GENESIS = "0" * 64


def _digest(seq: int, at: datetime, actor_id: int | None, action: str, subject_type: str, subject_id: str,
            details: dict[str, Any], prev_hash: str) -> str:  # fmt: skip
    at_utc = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    canonical = json.dumps(
        [
            seq,
            at_utc.isoformat(timespec="microseconds"),
            actor_id,
            action,
            subject_type,
            subject_id,
            details,
            prev_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def append(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record an officer action in the caller's transaction. `details` must not contain personal data."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7305002)"))  # serialise appends on the chain head
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    at = datetime.now(UTC)
    payload = json.loads(json.dumps(details or {}, default=str))
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=payload,
        prev_hash=prev,
        hash=_digest(seq, at, actor_id, action, subject_type, str(subject_id), payload, prev),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify(session: Session) -> VerifyResult:
    prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        count += 1
        if entry.seq != expected_seq:
            return VerifyResult(False, count, entry.seq, f"sequence gap: expected {expected_seq}")
        if entry.prev_hash != prev:
            return VerifyResult(False, count, entry.seq, "link to the previous entry is broken")
        digest = _digest(entry.seq, entry.at, entry.actor_id, entry.action, entry.subject_type, entry.subject_id,
                         entry.details, entry.prev_hash)  # fmt: skip
        if digest != entry.hash:
            return VerifyResult(False, count, entry.seq, "entry content was changed")
        prev = entry.hash
        expected_seq += 1
    return VerifyResult(True, count)
