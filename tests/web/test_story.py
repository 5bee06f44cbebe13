# SPDX-License-Identifier: EUPL-1.2
"""The whole story across the three apps, in one real Chromium, against the real chain, relayer and indexer:
a citizen and a shop register, an officer enrols them, publishes a task, the citizen claims it and sends a
photo from the phone, the officer approves, the citizen sees the reward, the shop shows a QR payment
request, the citizen pays it with the PIN, the shop sees it arrive live (no reload), refunds part of it, asks for a
payout and the officer settles it through a SEPA batch. Then a pauser pauses the ledger: every app shows the
banner and a payment is refused, until the pause is lifted."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import PASSWORD, PIN, Stack, World, log_in, new_context, photo_bytes, screenshot

pytestmark = pytest.mark.browser

TASK = "Sweep the leaves on the Pancratiusplein"


def reload_until(page: Page, what: str, ready: Callable[[], bool], timeout: float = 45.0) -> None:
    """Reload until `ready()` (the relayer and the indexer move things on-chain in the background)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} on {page.url}:\n{page.inner_text('main')[:1500]}")
        page.wait_for_timeout(500)
        page.reload()


def register_citizen(page: Page) -> None:
    page.goto("/citizen/register")
    page.fill("#f-name", "Sanne Jansen")
    page.fill("#f-display_name", "Sanne")
    page.fill("#f-email", "sanne@example.nl")
    page.fill("#f-phone", "0687654321")
    page.fill("#f-postcode4", "6411")
    page.fill("#f-birth_year", "1990")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-pin", PIN)
    page.check("#f-leaderboard")
    page.click("form[action='/citizen/register'] button[type=submit]")
    page.wait_for_url(re.compile(r"/login"))


def register_shop(page: Page) -> None:
    page.goto("/merchant/register")
    page.fill("#f-business_name", "Koffiebar Kees")
    page.fill("#f-kvk_number", "87654321")
    page.select_option("#f-category", "cafe")
    page.fill("#f-street_address", "Pancratiusplein 5")
    page.fill("#f-postcode4", "6411")
    page.fill("#f-iban", "NL91ABNA0417164300")
    page.fill("#f-display_name", "Kees")
    page.fill("#f-email", "kees@example.nl")
    page.fill("#f-password", PASSWORD)
    page.click("form[action='/merchant/register'] button[type=submit]")
    page.wait_for_url(re.compile(r"/login"))


