# SPDX-License-Identifier: EUPL-1.2
"""Row locking shared by every service."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import NotFound

T = TypeVar("T")


def lock(session: Session, model: type[T], ident: int, missing: str | None = None) -> T:
    """Load a row with a row lock (SELECT … FOR UPDATE on PostgreSQL; SQLite transactions already hold the
    database write lock from BEGIN IMMEDIATE), so checks and state changes on it cannot interleave.
    Raises NotFound (with `missing` as its detail, when given) if there is no such row."""
    column: Any = model.id  # type: ignore[attr-defined]
    row = session.scalars(
        select(model).where(column == ident).with_for_update().execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound(missing or f"{model.__name__} {ident} does not exist")
    return row
