# SPDX-License-Identifier: EUPL-1.2
"""The human-readable table (rich, for the terminal; Markdown, for docs/performance.md)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

Row = tuple[str, str, str, str, str, str]  # figure, value, baseline, ratio, target, met
HEADER = ("Figure", "Value", "Baseline (same run)", "Ratio", "Target", "Met")


def _n(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float):
        text = f"{value:,.{digits}f}" if digits or isinstance(value, float) else f"{value:,}"
        return f"{text}{unit}"
    return str(value)


def _x(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _met(targets: list[dict[str, Any]], figure: str) -> str:
    for t in targets:
        if t["figure"] == figure:
            return "—" if t["met"] is None else ("yes" if t["met"] else "NO")
    return ""


def _both(targets: list[dict[str, Any]], *figures: str) -> str:
    marks = [_met(targets, f) for f in figures]
    if "NO" in marks:
        return "NO"
    if all(m == "yes" for m in marks):
        return "yes"
    return "—"


def rows(r: dict[str, Any]) -> list[Row]:
    t = r.get("targets", [])
    g, rel, idx, api = r.get("gas", {}), r.get("relayer", {}), r.get("indexer", {}), r.get("api", {})
    first = g.get("first_recipient") or {}
    out: list[Row] = []

    def ratio(a: Any, b: Any) -> str:
        return _x(a / b) if isinstance(a, int | float) and isinstance(b, int | float) and b else "—"

    out += [
        ("gas: mintForTask, repeat recipient", _n(g.get("mint_for_task")), f"OZ mint {_n(g.get('oz_mint'))}",
         _x(g.get("ratio_mint_for_task_vs_oz_mint")), "≤ 1.5×", _met(t, "gas.ratio_mint_for_task_vs_oz_mint")),
        ("gas: payment by authorization, repeat", _n(g.get("payment")), f"OZ transfer {_n(g.get('oz_transfer'))}",
         _x(g.get("ratio_payment_vs_oz_transfer")), "≤ 1.8×", _met(t, "gas.ratio_payment_vs_oz_transfer")),
        ("gas: mintForTask, first-time recipient", _n(first.get("mint_for_task")),
         f"OZ mint {_n(first.get('oz_mint'))}", _x(first.get("ratio_mint_for_task_vs_oz_mint")), "", ""),
        ("gas: payment, first-time recipient", _n(first.get("payment")),
         f"OZ transfer {_n(first.get('oz_transfer'))}", _x(first.get("ratio_payment_vs_oz_transfer")), "", ""),
        ("gas: refund by authorization, repeat", _n(g.get("refund")), f"OZ transfer {_n(g.get('oz_transfer'))}",
         ratio(g.get("refund"), g.get("oz_transfer")), "", ""),
        ("gas: payout request by authorization", _n(g.get("payout_request")), "", "", "", ""),
        ("gas: settle (burn from escrow)", _n(g.get("settle")), "", "", "", ""),
        ("gas: mintForTasks per element (batch)", _n(g.get("mint_for_tasks_per_item")),
         f"OZ mint {_n(g.get('oz_mint'))}", ratio(g.get("mint_for_tasks_per_item"), g.get("oz_mint")), "", ""),
    ]  # fmt: skip
    tp = rel.get("throughput") or {}
    crash = rel.get("crash") or {}
    rpg = rel.get("postgres") or {}
    out += [
        (f"relayer: mint intents/s, enqueue → mined ({_n(tp.get('intents'))}, 1 s blocks)",
         _n(rel.get("intents_per_s"), "/s", 1), f"naive web3.py loop {_n(rel.get('naive_per_s'), '/s', 1)}",
         _x(rel.get("speedup_vs_naive")), "≥ 500/s, ≥ 15×",
         _both(t, "relayer.intents_per_s", "relayer.speedup_vs_naive")),
        ("relayer: drain, a queued backlog → mined", _n(rel.get("drain_per_s"), "/s", 1),
         f"enqueue alone {_n(tp.get('enqueue_per_s'), '/s', 1)}", "", "", ""),
        (f"relayer (outbox on PostgreSQL, {_n(rpg.get('producers'))} producers): intents/s",
         _n(rpg.get("intents_per_s"), "/s", 1), f"naive web3.py loop {_n(rel.get('naive_per_s'), '/s', 1)}",
         _x(rpg.get("speedup_vs_naive")), "", ""),
        ("relayer (outbox on PostgreSQL): drain", _n(rpg.get("drain_per_s"), "/s", 1),
         f"enqueue alone {_n(rpg.get('enqueue_per_s'), '/s', 1)}", "", "", ""),
        ("relayer: naive loop on the 1 s chain", _n(rel.get("naive_per_s_1s_blocks"), "/s", 1), "",
         _x(rel.get("speedup_vs_naive_1s_blocks")), "", ""),
        (f"relayer: crash run, {_n(crash.get('kills'))} × kill -9, {_n(crash.get('intents'))} intents",
         f"dup {_n(crash.get('duplicates'))}, lost {_n(crash.get('lost'))}", "", "", "0 dup, 0 lost",
         _both(t, "relayer.crash.duplicates", "relayer.crash.lost")),
    ]  # fmt: skip
    out += [
        (f"indexer: catch-up into SQLite ({_n(idx.get('events'))} events)", _n(idx.get("events_per_s_sqlite"), "/s"),
         f"naive INSERT+commit per event {_n(idx.get('naive_events_per_s'), '/s')}", _x(idx.get("speedup_vs_naive")),
         "≥ 5,000/s, ≥ 10×", _both(t, "indexer.events_per_s_sqlite", "indexer.speedup_vs_naive")),
        ("indexer: SQLite, vs its own writer one event per transaction", _n(idx.get("events_per_s_sqlite"), "/s"),
         f"naive same output {_n(idx.get('naive_same_output_events_per_s'), '/s')}",
         _x(idx.get("speedup_vs_naive_same_output")), "", ""),
        ("indexer: catch-up into PostgreSQL", _n(idx.get("events_per_s_postgres"), "/s"),
         f"naive INSERT+commit per event {_n(idx.get('naive_events_per_s_postgres'), '/s')}",
         _x(idx.get("speedup_vs_naive_postgres")), "(≥ 10×)", ""),
        ("indexer: PostgreSQL, vs its own writer one event per transaction", _n(idx.get("events_per_s_postgres"), "/s"),
         f"naive same output {_n(idx.get('naive_same_output_events_per_s_postgres'), '/s')}",
         _x(idx.get("speedup_vs_naive_same_output_postgres")), "", ""),
        ("indexer: peak RSS during catch-up", _n(idx.get("peak_rss_mb"), " MB", 1), "", "", "< 300 MB",
         _met(t, "indexer.peak_rss_mb")),
    ]  # fmt: skip
    health, wallet, dash = api.get("health") or {}, api.get("wallet") or {}, api.get("dashboard_summary") or {}

    def lat(s: dict[str, Any]) -> str:
        if not s:
            return "—"
        p50, p95 = _n(s.get("p50_ms"), " ms", 1), _n(s.get("p95_ms"), " ms", 1)
        failed = f", {s['non_2xx']} of {s.get('requests')} failed" if s.get("non_2xx") else ""
        return f"p50 {p50} / p95 {p95}, {_n(s.get('req_per_s'), '/s', 0)}{failed}"

    e2e = api.get("approvals") or {}
    out += [
        (f"api: GET /me/wallet ({_n(api.get('indexed_events'))} events)", lat(wallet), f"health {lat(health)}",
         _x(api.get("ratio_wallet_p95_vs_health_p95")), "p95 ≤ 3× health",
         _met(t, "api.ratio_wallet_p95_vs_health_p95")),
        (f"api: dashboard summary {dash.get('path', '')}".rstrip(), lat(dash), f"health {lat(health)}",
         _x(api.get("ratio_dashboard_p95_vs_health_p95")), "", "" if dash else "n/a"),
        (f"api: approvals end to end ({_n(e2e.get('approvals'))})", _n(api.get("approvals_per_s"), "/s", 1),
         f"approve requests {_n(e2e.get('approve_requests_per_s'), '/s', 1)}", "", "≥ 200/s",
         _met(t, "api.approvals_per_s")),
    ]  # fmt: skip
    # PostgreSQL rows only when the run had --postgres.
    out = [row for row in out if "PostgreSQL" not in row[0] or row[1] != "—"]
    pg = api.get("postgres") or {}
    if pg:
        pe = pg.get("approvals") or {}
        out += [
            ("api (PostgreSQL): GET /me/wallet", lat(pg.get("wallet") or {}), f"health {lat(pg.get('health') or {})}",
             _x(pg.get("ratio_wallet_p95_vs_health_p95")), "p95 ≤ 3× health", ""),
            (f"api (PostgreSQL): approvals end to end ({_n(pe.get('approvals'))})",
             _n(pg.get("approvals_per_s"), "/s", 1),
             f"approve requests {_n(pe.get('approve_requests_per_s'), '/s', 1)}", "", "≥ 200/s", ""),
        ]  # fmt: skip
    return out


def render(result: dict[str, Any], console: Console) -> None:
    table = Table(title=f"heitje bench{' --quick' if result.get('quick') else ''} — {result.get('started_at')}")
    for h in HEADER:
        table.add_column(h, overflow="fold")
    for row in rows(result):
        style = "red" if row[5] == "NO" else None
        table.add_row(*row, style=style)
    console.print(table)
    m = result.get("machine", {})
    console.print(
        f"{m.get('cpus')} CPUs ({m.get('cpu_model')}), {m.get('memory_gb')} GB; load average "
        f"{m.get('load_average_start')} → {m.get('load_average_end')}; {result.get('seconds')} s in all. "
        "Gas on a separate automining anvil; relayer, indexer and API load on a 1-second-block anvil."
    )
    for name in ("gas", "relayer", "indexer", "api"):
        err = (result.get(name) or {}).get("error")
        if err:
            console.print(f"[red]{name} section failed:[/red] {err}")
    note = (result.get("api") or {}).get("dashboard_summary_note")
    if note:
        console.print(f"api note: {note}")


def markdown(result: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows(result):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines) + "\n"
