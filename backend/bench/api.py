# SPDX-License-Identifier: EUPL-1.2
"""API figures, on loopback against a uvicorn server (one worker, its own process) over a database that the
indexer filled with ≥ 100,000 events: latency and throughput of the citizen's wallet and the dashboard
summary next to the trivial health endpoint of the same app; and end-to-end approvals (approve over HTTP →
outbox → relayer → chain → indexer → the citizen's wallet shows the reward).

The benchmark citizens are registered through the service layer and then given the addresses and
citizen ids that the indexer's load generator enrolled and rewarded on chain, so their wallets read real
projections of the bulk load. Claims start out submitted: approval is what is measured.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.deps import SESSION_COOKIE
from backend.bench.env import Node, child_env, python
from backend.bench.load import run_load
from backend.bench.procs import Child
from backend.models.accounts import User, UserKind
from backend.models.participants import ParticipantStatus
from backend.models.tasks import Claim, ClaimStatus
from backend.relayer.models import SenderNonce
from backend.services import accounts, participants
from backend.services import tasks as task_service
from heitje.chain.anvil import free_port
from heitje.db import make_engine, session_factory, unit_of_work
from heitje.settings import Settings
from indexer import queries
from indexer.loadgen import b32, party

log = logging.getLogger(__name__)

PASSWORD = "bench-password-not-a-secret"
REWARD_CENTS = 100
#: The API allows an officer 600 approvals a minute; a municipality's approvers share the work, and so do
#: the benchmark's: one approver per this many approvals keeps every one under the limit.
APPROVALS_PER_APPROVER = 400


@dataclass
class ApiWorld:
    officer_token: str
    officer_session: str  # the same officer, as the dashboard's session cookie
    approver_tokens: list[str]
    citizen_tokens: list[str]
    claims: list[tuple[int, int]]  # (claim id, index of the citizen)


def prepare(settings: Settings, database_url: str, citizens: int, approvals: int, first_claim_id: int = 0) -> ApiWorld:
    """Officer, citizens (bound to load-generator addresses), one task and `approvals` submitted claims.

    A claim's id is its on-chain task id: a second database on the same chain passes `first_claim_id` so its
    claims do not collide with task ids rewarded before."""
    engine = make_engine(database_url)
    sf = session_factory(engine)
    try:
        with unit_of_work(sf) as s:
            officer = accounts.create_user(
                s, settings, kind=UserKind.officer, login="bench-officer@heerlen.example", password=PASSWORD,
                roles=["admin", "approver", "task_manager", "auditor", "registrar", "settlement_officer"],
                display_name="bench officer",
            )  # fmt: skip
            officer_token = accounts.issue_token(s, officer).token
            officer_session = accounts.issue_token(s, officer, kind="session").token
            officer_id = officer.id
            approver_tokens = []
            for k in range(max(1, -(-approvals // APPROVALS_PER_APPROVER))):
                approver = accounts.create_user(
                    s, settings, kind=UserKind.officer, login=f"bench-approver-{k}@heerlen.example",
                    password=PASSWORD, roles=["approver"], display_name=f"bench approver {k}",
                )  # fmt: skip
                approver_tokens.append(accounts.issue_token(s, approver).token)
        tokens: list[str] = []
        citizen_rows: list[int] = []
        for i in range(citizens):
            with unit_of_work(sf) as s:
                reg = participants.CitizenRegistration(
                    email=f"bench-citizen-{i}@example.org", password=PASSWORD, pin="2468", name=f"Bench Citizen {i}",
                    phone="+31612345678", postcode4="6411", birth_year=1980, display_name=f"bench{i}",
                )  # fmt: skip
                citizen = participants.register_citizen(s, settings, reg, client=f"bench-{i}")
                citizen.address = party("citizen", i).address.lower()
                citizen.citizen_id = "0x" + b32(f"citizen-{i}").hex()
                citizen.status = ParticipantStatus.active
                user = s.get(User, citizen.user_id)
                assert user is not None
                tokens.append(accounts.issue_token(s, user).token)
                citizen_rows.append(citizen.id)
        with unit_of_work(sf) as s:
            new = task_service.NewTask(
                title="Zwerfafval rapen Bench", description="benchmark task", category="litter",
                neighbourhood="6411", lat=50.888, lon=5.979, reward_cents=REWARD_CENTS, estimated_minutes=30,
                slots=approvals + 1, claim_deadline=task_service.now() + timedelta(days=30), kit_note="",
                extra_work=True,
            )  # fmt: skip
            actor = s.get(User, officer_id)
            assert actor is not None
            task = task_service.create_task(s, actor, new)
            at = task_service.now()
            claims = []
            for k in range(approvals):
                who = k % citizens
                claim = Claim(
                    id=first_claim_id + k + 1 if first_claim_id else None,
                    task_id=task.id, citizen_id=citizen_rows[who], status=ClaimStatus.submitted, claimed_at=at,
                    expires_at=at + timedelta(days=7), note="bench", submitted_at=at,
                )  # fmt: skip
                s.add(claim)
                s.flush()
                claims.append((claim.id, who))
    finally:
        engine.dispose()
    return ApiWorld(officer_token, officer_session, approver_tokens, tokens, claims)


def start_server(node: Node, database_url: str, folder: Path) -> tuple[Child, str]:
    port = free_port()
    args = [python(), "-m", "uvicorn", "--factory", "backend.bench.serve:create", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    child = Child(args, child_env(node.settings, node.url, database_url), folder / "api-server.log").start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"API server exited:\n{child.tail()}")
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                return child, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    child.stop()
    raise RuntimeError("API server did not start in time")


def find_dashboard_summary(base: str) -> str | None:
    """The dashboard summary endpoint, looked up in the app's OpenAPI document (it lands separately)."""
    paths: dict[str, Any] = httpx.get(base + "/api/v1/openapi.json", timeout=30).json().get("paths", {})
    gets = [p for p, ops in paths.items() if "get" in ops and "{" not in p]
    for test in (
        lambda p: "dashboard" in p and "summary" in p,
        lambda p: p.rstrip("/").endswith("/dashboard"),
        lambda p: "dashboard" in p,
    ):
        found = sorted(p for p in gets if test(p))
        if found:
            return found[0]
    return None


