# SPDX-License-Identifier: EUPL-1.2
"""The dashboard's weekly charts are summed by the database, in Amsterdam ISO weeks, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from backend.web.i18n import TZ
from backend.web.queries import charts, iso_week
from heitje.db import make_engine, migrate, session_factory
from indexer.models import IdxTransfer

_log = itertools.count()


def _move(session: Session, kind: str, when: datetime, amount: int) -> None:
    n = next(_log)
    session.add(
        IdxTransfer(
            block_number=1000 + n,
            log_index=0,
            tx_hash="0x" + f"{n:064x}",
            block_time=when,
            kind=kind,
            from_address="0x" + "0" * 40,
            to_address="0x" + "1" * 40,
            amount=amount,
            reference=str(n),
        )
    )


def _last_monday_half_past_midnight() -> datetime:
    """00:30 on a Monday in Amsterdam, at least two days ago: 23:30 or 22:30 UTC on the Sunday before."""
    local = datetime.now(TZ) - timedelta(days=2)
    monday = (local - timedelta(days=local.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, 0, 30, tzinfo=TZ).astimezone(UTC)


def test_weekly_sums_follow_amsterdam_weeks_and_count_history_before_the_window(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    boundary = _last_monday_half_past_midnight()
    with session_factory(engine)() as session, session.begin():
        _move(session, "mint", now - timedelta(weeks=20), 1_000)  # before the charted weeks
        _move(session, "mint", now - timedelta(hours=2), 500)
        _move(session, "mint", boundary, 7)  # Sunday night UTC, Monday in Amsterdam
        _move(session, "payment", now - timedelta(days=8), 200)
        _move(session, "refund", now - timedelta(days=8), 50)
        _move(session, "burn", now - timedelta(days=3), 100)
    with session_factory(engine)() as session:
        result = charts(session)
    engine.dispose()

    minted = dict(zip(result.weeks, result.minted, strict=True))
    spent = dict(zip(result.weeks, result.spent, strict=True))
    monday_week = iso_week(boundary)
    assert monday_week == iso_week(boundary.astimezone(TZ).replace(tzinfo=None).replace(tzinfo=TZ))
    assert minted[monday_week] >= 7
    sunday_week = iso_week(boundary - timedelta(hours=1))
    assert sunday_week != monday_week
    if iso_week(now - timedelta(hours=2)) == monday_week:
        assert minted[monday_week] == 507
    else:
        assert minted[monday_week] == 7
        assert minted[iso_week(now - timedelta(hours=2))] == 500
    assert minted.get(sunday_week, 0) == 0
    assert spent[iso_week(now - timedelta(days=8))] == 150
    assert sum(result.minted) == 507
    assert result.outstanding[-1] == 1_000 + 507 - 100
    assert result.outstanding[0] >= 1_000
