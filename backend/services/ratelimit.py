# SPDX-License-Identifier: EUPL-1.2
"""Fixed-window rate limits kept in the database, so every API worker shares them."""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import RateLimited
from backend.models.accounts import RateLimitBucket


def hit(session: Session, bucket: str, limit: int, window_s: int, now: float | None = None) -> None:
    """Count one attempt in `bucket`; raise RateLimited once more than `limit` fall in the current window.

    Runs in its own nested transaction so that a refused request still counts.
    """
    window = int((now or time.time()) // window_s) * window_s
    with session.begin_nested():
        updated = session.execute(
            update(RateLimitBucket)
            .where(RateLimitBucket.bucket == bucket, RateLimitBucket.window_start == window)
            .values(count=RateLimitBucket.count + 1)
            .returning(RateLimitBucket.count)
        ).scalar_one_or_none()
    if updated is None:
        try:
            with session.begin_nested():
                session.add(RateLimitBucket(bucket=bucket, window_start=window, count=1))
            updated = 1
        except IntegrityError:
            with session.begin_nested():
                updated = session.execute(
                    update(RateLimitBucket)
                    .where(RateLimitBucket.bucket == bucket, RateLimitBucket.window_start == window)
                    .values(count=RateLimitBucket.count + 1)
                    .returning(RateLimitBucket.count)
                ).scalar_one()
    if updated > limit:
        retry = window + window_s - int(now or time.time())
        raise RateLimited(f"too many requests; try again in {max(retry, 1)} s", retry_after=max(retry, 1))


def current(session: Session, bucket: str, window_s: int) -> int:
    window = int(time.time() // window_s) * window_s
    value = session.scalar(
        select(RateLimitBucket.count).where(RateLimitBucket.bucket == bucket, RateLimitBucket.window_start == window)
    )
    return int(value or 0)
