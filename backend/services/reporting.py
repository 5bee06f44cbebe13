# SPDX-License-Identifier: EUPL-1.2
"""Read-side reports of the money side: reconciliation (euros paid by the bank vs tokens burned), the
liability view, the anonymised statistics export and the citizen's yearly earnings statement."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend.models.money import BatchStatus, Payout, PayoutStatus, Recovery, SettlementBatch
from backend.models.participants import Citizen, Merchant, MerchantCategory
from indexer.models import IdxContractState, IdxParticipant, IdxPayment, IdxRedemption, IdxSupply, IdxTaskReward

AMS = ZoneInfo("Europe/Amsterdam")
DEFAULT_CAP = 150_000


def _ams(t: datetime) -> datetime:
    return t.astimezone(AMS)


# ─────────────────────────── reconciliation ───────────────────────────


@dataclass
class Reconciliation:
    confirmed_euros_cents: int  # Σ executed lines of confirmed batches (what the bank paid)
    burned_cents: int  # Σ burned on-chain (indexed)
    settled_cents: int  # Σ payouts whose burn is indexed
    in_flight_cents: int  # confirmed by the bank, burn not indexed yet
    escrow_cents: int  # tokens in escrow on-chain (indexed)
    escrow_expected_cents: int  # Σ payouts the backend believes are in escrow
    difference_cents: int
    clean: bool
    mismatches: list[dict[str, Any]] = field(default_factory=list)


def reconciliation(session: Session) -> Reconciliation:
    confirmed = int(
        session.scalar(
            select(func.coalesce(func.sum(SettlementBatch.confirmed_total), 0)).where(
                SettlementBatch.status.in_((BatchStatus.confirmed, BatchStatus.closed))
            )
        )
        or 0
    )
    supply = session.get(IdxSupply, 1)
    burned = int(supply.burned) if supply else 0
    escrow = int(supply.escrow) if supply else 0
    sums = dict(
        session.execute(select(Payout.status, func.coalesce(func.sum(Payout.amount), 0)).group_by(Payout.status))
        .tuples()
        .all()
    )
    settled = int(sums.get(PayoutStatus.settled, 0))
    in_flight = int(sums.get(PayoutStatus.settling, 0))
    held = (PayoutStatus.escrowed, PayoutStatus.batched, PayoutStatus.settling, PayoutStatus.rejecting)
    escrow_expected = sum(int(sums.get(s, 0)) for s in held)
    mismatches: list[dict[str, Any]] = []
    chain = {r.payout_id: r for r in session.scalars(select(IdxRedemption))}
    for p in session.scalars(select(Payout).where(Payout.status.in_((PayoutStatus.settled, PayoutStatus.rejected)))):
        r = chain.get(p.payout_id)
        if r is None or r.status != p.status:
            mismatches.append({"payout": p.public_id, "backend": p.status, "chain": r.status if r else None})
    known = set(session.scalars(select(Payout.payout_id)))
    for pid, r in chain.items():
        if pid not in known and r.status == "settled":
            mismatches.append({"payout_id": pid, "backend": None, "chain": r.status, "amount_cents": int(r.amount)})
    diff = confirmed - burned
    return Reconciliation(
        confirmed_euros_cents=confirmed,
        burned_cents=burned,
        settled_cents=settled,
        in_flight_cents=in_flight,
        escrow_cents=escrow,
        escrow_expected_cents=escrow_expected,
        difference_cents=diff,
        clean=diff == 0 and in_flight == 0 and not mismatches and escrow == escrow_expected,
        mismatches=mismatches,
    )


def reconciliation_csv(rec: Reconciliation) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["metric", "value"])
    for k, v in asdict(rec).items():
        if k != "mismatches":
            w.writerow([k, v])
    for m in rec.mismatches:
        w.writerow(["mismatch", ";".join(f"{k}={v}" for k, v in m.items())])
    return out.getvalue()


# ─────────────────────────── liability ───────────────────────────


def liability(session: Session) -> dict[str, Any]:
    supply = session.get(IdxSupply, 1)
    minted = int(supply.minted) if supply else 0
    burned = int(supply.burned) if supply else 0
    escrow = int(supply.escrow) if supply else 0
    per_month: dict[str, int] = defaultdict(int)
    for amount, when in session.execute(
        select(IdxRedemption.amount, IdxRedemption.settled_time).where(IdxRedemption.status == "settled")
    ):
        if when is not None:
            per_month[f"{_ams(when):%Y-%m}"] += int(amount)
    return {
        "minted_cents": minted,
        "burned_cents": burned,
        "outstanding_cents": minted - burned,
        "escrow_cents": escrow,
        "circulating_cents": minted - burned - escrow,
        "settled_per_month": [{"month": m, "cents": c} for m, c in sorted(per_month.items())],
    }


# ─────────────────────────── statistics ───────────────────────────

CATEGORIES = [c.value for c in MerchantCategory]


def _iso_week(t: datetime) -> str:
    y, w, _ = _ams(t).isocalendar()
    return f"{y}-W{w:02d}"


def statistics(session: Session, min_cell: int, week_from: str | None = None, week_to: str | None = None
               ) -> list[dict[str, Any]]:  # fmt: skip
    """Per 4-digit postcode per ISO week (Europe/Amsterdam): tasks done, participants, Heitjes earned, Heitjes
    spent per merchant category (payments net of refunds). A row of fewer than `min_cell` people is
    suppressed entirely; a category spent by fewer than `min_cell` people is suppressed on its own."""
    postcode_of: dict[str, str] = {}  # citizen_id (bytes32 hex) → postcode4
    address_cid: dict[str, str] = {}
    for cid, addr, pc in session.execute(select(Citizen.citizen_id, Citizen.address, Citizen.postcode4)):
        postcode_of[cid.lower()] = pc
        if addr:
            address_cid[addr.lower()] = cid.lower()
    for p_addr, p_cid in session.execute(select(IdxParticipant.address, IdxParticipant.citizen_id)):
        if p_cid:
            address_cid.setdefault(p_addr.lower(), p_cid.lower())
    for lost, cid in session.execute(
        select(Recovery.lost_address, Citizen.citizen_id).join(Citizen, Citizen.id == Recovery.citizen_id)
    ):
        address_cid.setdefault(lost.lower(), cid.lower())
    category_of = {a.lower(): c for a, c in session.execute(select(Merchant.address, Merchant.category)) if a}

    cells: dict[tuple[str, str], dict[str, Any]] = {}

    def cell(pc: str, week: str) -> dict[str, Any]:
        return cells.setdefault((pc, week), {"tasks": 0, "earned": 0, "people": set(),
                                             "spent": defaultdict(int), "spenders": defaultdict(set)})  # fmt: skip

    for citizen, r_cid, amount, when in session.execute(
        select(IdxTaskReward.citizen, IdxTaskReward.citizen_id, IdxTaskReward.amount, IdxTaskReward.block_time)
    ):
        person = (r_cid or address_cid.get(citizen.lower(), "")).lower()
        area = postcode_of.get(person)
        if area is None:
            continue
        c = cell(area, _iso_week(when))
        c["tasks"] += 1
        c["earned"] += int(amount)
        c["people"].add(person)
    for kind, citizen, merchant, amount, when in session.execute(
        select(IdxPayment.kind, IdxPayment.citizen, IdxPayment.merchant, IdxPayment.amount, IdxPayment.block_time)
    ):
        person = address_cid.get(citizen.lower(), "")
        area = postcode_of.get(person)
        if area is None:
            continue
        c = cell(area, _iso_week(when))
        cat = category_of.get(merchant.lower(), MerchantCategory.other.value)
        c["spent"][cat] += int(amount) if kind == "payment" else -int(amount)
        c["people"].add(person)
        c["spenders"][cat].add(person)

    rows = []
    for (pc, week), c in sorted(cells.items()):
        if (week_from and week < week_from) or (week_to and week > week_to):
            continue
        people = len(c["people"])
        suppressed = people < min_cell
        row: dict[str, Any] = {
            "postcode4": pc,
            "iso_week": week,
            "suppressed": suppressed,
            "participants": None if suppressed else people,
            "tasks_done": None if suppressed else c["tasks"],
            "earned_cents": None if suppressed else c["earned"],
        }
        for cat in CATEGORIES:
            small = suppressed or 0 < len(c["spenders"][cat]) < min_cell
            row[f"spent_{cat}_cents"] = None if small else c["spent"][cat]
        rows.append(row)
    return rows


def statistics_csv(rows: list[dict[str, Any]]) -> str:
    columns = ["postcode4", "iso_week", "suppressed", "participants", "tasks_done", "earned_cents"] + [
        f"spent_{c}_cents" for c in CATEGORIES
    ]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns)
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return out.getvalue()


# ─────────────────────────── earnings statement ───────────────────────────


@dataclass(frozen=True)
class StatementLine:
    date: str  # Europe/Amsterdam calendar date
    task: str
    amount_cents: int
    tx_hash: str


@dataclass(frozen=True)
class Statement:
    year: int
    name: str
    citizen_ref: str  # the pseudonymous id, shortened: enough to match with the municipality's records
    lines: list[StatementLine]
    total_cents: int
    cap_cents: int
    issued: str

    @property
    def remaining_cents(self) -> int:
        return max(0, self.cap_cents - self.total_cents)


def _task_title(session: Session, task_id: str) -> str:
    try:
        from backend.models.tasks import Claim, Task
    except ImportError:  # pragma: no cover - the task part not installed
        return f"Task {task_id}"
    # The claim id is the on-chain taskId (see backend.services.tasks).
    if not task_id.isdigit() or int(task_id) >= 2**31:
        return f"Task {task_id[:12]}"
    row = session.execute(
        select(Task.title).join(Claim, Claim.task_id == Task.id).where(Claim.id == int(task_id))
    ).first()
    return str(row[0]) if row else f"Task {task_id}"


def statement(session: Session, citizen: Citizen, year: int, name: str) -> Statement:
    addresses = {a.lower() for a in (citizen.address,) if a}
    addresses.update(
        a.lower() for a in session.scalars(select(Recovery.lost_address).where(Recovery.citizen_id == citizen.id))
    )
    cid = citizen.citizen_id.lower()
    conds = [IdxTaskReward.citizen_id == cid]
    if addresses:
        conds.append(IdxTaskReward.citizen.in_(sorted(addresses)))
    rows = session.scalars(
        select(IdxTaskReward).where(IdxTaskReward.year == year, or_(*conds)).order_by(IdxTaskReward.block_number)
    ).all()
    lines = [
        StatementLine(f"{_ams(r.block_time):%Y-%m-%d}", _task_title(session, r.task_id), int(r.amount), r.tx_hash)
        for r in rows
    ]
    state = session.get(IdxContractState, 1)
    return Statement(
        year=year,
        name=name,
        citizen_ref=cid[:10],
        lines=lines,
        total_cents=sum(line.amount_cents for line in lines),
        cap_cents=int(state.yearly_cap) if state else DEFAULT_CAP,
        issued=f"{datetime.now(AMS):%Y-%m-%d}",
    )


def euro(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    whole = f"{cents // 100:,}".replace(",", ".")
    return f"{sign}{whole},{cents % 100:02d}"


_HTML = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Jaaropgave Heitje {{ s.year }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;color:#111}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #999;padding:.4rem;text-align:left}
td.n,th.n{text-align:right}</style></head><body>
<h1>Jaaropgave Heerlens Heitje {{ s.year }} <small>(yearly earnings statement)</small></h1>
<p>Naam / name: <strong>{{ s.name }}</strong><br>Deelnemer / participant: {{ s.citizen_ref }}<br>
Datum / issued: {{ s.issued }}</p>
<p>Vergoedingen voor vrijwillige klussen in de openbare ruimte, uitbetaald in Heitjes (1 Heitje = € 1).
Rewards for voluntary public-space tasks, paid in Heitjes (1 Heitje = € 1).</p>
<table><caption>Klussen / tasks {{ s.year }}</caption>
<thead><tr><th scope="col">Datum / date</th><th scope="col">Klus / task</th>
<th scope="col" class="n">Bedrag / amount (€)</th></tr></thead><tbody>
{% for l in s.lines %}<tr><td>{{ l.date }}</td><td>{{ l.task }}</td><td class="n">{{ euro(l.amount_cents) }}</td></tr>
{% else %}<tr><td colspan="3">Geen klussen in dit jaar / no tasks this year</td></tr>{% endfor %}
</tbody><tfoot>
<tr><th scope="row" colspan="2">Totaal / total {{ s.year }}</th><td class="n">{{ euro(s.total_cents) }}</td></tr>
<tr><th scope="row" colspan="2">Jaarmaximum / yearly cap</th><td class="n">{{ euro(s.cap_cents) }}</td></tr>
<tr><th scope="row" colspan="2">Nog toegestaan / remaining</th><td class="n">{{ euro(s.remaining_cents) }}</td></tr>
</tfoot></table>
<p>Elke betaling is controleerbaar op het grootboek (transactie-id per regel op aanvraag).</p>
</body></html>
"""


