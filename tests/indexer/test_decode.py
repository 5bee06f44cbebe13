# SPDX-License-Identifier: EUPL-1.2
"""Decoding: the sliced fast path equals eth_abi on every recorded log; the Amsterdam year boundary."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from heitje.chain.abi import heitje_abi
from indexer.decode import LogDecoder
from indexer.errors import IndexerError
from indexer.project import amsterdam_year

GOLDEN = Path(__file__).parent / "golden" / "rpc.json"


def _logs() -> list[dict[str, object]]:
    answers = json.loads(GOLDEN.read_text())["answers"]
    return [log for k, v in answers.items() if k.startswith('["eth_getLogs"') for log in v]


def test_fast_path_equals_eth_abi_on_every_recorded_log() -> None:
    decoder = LogDecoder(heitje_abi())
    logs = _logs()
    assert len(logs) > 100
    for log in logs:
        fast, exact = decoder.decode(log), decoder.decode(log, exact=True)
        assert fast.args == exact.args, fast.name
        assert fast.name == exact.name


def test_malformed_data_is_an_error_not_a_guess() -> None:
    decoder = LogDecoder(heitje_abi())
    log = next(entry for entry in _logs() if len(entry["data"]) > 2)  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017, PT011 - eth_abi's own decoding error
        decoder.decode({**log, "data": log["data"][:-2]})  # type: ignore[index]
    with pytest.raises(IndexerError, match="unknown event topic"):
        decoder.decode({**log, "topics": ["0x" + "ee" * 32]})


def test_amsterdam_year_turns_at_23_utc_on_31_december() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    for year in (2025, 2026, 2027, 2030):
        turn = datetime(year, 12, 31, 23, 0, tzinfo=UTC)
        for t in (turn - timedelta(seconds=1), turn, turn + timedelta(hours=1), turn - timedelta(days=200)):
            assert amsterdam_year(t) == t.astimezone(amsterdam).year
        assert amsterdam_year(turn) == year + 1
