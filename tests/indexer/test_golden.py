# SPDX-License-Identifier: EUPL-1.2
"""Golden test: recorded JSON-RPC answers replayed through a fake provider give exactly the recorded rows.
Re-record with `.venv/bin/python -m tests.indexer.golden.record` (and review the diff)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from heitje.db import make_engine, session_factory, unit_of_work
from heitje.deploy import Deployment
from indexer import queries
from indexer.decode import Event
from indexer.errors import IndexerError
from indexer.models import IdxCursor, IdxEvent
from tests.indexer.golden.record import FIRST_2027, LAST_2026, key
from tests.indexer.helpers import dump, index

GOLDEN = Path(__file__).parent / "golden"


class FakeRpc:
    """Answers exactly what was recorded; any other request is a test failure."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def call(self, method: str, *params: Any) -> Any:
        k = key(method, list(params))
        self.asked.append(k)
        if k not in self.answers:
            raise AssertionError(f"unrecorded request {k}")
        return self.answers[k]

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        return [self.call(method, *params) for method, params in calls]


@pytest.fixture
def recorded() -> tuple[FakeRpc, Deployment]:
    data = json.loads((GOLDEN / "rpc.json").read_text())
    meta = data["deployment"]
    d = Deployment(meta["chain_id"], meta["address"], meta["block_number"], "", "", "", {}, "", None)
    return FakeRpc(data["answers"]), d


def _expected() -> dict[str, list[list[Any]]]:
    return json.loads((GOLDEN / "expected.json").read_text())


def test_replayed_answers_give_exactly_the_expected_rows(
    recorded: tuple[FakeRpc, Deployment], database_url: str
) -> None:
    rpc, deployment = recorded
    parts = index(rpc, database_url, deployment)
    try:
        rows = json.loads(json.dumps(dump(parts.engine), default=str))
    finally:
        parts.engine.dispose()
    assert rows == _expected()
    assert set(rpc.asked) == set(rpc.answers)


def test_golden_rows_say_what_the_scenario_did() -> None:
    rows = _expected()
    names = {e[5] for e in rows["idx_events"]}
    assert names >= {
        "Transfer",
        "TaskRewarded",
        "CitizenEnrolled",
        "MerchantEnrolled",
        "PaymentMade",
        "RefundMade",
        "RedemptionRequested",
        "RedemptionSettled",
        "RedemptionRejected",
        "AccountRecovered",
        "ParticipantSuspended",
        "RoleGranted",
        "RoleRevoked",
        "Paused",
        "Unpaused",
        "YearlyCapChanged",
    }
    minted, burned, escrow, outstanding = rows["idx_supply"][0][1:]
    assert outstanding == minted - burned == sum(b[1] for b in rows["idx_balances"])
    contract = json.loads((GOLDEN / "rpc.json").read_text())["deployment"]["address"].lower()
    assert escrow == next(b[1] for b in rows["idx_balances"] if b[0] == contract) > 0
    # The new year falls at 23:00 UTC on 31 December: one second apart, two different years.
    boundary = {t[0]: (t[4], t[6]) for t in rows["idx_task_rewards"] if t[0] in ("900001", "900002")}
    assert boundary == {"900001": (2026, "2026-12-31T22:59:59"), "900002": (2027, "2026-12-31T23:00:00")}
    assert FIRST_2027 - LAST_2026 == 1
    assert rows["idx_contract_state"] == [[1, False, 200_000, None, None]]
    assert {r[2] for r in rows["idx_roles"]} == {
        "DEFAULT_ADMIN_ROLE",
        "ISSUER_ROLE",
        "REGISTRAR_ROLE",
        "SETTLER_ROLE",
        "PAUSER_ROLE",
        "RECOVERY_ROLE",
    }
    assert {r[3] for r in rows["idx_redemptions"]} == {"requested", "settled", "rejected"}


