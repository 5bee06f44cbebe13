# SPDX-License-Identifier: EUPL-1.2
from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from backend.models.audit import AuditEntry
from backend.models.participants import Citizen
from backend.services import audit
from heitje.cli import app as cli
from indexer.models import IdxContractState, IdxPayment, IdxTaskReward
from tests.api.money.conftest import World, enrol_citizen

# Wednesday 2026-11-25 12:00 UTC is ISO week 2026-W48 in Amsterdam.
WED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _reward(w: World, address: str, amount: int, when: datetime = WED, task_id: int | None = None) -> None:
    with w.db() as s, s.begin():
        cid = s.scalars(select(Citizen.citizen_id).where(Citizen.address == address)).one()
        s.add(IdxTaskReward(task_id=str(task_id or secrets.randbelow(10**12)), citizen=address, citizen_id=cid,
                            amount=amount, year=when.year, block_number=1, block_time=when,
                            tx_hash="0x" + secrets.token_hex(32), log_index=0))  # fmt: skip
        if s.get(IdxContractState, 1) is None:
            s.add(IdxContractState(id=1, paused=False, yearly_cap=150_000))


def _spend(w: World, citizen: str, merchant: str, amount: int, kind: str = "payment") -> None:
    with w.db() as s, s.begin():
        s.add(IdxPayment(block_number=secrets.randbelow(10**9), log_index=0, tx_hash="0x" + secrets.token_hex(32),
                         block_time=WED, kind=kind, from_address=citizen, to_address=merchant, citizen=citizen,
                         merchant=merchant, amount=amount, payment_ref="0x" + "00" * 32, nonce="1"))  # fmt: skip


def test_yearly_statement_lists_the_earnings_against_the_cap_as_pdf_and_html(world: World) -> None:
    w = world
    _reward(w, w.anna.address, 500)
    _reward(w, w.anna.address, 750, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    _reward(w, w.anna.address, 999, datetime(2025, 6, 1, tzinfo=UTC))  # another year
    _reward(w, w.bob.address, 300)  # someone else
    html = w.client.get("/api/v1/me/statements/2026?format=html", headers=w.anna.headers)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "12,50" in html.text  # total 5.00 + 7.50
    assert "1.500,00" in html.text  # the cap
    assert "2026-03-02" in html.text
    assert "9,99" not in html.text
    assert "3,00" not in html.text
    pdf = w.client.get("/api/v1/me/statements/2026", headers=w.anna.headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert w.client.get("/api/v1/me/statements/2026", headers=w.shop.headers).status_code == 403
    assert w.client.get("/api/v1/me/statements/1900", headers=w.anna.headers).status_code == 422


def test_statistics_suppress_cells_of_fewer_than_five_people(world: World) -> None:
    w = world
    big = [w.anna] + [enrol_citizen(w.db, w.settings, f"c{i}@example.nl", postcode4="6411") for i in range(5)]
    for i, c in enumerate(big):
        _reward(w, c.address, 100 + i)
        _spend(w, c.address, w.shop.address, 50)
    _spend(w, big[0].address, w.shop2.address, 20)  # one person in the café category
    _reward(w, w.bob.address, 400)  # postcode 6412: one person
    r = w.client.get("/api/v1/stats/export", headers=w.officers["auditor"].headers)
    assert r.status_code == 200, r.text
    rows = {(x["postcode4"], x["iso_week"]): x for x in r.json()["rows"]}
    row = rows[("6411", "2026-W48")]
    assert row["participants"] == 6
    assert row["tasks_done"] == 6
    assert row["earned_cents"] == sum(100 + i for i in range(6))
    assert row["spent_bakery_cents"] == 300
    assert row["spent_cafe_cents"] is None  # one café customer: suppressed on its own
    small = rows[("6412", "2026-W48")]
    assert small["suppressed"] is True
    assert small["participants"] is None
    assert small["earned_cents"] is None
    text = w.client.get("/api/v1/stats/export?format=csv", headers=w.officers["auditor"].headers).text
    lines = list(csv.DictReader(io.StringIO(text)))
    assert {(x["postcode4"], x["earned_cents"]) for x in lines} == {("6411", "615"), ("6412", "")}
    assert "@" not in text
    assert w.client.get("/api/v1/stats/export", headers=w.officers["pauser"].headers).status_code == 403
    assert (
        w.client.get("/api/v1/stats/export?week_from=2026-48", headers=w.officers["auditor"].headers).status_code == 422
    )


def test_audit_log_endpoint_and_cli_detect_an_edited_entry(world: World) -> None:
    w = world
    with w.db() as s, s.begin():
        for i in range(3):
            audit.append(s, actor_id=1, action="settlement.batch_create", subject_type="settlement_batch", subject_id=i)
    auditor = w.officers["auditor"]
    page = w.client.get("/api/v1/audit-log?limit=2", headers=auditor.headers).json()
    assert page["total"] == 3
    assert [e["seq"] for e in page["items"]] == [3, 2]
    assert page["items"][0]["prev_hash"] == page["items"][1]["hash"]
    assert w.client.get("/api/v1/audit-log/verify", headers=auditor.headers).json()["ok"] is True
    assert w.client.get("/api/v1/audit-log", headers=w.officers["settlement_officer"].headers).status_code == 403
    url = w.settings.effective_database_url
    ok = CliRunner().invoke(cli, ["audit", "verify", "--database-url", url])
    assert ok.exit_code == 0, ok.output
    assert "3 entries" in ok.output
    with w.db() as s, s.begin():
        s.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one().details = {"total_cents": 1}
    bad = CliRunner().invoke(cli, ["audit", "verify", "--database-url", url])
    assert bad.exit_code == 1
    assert "entry 2" in bad.output
    assert w.client.get("/api/v1/audit-log/verify", headers=auditor.headers).json()["first_bad_seq"] == 2
