# SPDX-License-Identifier: EUPL-1.2
"""The outbox: services record a chain action as an intent in their own DB transaction.

The relayer picks intents up after that transaction commits, so an action is sent if and only if the
business change that asked for it was committed. The business key makes a repeated request harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.relayer.actions import ACTION_ROLES, args_hash, normalise_args
from backend.relayer.errors import DuplicateIntentError, InvalidIntentError
from backend.relayer.models import QUEUED, Intent

log = logging.getLogger(__name__)


def _same_or_raise(existing: Intent, action: str, digest: str) -> Intent:
    if existing.action != action or existing.args_hash != digest:
        raise DuplicateIntentError(
            f"business key {existing.business_key!r} is already used by another {existing.action} request",
            business_key=existing.business_key,
        )
    return existing


@cache
def _insert_statement(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(Intent).on_conflict_do_nothing(index_elements=["business_key"]).returning(Intent)


def enqueue(session: Session, *, business_key: str, action: str, args: Mapping[str, Any]) -> Intent:
    """Record the intent to call `action(args)` under `business_key`, in the caller's transaction.

    The same key with the same action and arguments returns the existing intent; with different ones it
    raises DuplicateIntentError. Arguments are JSON: addresses as hex strings, integers as ints or decimal
    strings, bytes32 as 0x-hex.
    """
    if not business_key or len(business_key) > 200:
        raise InvalidIntentError("business_key must be 1..200 characters")
    normalised = normalise_args(action, args)
    digest = args_hash(action, normalised)
    now = datetime.now(UTC)
    values = {
        "business_key": business_key,
        "action": action,
        "args": normalised,
        "args_hash": digest,
        "role": ACTION_ROLES[action],
        "status": QUEUED,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    # One statement in the common case; a key that exists (or is being inserted by a concurrent
    # transaction, which this statement waits for) yields no row and is compared below.
    stmt = _insert_statement(session.get_bind(mapper=Intent).dialect.name)
    intent = session.scalars(stmt, [values]).one_or_none()
    if intent is None:
        existing = session.scalars(select(Intent).where(Intent.business_key == business_key)).one()
        return _same_or_raise(existing, action, digest)
    log.debug("intent %s queued: %s", business_key, action)
    return intent


def get_intent(session: Session, business_key: str) -> Intent | None:
    """The intent stored under `business_key`: status queued → signed → sent → mined / failed, its
    transaction hash and block once mined, and the decoded custom error (name and arguments) if failed."""
    return session.scalars(select(Intent).where(Intent.business_key == business_key)).one_or_none()