def statement_html(s: Statement) -> str:
    from jinja2 import Environment

    env = Environment(autoescape=True)
    return env.from_string(_HTML).render(s=s, euro=euro)


def statement_pdf(s: Statement) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=f"Jaaropgave Heitje {s.year}", author="Gemeente Heerlen")
    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph(f"Jaaropgave Heerlens Heitje {s.year}", styles["Title"]),
        Paragraph(
            f"Naam / name: {_esc(s.name)}<br/>Deelnemer / participant: {s.citizen_ref}<br/>Datum / issued: {s.issued}",
            styles["Normal"],
        ),
        Spacer(1, 12),
        Paragraph(
            "Vergoedingen voor vrijwillige klussen in de openbare ruimte, uitbetaald in Heitjes (1 Heitje = EUR 1).",
            styles["Normal"],
        ),
        Spacer(1, 12),
    ]
    data: list[list[str]] = [["Datum / date", "Klus / task", "Bedrag / amount (EUR)"]]
    data += [[line.date, line.task[:60], euro(line.amount_cents)] for line in s.lines] or [["", "—", "0,00"]]
    data += [
        ["", f"Totaal / total {s.year}", euro(s.total_cents)],
        ["", "Jaarmaximum / yearly cap", euro(s.cap_cents)],
        ["", "Nog toegestaan / remaining", euro(s.remaining_cents)],
    ]
    table = Table(data, colWidths=[90, 280, 120], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -3), (-1, -3), 0.8, colors.black),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ("FONTNAME", (0, -3), (-1, -3), "Helvetica-Bold"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return buf.getvalue()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
