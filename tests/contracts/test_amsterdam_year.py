# SPDX-License-Identifier: EUPL-1.2
"""DESIGN §3 rule 3: the cap year is the civil year in Europe/Amsterdam; it turns at 23:00 UTC on 31 Dec.

Time only moves forward on a chain, but `evm_revert` restores the clock, so each test travels inside the
function-scoped snapshot and leaves the shared anvil where it found it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contracts.conftest import new_task_id
from tests.contracts.ledger import Ledger, citizen_id, expect_revert, new_account

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CAP = 10_000


def amsterdam_year(ts: int) -> int:
    return datetime.fromtimestamp(ts, AMSTERDAM).year


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp())


def years_of(ledger: Ledger, timestamps: list[int]) -> list[int]:
    """`yearOf` for many timestamps in one JSON-RPC batch."""
    f = ledger.abi.functions["yearOf"]
    calls: list[tuple[str, list[Any]]] = [
        ("eth_call", [{"to": ledger.address, "data": "0x" + f.encode(ts).hex()}, "latest"]) for ts in timestamps
    ]
    return [int(r, 16) for r in ledger.chain.rpc.batch(calls)]


@pytest.mark.parametrize("year", [2027, 2028], ids=["normal-year-2027", "leap-year-2028"])
def test_cap_year_turns_at_23_utc_on_new_years_eve(year: int, ledger: Ledger, snapshot: None) -> None:
    assert ledger.latest_timestamp() < utc(year, 12, 31, 22, 59, 58)
    account = new_account().address
    cid = citizen_id(f"newyear-{year}")
    ledger.enrol_citizen(account, cid)
    ledger.set_yearly_cap(CAP)
    gas = 300_000  # fixed, so each transaction is mined in the block whose timestamp was set

    ledger.set_next_timestamp(utc(year, 12, 31, 22, 59, 58))
    ledger.mint(account, CAP - 1, new_task_id(), gas=gas)
    ledger.set_next_timestamp(utc(year, 12, 31, 22, 59, 59))
    ledger.mint(account, 1, new_task_id(), gas=gas)  # the last second of the Amsterdam year
    assert ledger.current_year() == year
    assert ledger.cap_used(cid, year) == (CAP, CAP)

    ledger.set_next_timestamp(utc(year, 12, 31, 23, 0, 0))
    rcpt = ledger.mint(account, CAP, new_task_id(), gas=gas)  # 00:00 in Amsterdam: a fresh cap
    block = ledger.chain.get_block(rcpt.block_number)
    assert int(block["timestamp"], 16) == utc(year, 12, 31, 23, 0, 0)
    assert ledger.current_year() == year + 1
    assert ledger.cap_used(cid, year) == (CAP, CAP)
    assert ledger.cap_used(cid, year + 1) == (CAP, CAP)

    ledger.set_next_timestamp(utc(year, 12, 31, 23, 0, 1))
    with expect_revert("HeitjeYearlyCapExceeded") as err:
        ledger.mint(account, 1, new_task_id(), gas=gas)
    assert err.args == (cid, year + 1, CAP, CAP)


def test_full_cap_at_last_second_of_year_blocks_one_more_cent(ledger: Ledger, snapshot: None) -> None:
    account = new_account().address
    cid = citizen_id("last-second")
    ledger.enrol_citizen(account, cid)
    ledger.set_yearly_cap(CAP)
    ledger.set_next_timestamp(utc(2027, 12, 31, 22, 59, 58))
    ledger.mint(account, CAP, new_task_id(), gas=300_000)
    ledger.set_next_timestamp(utc(2027, 12, 31, 22, 59, 59))
    with expect_revert("HeitjeYearlyCapExceeded") as err:
        ledger.mint(account, 1, new_task_id(), gas=300_000)
    assert err.args == (cid, 2027, CAP, CAP)


@pytest.mark.parametrize(
    ("ts", "year"),
    [
        (utc(2027, 12, 31, 22, 59, 59), 2027),
        (utc(2027, 12, 31, 23, 0, 0), 2028),
        (utc(2028, 2, 29, 12, 0, 0), 2028),
        (utc(2028, 12, 31, 22, 59, 59), 2028),
        (utc(2028, 12, 31, 23, 0, 0), 2029),
        (utc(2026, 7, 1, 0, 0, 0), 2026),  # summer time does not matter mid-year
        (0, 1970),
    ],
)
def test_year_of_known_instants(ts: int, year: int, ledger: Ledger) -> None:
    assert ledger.year_of(ts) == year == amsterdam_year(ts)


def test_year_of_matches_zoneinfo_around_every_new_year_1971_to_2400(ledger: Ledger) -> None:
    stamps = []
    for year in range(1971, 2401):
        boundary = utc(year - 1, 12, 31, 23, 0, 0)
        stamps += [boundary - 1, boundary, boundary + 1]
    assert years_of(ledger, stamps) == [amsterdam_year(ts) for ts in stamps]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**34), min_size=50, max_size=50))
def test_year_of_matches_zoneinfo_for_random_instants(ledger: Ledger, stamps: list[int]) -> None:
    assert years_of(ledger, stamps) == [amsterdam_year(ts) for ts in stamps]


def test_year_of_matches_zoneinfo_for_random_days_near_new_year(ledger: Ledger) -> None:
    rng = random.Random(2028)
    stamps = [utc(rng.randrange(1971, 2500), 12, 31, 23, 0, 0) + rng.randrange(-86_400, 86_400) for _ in range(500)]
    assert years_of(ledger, stamps) == [amsterdam_year(ts) for ts in stamps]