DASHBOARD_PAGE = "/dashboard/"


def _dashboard_page_answers(base: str, session_token: str) -> bool:
    try:
        r = httpx.get(base + DASHBOARD_PAGE, cookies={SESSION_COOKIE: session_token}, timeout=60)
    except httpx.HTTPError:
        return False
    return r.status_code == 200 and "text/html" in r.headers.get("content-type", "")


def measure_reads(
    base: str, world: ApiWorld, requests: int, concurrency: int, dashboard_requests: int | None = None
) -> dict[str, Any]:
    """Health, wallet and dashboard summary, one after the other, each under the same bounded load. The
    dashboard summary is much heavier, so it may get fewer requests (`dashboard_requests`)."""

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    tokens = world.citizen_tokens
    health = run_load(base, lambda i: ("GET", "/api/v1/health", {}), requests, concurrency).summary()
    wallet = run_load(
        base, lambda i: ("GET", "/api/v1/me/wallet", auth(tokens[i % len(tokens)])), requests, concurrency
    ).summary()
    out: dict[str, Any] = {"health": health, "wallet": wallet}
    path = find_dashboard_summary(base)
    headers = auth(world.officer_token)
    if path is None and _dashboard_page_answers(base, world.officer_session):
        # No JSON summary in the API; the officers' dashboard overview page computes the same summary
        # (supply and minted-per-week charts, queues, reconciliation, liability) server-side on each load.
        path, headers = DASHBOARD_PAGE, {"Cookie": f"{SESSION_COOKIE}={world.officer_session}"}
        out["dashboard_summary_note"] = (
            f"no JSON dashboard summary endpoint in the API; measured the dashboard overview page {DASHBOARD_PAGE} "
            "(server-rendered HTML: supply and minted-per-week charts, queue counts, reconciliation, liability)"
        )
    if path is None:
        out["dashboard_summary"] = None
        out["dashboard_summary_note"] = (
            "no dashboard summary endpoint (JSON or dashboard page) at the time of this run; "
            "the figure is left empty rather than measured on another route"
        )
    else:
        n = dashboard_requests or requests
        dash = run_load(base, lambda i: ("GET", path, headers), n, concurrency, warmup=min(20, n)).summary()
        dash["path"] = path
        out["dashboard_summary"] = dash
        if dash["non_2xx"]:
            out["dashboard_summary_failures"] = (
                f"{dash['non_2xx']} of {n} requests failed ({dash['statuses']}); see the server log "
                "(on SQLite: 'database is locked' once requests queue behind each other's write lock)"
            )
    out["ratio_wallet_p95_vs_health_p95"] = (
        round(wallet["p95_ms"] / health["p95_ms"], 2) if health["p95_ms"] and not wallet["non_2xx"] else None
    )
    if out["dashboard_summary"] is not None:
        d = out["dashboard_summary"]
        out["ratio_dashboard_p95_vs_health_p95"] = (
            round(d["p95_ms"] / health["p95_ms"], 2) if health["p95_ms"] and not d["non_2xx"] else None
        )
    return out


