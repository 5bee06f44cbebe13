# SPDX-License-Identifier: EUPL-1.2
"""Officer and citizen actions the story does not take, through the browser: rejecting an enrolment with a
reason, closing a task, giving a claimed task back, four-eyes approval of a settlement batch by a second
officer and rejecting one of its lines, and approving an account recovery started by another officer.
Each works on its own people and things, so the order of tests does not matter."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from backend.services import governance, settlement
from backend.web.queries import amsterdam_today
from tests.web.conftest import (
    Stack,
    approve_citizen,
    approve_claim,
    approve_merchant,
    citizen_user,
    claim_and_submit,
    create_task,
    log_in,
    merchant_user,
    new_context,
    officer,
    pay,
    payout,
    register_citizen,
    register_merchant,
    screenshot,
    user_row,
)

pytestmark = pytest.mark.browser


def test_officers_reject_close_approve_a_second_time_and_recover(browser: Browser, stack: Stack) -> None:
    admin = officer(stack, "chef@heerlen.example", ["admin"], "Charlotte")
    second = officer(stack, "tweede@heerlen.example", ["settlement_officer", "recovery_officer"], "Tom")
    # A citizen who earns 7,00 and spends it at a shop that asks for all of it: over the four-eyes limit (6,00).
    cid = register_citizen(stack, "ineke@example.nl", "Ineke Klaassen")
    mid = register_merchant(stack, "groente@example.nl", "Groenteboer Gijs")
    approve_citizen(stack, admin, cid)
    approve_merchant(stack, admin, mid)
    ineke, gijs = citizen_user(stack, cid), merchant_user(stack, mid)
    approve_claim(stack, admin, claim_and_submit(stack, ineke, create_task(stack, admin, "Plant bulbs", 700)))
    pay(stack, gijs, ineke, 700)
    public_id = payout(stack, gijs, 700)
    with stack.db() as s, s.begin():
        batch = settlement.create_batch(s, stack.settings, user_row(s, admin), amsterdam_today())
        batch_id = batch.id
        assert batch.status == "awaiting_approval"
    register_citizen(stack, "joost@example.nl", "Joost Onbekend")
    create_task(stack, admin, "Paint the benches on the Markt", 500)
    with stack.db() as s, s.begin():
        governance.start_recovery(s, user_row(s, second), cid, "Phone stolen; passport checked")

    ctx = new_context(browser, stack, lang="en")
    page = ctx.new_page()
    try:
        log_in(page, "chef@heerlen.example", "/dashboard/")
        # Enrolment refused, with a reason.
        page.goto("/dashboard/enrolments")
        item = page.locator("li", has_text="Joost Onbekend")
        item.get_by_label("Reason for rejecting").fill("Lives outside the municipality")
        item.get_by_role("button", name=re.compile("Reject")).click()
        expect(page.locator("[role=status]")).to_contain_text("Enrolment rejected")
        expect(page.locator("main")).not_to_contain_text("Joost Onbekend")
        # A task closed.
        page.goto("/dashboard/tasks")
        page.locator("tr", has_text="Paint the benches").get_by_role("button", name=re.compile("Close")).click()
        expect(page.locator("tr", has_text="Paint the benches")).to_contain_text("Closed")
        # The officer who built the batch cannot approve it; no SEPA file before the second approval.
        page.goto(f"/dashboard/settlement/{batch_id}")
        expect(page.locator("#batch-status")).to_contain_text("Needs a second officer")
        expect(page.get_by_role("button", name="Approve as second officer")).to_have_count(0)
        expect(page.get_by_text("Download SEPA file")).to_have_count(0)
        # The recovery started by Tom can be approved by Charlotte.
        page.goto("/dashboard/recoveries")
        page.locator("tr", has_text="Phone stolen").get_by_role("button", name=re.compile("Approve")).click()
        expect(page.locator("[role=status]")).to_contain_text("Recovery approved")

        # Tom, the second settlement officer, approves the batch, then takes the line out of it.
        log_out = page.locator("form[action='/logout'] button")
        log_out.click()
        log_in(page, "tweede@heerlen.example", f"/dashboard/settlement/{batch_id}")
        page.get_by_role("button", name="Approve as second officer").click()
        expect(page.locator("[role=status]")).to_contain_text("Second approval recorded")
        expect(page.locator("#batch-status")).to_contain_text("Ready for the bank")
        expect(page.get_by_text("Download SEPA file")).to_be_visible()
        screenshot(page, "actions-batch-approved-1280")
        line = page.locator("tr", has_text=public_id)
        line.get_by_label("Reason").fill("Account closed")
        line.get_by_role("button", name=re.compile("Reject")).click()
        expect(page.locator("[role=status]")).to_contain_text("Line rejected")
    finally:
        ctx.close()


def test_a_citizen_gives_a_claimed_task_back(browser: Browser, stack: Stack) -> None:
    admin = officer(stack, "planner@heerlen.example", ["task_manager", "registrar"], "Paula")
    cid = register_citizen(stack, "bas@example.nl", "Bas Bezig")
    approve_citizen(stack, admin, cid)
    create_task(stack, admin, "Sweep the playground on the Kouvenderstraat", 250)
    ctx = new_context(browser, stack, lang="nl", width=360)
    page = ctx.new_page()
    try:
        log_in(page, "bas@example.nl", "/citizen/tasks")
        page.click("text=Sweep the playground")
        page.click("button:has-text('Deze taak aannemen')")
        expect(page.locator("[role=status]")).to_contain_text("Je hebt de taak aangenomen")
        page.once("dialog", lambda d: d.accept())
        page.click("button:has-text('Taak teruggeven')")
        expect(page.locator("[role=status]")).to_contain_text("Je hebt de taak teruggegeven")
        expect(page.locator("main")).to_contain_text("Teruggegeven")
    finally:
        ctx.close()