def test_officer_citizen_and_shop_walk_the_whole_story(browser: Browser, stack: Stack) -> None:
    from tests.web.conftest import officer

    officer(stack, "wethouder@heerlen.example", ["task_manager", "approver", "registrar", "settlement_officer",
                                                 "auditor"], "Wim")  # fmt: skip
    off_ctx = new_context(browser, stack, lang="nl")
    cit_ctx = new_context(browser, stack, lang="nl", width=360, is_mobile=True, has_touch=True)
    shop_ctx = new_context(browser, stack, lang="en")
    try:
        off, cit, shop = off_ctx.new_page(), cit_ctx.new_page(), shop_ctx.new_page()

        # Registration in the citizen and merchant apps; the registrar enrols both in the dashboard.
        register_citizen(cit)
        register_shop(shop)
        log_in(off, "wethouder@heerlen.example", "/dashboard/")
        off.goto("/dashboard/enrolments")
        off.locator("li", has_text="Sanne Jansen").get_by_role("button", name=re.compile("Goedkeuren")).click()
        expect(off.locator("[role=status]")).to_contain_text("Inschrijving goedgekeurd")
        off.locator("li", has_text="Koffiebar Kees").get_by_role("button", name=re.compile("Goedkeuren")).click()
        expect(off.locator("[role=status]")).to_contain_text("Inschrijving goedgekeurd")

        # The officer publishes a task.
        off.goto("/dashboard/tasks")
        off.click("summary:has-text('Nieuwe taak publiceren')")
        off.fill("#f-title", TASK)
        off.fill("#f-description", "Rake the leaves into the green bins next to the church.")
        off.select_option("#f-category", "greenery")
        off.fill("#f-neighbourhood", "6411")
        off.fill("#f-reward", "4,50")
        off.fill("#f-estimated_minutes", "60")
        off.fill("#f-slots", "2")
        off.click("form[action='/dashboard/tasks'] button[type=submit]")
        expect(off.locator("[role=status]")).to_contain_text("Taak gepubliceerd")
        expect(off.locator("#tasks-table")).to_contain_text(TASK)

        # The citizen (phone, 360 px) finds it, claims it and sends a photo from the camera input.
        log_in(cit, "sanne@example.nl", "/citizen/")
        reload_until(cit, "the citizen's wallet to be active", lambda: cit.locator("text=portemonnee is niet actief")
                     .count() == 0 and cit.locator("text=controleert je aanmelding").count() == 0)  # fmt: skip
        cit.goto("/citizen/tasks")
        cit.click(f"text={TASK}")
        cit.click("button:has-text('Deze taak aannemen')")
        expect(cit.locator("[role=status]")).to_contain_text("Je hebt de taak aangenomen")
        file_input = cit.locator("input[type=file]")
        assert file_input.get_attribute("accept") == "image/*"
        assert file_input.get_attribute("capture") == "environment"
        file_input.set_input_files({"name": "leaves.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()})
        cit.fill("#f-note", "Three bins full.")
        cit.click("button:has-text('Bewijs versturen')")
        expect(cit.locator("[role=status]")).to_contain_text("Je bewijs is verstuurd")

        # The officer sees the photo and the note in the approval queue and approves: the reward is minted.
        off.goto("/dashboard/approvals")
        off.locator("tr", has_text=TASK).get_by_role("link").click()
        photo = off.locator("img.photo")
        expect(photo).to_be_visible()
        assert off.evaluate("() => document.querySelector('img.photo').naturalWidth") == 64
        expect(off.locator("main")).to_contain_text("Three bins full.")
        off.click("button:has-text('Goedkeuren en 4,50 Heitjes uitbetalen')")
        expect(off.locator("[role=status]")).to_contain_text("Goedgekeurd")

        # The citizen sees the balance once the indexer has seen TaskRewarded.
        cit.goto("/citizen/")
        reload_until(cit, "the reward in the balance", lambda: "4,50" in cit.inner_text("#balance"))
        expect(cit.locator("#earned")).to_contain_text("4,50")
        screenshot(cit, "story-citizen-balance-360")

        # The yearly statement is there to download (PDF) for the tax office or the benefits desk.
        cit.goto("/citizen/statement")
        with cit.expect_download() as statement:
            cit.locator("a[href$='format=pdf']").first.click()
        assert Path(statement.value.path()).read_bytes().startswith(b"%PDF")

        # The shop shows a QR code for 3,50.
        log_in(shop, "kees@example.nl", "/merchant/")
        shop.fill("#f-amount", "3.50")
        shop.fill("#f-description", "Cappuccino and a cookie")
        shop.click("button:has-text('Show QR code')")
        expect(shop.locator("#request svg")).to_be_visible()
        code = shop.inner_text(".shortcode").strip()
        assert re.fullmatch(r"[A-Z0-9]{4,16}", code), code
        shop.evaluate("() => { window.__noReload = true }")
        screenshot(shop, "story-merchant-qr-1280")
        till = shop_ctx.new_page()  # the checkout page, open on a second screen
        till.goto("/merchant/")
        expect(till.locator("#takings")).to_contain_text("0.00")

        # The citizen types the code (the camera is not available headless) and pays with the PIN.
        cit.goto("/citizen/pay")
        cit.fill("#f-code", code)
        cit.click("form[action='/citizen/pay'] button[type=submit]")
        expect(cit.locator("main h1")).to_contain_text("Koffiebar Kees")
        expect(cit.locator("#pay-amount")).to_contain_text("3,50")
        cit.fill("#f-pin", PIN)
        cit.click("button:has-text('3,50 Heitjes betalen')")
        expect(cit.locator("[role=status]").first).to_contain_text("Betaling verstuurd")

        # The shop sees it arrive live, without a reload.
        expect(shop.locator("#live-status.paid")).to_contain_text("Paid", timeout=45_000)
        assert shop.evaluate("() => window.__noReload") is True
        screenshot(shop, "story-merchant-paid-1280")
        expect(till.locator("#takings")).to_contain_text("3.50")  # updated in place, no reload
        expect(till.locator("#recent")).to_contain_text("Paid")

        # The owner adds a member of staff, who can log in to the merchant app too.
        shop.goto("/merchant/staff")
        shop.fill("#f-display_name", "Kim")
        shop.fill("#f-email", "kim@example.nl")
        shop.fill("#f-password", PASSWORD)
        shop.click("button:has-text('Add staff member')")
        expect(shop.locator("[role=status]")).to_contain_text("Staff member added")
        expect(shop.locator("tbody")).to_contain_text("Kim")

        # A refund of part of it, back to the citizen.
        shop.goto("/merchant/payments")
        shop.click("summary:has-text('Refund')")
        shop.fill("input[name=amount]", "0.50")
        shop.fill("input[name=reason]", "No cookie left")
        shop.click("button:has-text('Refund to the customer')")
        expect(shop.locator("[role=status]")).to_contain_text("The refund is on its way")
        cit.goto("/citizen/history")
        reload_until(cit, "the refund in the citizen's history", lambda: "Terugbetaling" in cit.inner_text("main"))
        expect(cit.locator("main")).to_contain_text("+0,50")

        # The shop asks for a payout of everything it has left.
        shop.goto("/merchant/payouts")
        expect(shop.locator("#available")).to_contain_text("3.00")
        shop.fill("#f-amount", "3.00")
        shop.click("button:has-text('Request payout')")
        expect(shop.locator("[role=status]")).to_contain_text("Payout requested")

        # The officer settles: batch, SEPA file, confirmation with the bank reference.
        off.goto("/dashboard/settlement")
        reload_until(off, "the payout in escrow", lambda: off.locator("td", has_text="Koffiebar Kees").count() > 0)
        off.click("button:has-text('Verrekenbatch samenstellen')")
        expect(off.locator("[role=status]")).to_contain_text("Verrekenbatch samengesteld")
        with off.expect_download() as dl:
            off.click("text=SEPA-bestand downloaden")
        xml = Path(dl.value.path()).read_text(encoding="utf-8")
        assert "pain.001.001.03" in xml
        assert '<InstdAmt Ccy="EUR">3.00</InstdAmt>' in xml
        off.once("dialog", lambda d: d.accept())
        off.fill("#f-bank_reference", "ABN-2026-11-29-001")
        off.click("button:has-text('Batch bevestigen')")
        expect(off.locator("[role=status]")).to_contain_text("Batch bevestigd")

        # Burned on-chain: the shop's payout is paid out and the books reconcile.
        shop.goto("/merchant/payouts")
        reload_until(shop, "the settlement on-chain", lambda: shop.locator(".badge-settled").count() > 0)
        expect(shop.locator("tbody")).to_contain_text("ABN-2026-11-29-001")
        off.goto("/dashboard/reconciliation")
        reload_until(off, "a clean reconciliation", lambda: off.locator("#rec-status.paid").count() > 0)
        screenshot(off, "story-dashboard-reconciliation-1280")
    finally:
        off_ctx.close()
        cit_ctx.close()
        shop_ctx.close()


def test_a_pause_shows_everywhere_and_stops_payments_until_it_is_lifted(
    browser: Browser, stack: Stack, world: World
) -> None:
    from backend.services.money_common import chain_paused
    from tests.web.conftest import officer, wait_for

    def on_chain(paused: bool) -> bool:
        with stack.db() as s:
            return chain_paused(s) is paused

    officer(stack, "pauzeknop@heerlen.example", ["pauser"], "Pim")
    off_ctx = new_context(browser, stack, lang="nl")
    cit_ctx = new_context(browser, stack, lang="en", width=360)
    try:
        off, cit = off_ctx.new_page(), cit_ctx.new_page()
        log_in(off, "pauzeknop@heerlen.example", "/dashboard/")
        off.fill("#f-reason", "Storing bij de bank")
        off.once("dialog", lambda d: d.accept())
        off.click("button:has-text('Grootboek pauzeren')")
        expect(off.locator("#pause-banner")).to_contain_text("Storing bij de bank")
        wait_for("the pause on-chain", lambda: on_chain(True))

        log_in(cit, world.citizen, "/citizen/")
        expect(cit.locator("#pause-banner")).to_contain_text("paused all payments")
        cit.goto(f"/citizen/pay/{world.open_request}")
        cit.fill("#f-pin", PIN)
        cit.click("main form[method=post] button[type=submit]")
        expect(cit.locator("[role=alert].notice")).to_contain_text("paused payments for a moment")
        screenshot(cit, "story-paused-citizen-360")

        off.goto("/dashboard/")
        off.once("dialog", lambda d: d.accept())
        off.click("button:has-text('Pauze opheffen')")
        expect(off.locator("[role=status]")).to_contain_text("Het grootboek loopt weer")
        wait_for("the end of the pause on-chain", lambda: on_chain(False))
        off.reload()
        expect(off.locator("#pause-banner")).to_have_count(0)
        cit.reload()
        expect(cit.locator("#pause-banner")).to_have_count(0)
    finally:
        off_ctx.close()
        cit_ctx.close()