def _balances(base: str, tokens: list[str]) -> list[int]:
    out = []
    for token in tokens:
        r = httpx.get(base + "/api/v1/me/wallet", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        r.raise_for_status()
        out.append(int(r.json()["balance_cents"]))
    return out


@dataclass
class _Approved:
    latencies: list[float]
    statuses: dict[int, int]
    ok: list[int]  # citizen index of every claim approved with 200
    problems: dict[str, int]  # problem type → count, for the refused ones


async def _approve_all(base: str, world: ApiWorld, concurrency: int) -> _Approved:
    approvers = world.approver_tokens
    out = _Approved([], {}, [], {})
    queue = iter(world.claims)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

        async def worker() -> None:
            for claim_id, who in queue:
                headers = {
                    "Authorization": f"Bearer {approvers[claim_id % len(approvers)]}",
                    "Idempotency-Key": uuid.uuid4().hex,
                }
                t = time.perf_counter()
                r = await client.post(f"/api/v1/claims/{claim_id}/approve", headers=headers)
                out.latencies.append((time.perf_counter() - t) * 1000)
                out.statuses[r.status_code] = out.statuses.get(r.status_code, 0) + 1
                if r.status_code == 200:
                    out.ok.append(who)
                else:
                    kind = f"{r.status_code} {_problem_type(r)}"
                    out.problems[kind] = out.problems.get(kind, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out


def _problem_type(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:80]
    return str(body.get("type") or body.get("title") or "")[:120] if isinstance(body, dict) else ""


def _wait_indexed(sf: sessionmaker[Session], node: Node, indexer: Child, timeout: float = 120.0) -> None:
    """The follower has reached the chain head as it was when we asked."""
    head = node.chain.block_number()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not indexer.alive():
            raise RuntimeError(f"indexer exited:\n{indexer.tail()}")
        with sf() as s:
            st = queries.status(s)
        if st is not None and st.block_number >= head:
            return
        time.sleep(0.2)
    raise RuntimeError("indexer did not reach the head in time")


def _wait_relayer_ready(sf: sessionmaker[Session], child: Child, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"relayer exited:\n{child.tail()}")
        with sf() as s:
            if s.scalar(select(SenderNonce.sender).limit(1)):
                return
        time.sleep(0.1)
    raise RuntimeError("relayer not ready in time")


def heitje_command() -> list[str]:
    script = Path(python()).parent / "heitje"
    return [str(script)] if script.exists() else [python(), "-c", "from heitje.cli import app; app()"]


def measure_approvals(
    node: Node, base: str, database_url: str, world: ApiWorld, folder: Path, concurrency: int, timeout: float = 300
) -> dict[str, Any]:
    """Approve every prepared claim over HTTP while the relayer and the indexer run as their own processes;
    time until every citizen's wallet (read through the API) shows every reward."""
    env = child_env(node.settings, node.url, database_url)
    relayer = Child([python(), "-m", "backend.relayer"], env, folder / "approvals-relayer.log").start()
    indexer = Child([*heitje_command(), "index"], env, folder / "approvals-indexer.log").start()
    engine = make_engine(database_url)
    sf = session_factory(engine)
    try:
        _wait_relayer_ready(sf, relayer)
        _wait_indexed(sf, node, indexer)
        before = _balances(base, world.citizen_tokens)
        started = time.perf_counter()
        approved = asyncio.run(_approve_all(base, world, concurrency))
        approved_s = time.perf_counter() - started
        expected = list(before)
        for who in approved.ok:
            expected[who] += REWARD_CENTS
        deadline = time.monotonic() + timeout
        now = _balances(base, world.citizen_tokens)
        while now != expected and time.monotonic() < deadline:
            if not relayer.alive() or not indexer.alive():
                raise RuntimeError(f"relayer or indexer exited:\n{relayer.tail()}\n{indexer.tail()}")
            time.sleep(0.1)
            now = _balances(base, world.citizen_tokens)
        visible_s = time.perf_counter() - started
        with sf() as s:
            paid = s.scalars(select(Claim.status).where(Claim.id.in_([c for c, _ in world.claims]))).all()
    finally:
        relayer.stop()
        indexer.stop()
        engine.dispose()
    ok = len(approved.ok)
    complete = now == expected
    latencies = sorted(approved.latencies)
    return {
        "approvals": len(world.claims),
        "approved_200": ok,
        "statuses": approved.statuses,
        "refused": approved.problems,
        "all_visible_in_wallet": complete,
        "seconds_to_all_approved": round(approved_s, 2),
        "seconds_to_all_visible": round(visible_s, 2),
        "approve_requests_per_s": round(len(world.claims) / approved_s, 1) if approved_s else None,
        "approve_p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "approve_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1) if latencies else None,
        "claims_paid": sum(1 for st in paid if st == ClaimStatus.paid),
        "approvals_per_s": round(ok / visible_s, 1) if complete and visible_s else None,
        "concurrency": concurrency,
        "approvers": len(world.approver_tokens),
    }
