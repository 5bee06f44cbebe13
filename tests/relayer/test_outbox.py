# SPDX-License-Identifier: EUPL-1.2
"""The outbox: intents under a unique business key, in the caller's transaction."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.errors import BackendError
from backend.relayer import (
    QUEUED,
    DuplicateIntentError,
    Intent,
    InvalidIntentError,
    RelayerError,
    enqueue,
    get_intent,
)
from heitje.db import unit_of_work

DB = tuple[Engine, sessionmaker[Session]]
CITIZEN = "0x" + "ab" * 20


def _mint(task: int, amount: int = 100) -> dict[str, object]:
    return {"citizen": CITIZEN, "amount": amount, "taskId": task}


def test_same_business_key_twice_gives_one_intent(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        first = enqueue(s, business_key="task:1", action="mintForTask", args=_mint(1))
    with unit_of_work(sf) as s:
        # Same request in another form (checksum address, decimal string): still the same intent.
        again = enqueue(
            s,
            business_key="task:1",
            action="mintForTask",
            args={"citizen": CITIZEN.upper().replace("0X", "0x"), "amount": "100", "taskId": 1},
        )
        assert again.id == first.id
        assert s.scalar(select(func.count()).select_from(Intent)) == 1
        found = get_intent(s, "task:1")
        assert found is not None
        assert found.status == QUEUED
        assert found.role == "issuer"


def test_same_business_key_with_other_args_is_refused(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        enqueue(s, business_key="task:2", action="mintForTask", args=_mint(2))
    with unit_of_work(sf) as s, pytest.raises(DuplicateIntentError) as info:
        enqueue(s, business_key="task:2", action="mintForTask", args=_mint(2, amount=101))
    assert isinstance(info.value, RelayerError)
    assert isinstance(info.value, BackendError)
    with unit_of_work(sf) as s, pytest.raises(DuplicateIntentError):
        enqueue(s, business_key="task:2", action="suspend", args={"account": CITIZEN})


def test_intent_is_rolled_back_with_the_callers_transaction(db: DB) -> None:
    _, sf = db

    def business_change_that_fails() -> None:
        with unit_of_work(sf) as s:
            enqueue(s, business_key="task:3", action="mintForTask", args=_mint(3))
            raise RuntimeError("business change failed")

    with pytest.raises(RuntimeError):
        business_change_that_fails()
    with unit_of_work(sf) as s:
        assert get_intent(s, "task:3") is None


@pytest.mark.parametrize(
    ("action", "args"),
    [
        ("transfer", {"to": CITIZEN, "value": 1}),
        ("mintForTask", {"citizen": CITIZEN, "amount": 1}),
        ("mintForTask", {"citizen": "0x1234", "amount": 1, "taskId": 1}),
        ("mintForTask", {"citizen": CITIZEN, "amount": -1, "taskId": 1}),
        ("enrolCitizen", {"account": CITIZEN, "citizenId": "0x12"}),
    ],
)
def test_invalid_intents_are_refused(db: DB, action: str, args: dict[str, object]) -> None:
    _, sf = db
    with unit_of_work(sf) as s, pytest.raises(InvalidIntentError):
        enqueue(s, business_key="bad", action=action, args=args)


def test_concurrent_enqueues_of_one_key_give_one_intent(db: DB) -> None:
    _, sf = db
    ids: list[int] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        try:
            with unit_of_work(sf) as s:
                ids.append(enqueue(s, business_key="task:race", action="mintForTask", args=_mint(9)).id)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids)) == 1
    assert len(ids) == 4
