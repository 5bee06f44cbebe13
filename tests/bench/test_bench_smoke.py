# SPDX-License-Identifier: EUPL-1.2
"""`heitje bench --quick --json` runs once, end to end, and prints one JSON object with every figure issue 8
asks for, of the right type. No thresholds: timing is what the benchmark reports, not what tests check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from heitje.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

Number = (int, float)

REQUIRED: dict[str, tuple[str, ...]] = {
    "gas": (
        "mint_for_task", "oz_mint", "payment", "oz_transfer", "refund", "payout_request", "settle",
        "ratio_mint_for_task_vs_oz_mint", "ratio_payment_vs_oz_transfer",
    ),
    "relayer": ("intents_per_s", "naive_per_s", "speedup_vs_naive", "crash"),
    "indexer": (
        "events_per_s_sqlite", "events_per_s_postgres", "naive_events_per_s", "speedup_vs_naive", "peak_rss_mb",
    ),
    "api": ("wallet", "dashboard_summary", "health", "ratio_wallet_p95_vs_health_p95", "approvals_per_s"),
}  # fmt: skip


def _positive(value: Any, what: str, kind: type | tuple[type, ...] = Number) -> None:
    assert isinstance(value, kind), f"{what}: {value!r}"
    assert isinstance(value, int | float)
    assert value > 0, f"{what}: {value!r}"


def _heitje() -> list[str]:
    script = Path(sys.executable).parent / "heitje"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from heitje.cli import app; app()"]


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    done = subprocess.run(
        [*_heitje(), "bench", "--quick", "--json"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    parsed: dict[str, Any] = json.loads(done.stdout)  # the whole of stdout is one JSON object
    return parsed


def test_quick_bench_prints_every_required_key(result: dict[str, Any]) -> None:
    for section, keys in REQUIRED.items():
        assert section in result, section
        missing = [k for k in keys if k not in result[section]]
        assert not missing, f"{section}: {missing}"
    assert set(result["relayer"]["crash"]) >= {"kills", "intents", "duplicates", "lost"}


def test_quick_bench_sections_all_ran(result: dict[str, Any]) -> None:
    errors = {name: result[name].get("error") for name in REQUIRED if result[name].get("error")}
    assert not errors


def test_gas_figures_are_positive_integers_and_ratios_numbers(result: dict[str, Any]) -> None:
    gas = result["gas"]
    for key in REQUIRED["gas"]:
        value = gas[key]
        _positive(value, key, float if key.startswith("ratio_") else int)
    assert isinstance(gas["first_recipient"]["mint_for_task"], int)


def test_relayer_figures_have_numbers_and_the_crash_run_counts(result: dict[str, Any]) -> None:
    relayer = result["relayer"]
    for key in ("intents_per_s", "naive_per_s", "speedup_vs_naive"):
        _positive(relayer[key], key)
    crash = relayer["crash"]
    for key in ("kills", "intents", "duplicates", "lost"):
        assert isinstance(crash[key], int), key
    _positive(crash["kills"], "kills")
    _positive(crash["intents"], "intents")


def test_indexer_figures_have_numbers(result: dict[str, Any]) -> None:
    indexer = result["indexer"]
    for key in ("events_per_s_sqlite", "naive_events_per_s", "speedup_vs_naive", "peak_rss_mb"):
        _positive(indexer[key], key)
    assert indexer["events_per_s_postgres"] is None or isinstance(indexer["events_per_s_postgres"], Number)


def _latency(figures: dict[str, Any]) -> None:
    for key in ("p50_ms", "p95_ms", "req_per_s"):
        _positive(figures[key], key)
    assert figures["p50_ms"] <= figures["p95_ms"]


def test_api_figures_are_latencies_or_explained_nulls(result: dict[str, Any]) -> None:
    api = result["api"]
    _latency(api["health"])
    _latency(api["wallet"])
    if api["dashboard_summary"] is None:
        assert api.get("dashboard_summary_note")
    else:
        _latency(api["dashboard_summary"])
    assert isinstance(api["ratio_wallet_p95_vs_health_p95"], Number)
    if api["approvals_per_s"] is None:
        assert api.get("approvals_note")
    else:
        _positive(api["approvals_per_s"], "approvals_per_s")


def test_results_file_is_written(result: dict[str, Any]) -> None:
    path = Path(result["results_file"])
    assert path.parent == PROJECT_ROOT / "bench" / "results"
    assert json.loads(path.read_text())["started_at"] == result["started_at"]