def test_read_api_answers_from_the_mirror(recorded: tuple[FakeRpc, Deployment], database_url: str) -> None:
    rpc, deployment = recorded
    parts = index(rpc, database_url, deployment)
    rows = _expected()
    try:
        with unit_of_work(session_factory(parts.engine)) as s:
            for address, balance, transfers in rows["idx_balances"]:
                assert queries.balance_of(s, address.upper().replace("0X", "0x")) == balance
                moves = queries.history(s, address, limit=1000)
                assert len(moves) == transfers
                assert sum(m.amount for m in moves) == balance
                assert moves == sorted(moves, key=lambda m: (m.block_number, m.log_index), reverse=True)
                page = queries.history(s, address, limit=2, offset=1)
                assert page == moves[1:3]
            assert queries.balance_of(s, "0x" + "ab" * 20) == 0
            for citizen_id, year, amount, _ in rows["idx_earnings"]:
                assert queries.earnings(s, citizen_id, year) == amount
            task = queries.task_reward(s, 900_002)
            assert task is not None
            assert task.year == 2027
            assert task.amount == 1234
            assert queries.task_reward(s, 1) is not None
            assert queries.task_reward(s, 10**70) is None
            for payout_id, merchant, amount, status, *_ in rows["idx_redemptions"]:
                red = queries.redemption(s, payout_id)
                assert red is not None
                assert (red.merchant, red.amount, red.status) == (merchant, amount, status)
            for p in rows["idx_payments"]:
                found = queries.payments_by_ref(s, p[10])
                assert any(f.tx_hash == p[2] and f.amount == p[9] and f.nonce == int(p[11]) for f in found)
            supply = queries.supply(s)
            assert [supply.minted, supply.burned, supply.escrow, supply.outstanding] == rows["idx_supply"][0][1:]
            assert supply.yearly_cap == 200_000
            assert not supply.paused
            st = queries.status(s, head=rows["idx_cursor"][0][0] + 3)
            assert st is not None
            assert st.lag == 3
            assert st.events == len(rows["idx_events"])
            recovered = [p for p in rows["idx_participants"] if p[8]]
            assert recovered
            lost = queries.participant(s, recovered[0][0])
            assert lost is not None
            assert not lost.active
            assert lost.recovered_to == recovered[0][8]
            merchant = rows["idx_merchant_receipts"][0]
            totals = queries.merchant_totals(s, merchant[0])
            assert totals is not None
            assert totals.received == merchant[2]
    finally:
        parts.engine.dispose()


def test_page_hooks_run_inside_the_page_transaction(
    recorded: tuple[FakeRpc, Deployment], database_url: str, other_database_url: str
) -> None:
    rpc, deployment = recorded
    seen: list[tuple[int, int, int]] = []

    def hook(session: Session, events: Sequence[Event]) -> None:
        # The page's rows and cursor are visible in the hook's session, not yet committed.
        cursor = session.scalar(select(IdxCursor.block_number))
        mirrored = len(session.scalars(select(IdxEvent.log_index)).all())
        seen.append((len(events), cursor or 0, mirrored))

    parts = index(rpc, database_url, deployment, page_hooks=[hook])
    parts.engine.dispose()
    assert sum(n for n, _, _ in seen) == len(_expected()["idx_events"])
    assert all(mirrored >= n for n, _, mirrored in seen)

    def failing(session: Session, events: Sequence[Event]) -> None:
        if any(e.name == "PaymentMade" for e in events):
            raise IndexerError("the API refused this page")

    with pytest.raises(IndexerError, match="refused"):
        index(FakeRpc(rpc.answers), other_database_url, deployment, page_hooks=[failing])
    engine = make_engine(other_database_url)
    try:
        with unit_of_work(session_factory(engine)) as s:
            names = set(s.scalars(select(IdxEvent.name)).all())
            cursor = s.scalar(select(IdxCursor.block_number))
    finally:
        engine.dispose()
    # Earlier pages were committed; nothing of the refused page was: the mirror stops before it.
    first_payment = min(e[0] for e in _expected()["idx_events"] if e[5] == "PaymentMade")
    assert "PaymentMade" not in names
    assert cursor is not None
    assert deployment.block_number <= cursor < first_payment
