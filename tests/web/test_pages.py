# SPDX-License-Identifier: EUPL-1.2
"""Every page of the three apps, in Dutch and in English, in a real Chromium: it renders (200), axe-core finds
no serious or critical WCAG violation, no message is left untranslated, the citizen app stays under 200 kB
without images, and the main pages are photographed at 360 px and 1280 px for a person to look at."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Page

from backend.web.i18n import LOCALE_DIR
from tests.web.conftest import Stack, World, log_in, new_context, run_axe, screenshot

pytestmark = pytest.mark.browser

CITIZEN_BUDGET = 200_000  # bytes on the wire per page, images excluded


@dataclass(frozen=True)
class PageSpec:
    name: str
    path: str
    main: bool = False  # photographed at 360 px and 1280 px


def pages(app: str, w: World) -> list[PageSpec]:
    return {
        "public": [
            PageSpec("landing", "/", main=True),
            PageSpec("login", "/login?next=/citizen/", main=True),
            PageSpec("citizen-register", "/citizen/register"),
            PageSpec("merchant-register", "/merchant/register"),
            PageSpec("offline", "/citizen/offline"),
        ],
        "citizen": [
            PageSpec("citizen-home", "/citizen/", main=True),
            PageSpec("citizen-tasks", "/citizen/tasks", main=True),
            PageSpec("citizen-tasks-nearby", "/citizen/tasks?sort=distance&lat=50.89&lon=5.98"),
            PageSpec("citizen-task", f"/citizen/tasks/{w.task_id}"),
            PageSpec("citizen-claim-paid", f"/citizen/claims/{w.claim_paid}"),
            PageSpec("citizen-claim-submitted", f"/citizen/claims/{w.claim_submitted}"),
            PageSpec("citizen-claim-rejected", f"/citizen/claims/{w.claim_rejected}"),
            PageSpec("citizen-pay", "/citizen/pay", main=True),
            PageSpec("citizen-pay-confirm", f"/citizen/pay/{w.open_request}", main=True),
            PageSpec("citizen-history", "/citizen/history"),
            PageSpec("citizen-statement", "/citizen/statement"),
        ],
        "merchant": [
            PageSpec("merchant-home", "/merchant/", main=True),
            PageSpec("merchant-request", f"/merchant/requests/{w.open_request}", main=True),
            PageSpec("merchant-payments", "/merchant/payments"),
            PageSpec("merchant-payouts", "/merchant/payouts", main=True),
            PageSpec("merchant-staff", "/merchant/staff"),
        ],
        "dashboard": [
            PageSpec("dashboard-overview", "/dashboard/", main=True),
            PageSpec("dashboard-tasks", "/dashboard/tasks"),
            PageSpec("dashboard-approvals", "/dashboard/approvals"),
            PageSpec("dashboard-approval", f"/dashboard/approvals/{w.claim_submitted}", main=True),
            PageSpec("dashboard-enrolments", "/dashboard/enrolments"),
            PageSpec("dashboard-settlement", "/dashboard/settlement"),
            PageSpec("dashboard-batch", f"/dashboard/settlement/{w.batch_id}", main=True),
            PageSpec("dashboard-recoveries", "/dashboard/recoveries", main=True),
            PageSpec("dashboard-audit", "/dashboard/audit"),
            PageSpec("dashboard-reconciliation", "/dashboard/reconciliation"),
            PageSpec("dashboard-stats", "/dashboard/stats"),
            PageSpec("dashboard-handyman", "/dashboard/handyman"),
        ],
    }[app]


LOGINS = {"citizen": "citizen", "merchant": "merchant", "dashboard": "admin"}


@cache
def catalog(lang: str) -> dict[str, str]:
    """msgid → translation, for messages long enough to recognise in running text."""
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        po = read_po(fh, locale=lang)
    out = {}
    for m in po:
        if not m.id or isinstance(m.id, tuple) or "%(" in m.id:
            continue
        out[str(m.id)] = str(m.string)
    return out


def foreign_phrases(lang: str) -> set[str]:
    """Phrases of the *other* language that must never show on a page in `lang`: English message ids on a
    Dutch page (an untranslated message), Dutch translations on an English page."""
    nl = catalog("nl")
    pairs = [(en, t) for en, t in nl.items() if t and t != en and len(en.split()) >= 3 and len(t.split()) >= 3]
    return {en for en, _ in pairs} if lang == "nl" else {t for _, t in pairs}


def visible_text(page: Page) -> str:
    return str(page.evaluate(
        "() => document.body.innerText + '\\n' + Array.from(document.querySelectorAll('[aria-label],[alt],[title],"
        "[placeholder]')).map(e => ['aria-label','alt','title','placeholder'].map(a => e.getAttribute(a) || '')"
        ".join('\\n')).join('\\n')"
    ))  # fmt: skip


def bytes_on_the_wire(page: Page) -> int:
    return int(page.evaluate(
        "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".filter(e => e.initiatorType !== 'img' && !/\\.(png|jpe?g|webp|svg|ico)$/.test(e.name))"
        ".reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0)"
    ))  # fmt: skip


def check_page(page: Page, spec: PageSpec, lang: str, app: str) -> list[str]:
    problems: list[str] = []
    response = page.goto(spec.path)
    page.wait_for_load_state("load")
    if response is None or response.status != 200:
        return [f"{spec.name}: HTTP {response.status if response else 'none'} at {page.url}"]
    if "/login" in page.url and spec.name != "login":
        return [f"{spec.name}: redirected to the login page"]
    if page.get_attribute("html", "lang") != lang:
        problems.append(f"{spec.name}: <html lang> is not {lang}")
    text = visible_text(page)
    leaked = sorted(p for p in foreign_phrases(lang) if p in text)
    if leaked:
        problems.append(f"{spec.name} [{lang}]: untranslated {leaked[:5]}")
    unknown = page.eval_on_selector_all(".badge-unknown", "els => els.map(e => e.textContent.trim())")
    if unknown:
        problems.append(f"{spec.name} [{lang}]: status without a translated label {unknown}")
    if re.search(r"%\(\w+\)|\{\{|\}\}", text):
        problems.append(f"{spec.name} [{lang}]: a placeholder was not filled in")
    for v in run_axe(page):
        problems.append(f"{spec.name} [{lang}]: axe {v['impact']} {v['id']}: {v['help']} at {v['nodes']}")
    if app in ("citizen", "public"):
        size = bytes_on_the_wire(page)
        if size > CITIZEN_BUDGET:
            problems.append(f"{spec.name}: {size} bytes without images (budget {CITIZEN_BUDGET})")
    if lang == "nl":  # every page fits a 360 px phone; the main ones are photographed at both widths
        if spec.main:
            screenshot(page, f"{spec.name}-1280")
        page.set_viewport_size({"width": 360, "height": 780})
        page.wait_for_timeout(100)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 360:
            problems.append(f"{spec.name}: {width} px wide on a 360 px screen (horizontal scrolling)")
        if spec.main:
            screenshot(page, f"{spec.name}-360")
        page.set_viewport_size({"width": 1280, "height": 900})
    return problems


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("app", ["public", "citizen", "merchant", "dashboard"])
def test_every_page_renders_accessibly_in_both_languages(
    browser: Browser, stack: Stack, world: World, app: str, lang: str
) -> None:
    ctx = new_context(browser, stack, lang=lang, bypass_csp=True)  # axe is injected as an inline script
    page = ctx.new_page()
    try:
        if app in LOGINS:
            log_in(page, getattr(world, LOGINS[app]), f"/{app}/")
        problems: list[Any] = []
        for spec in pages(app, world):
            problems += check_page(page, spec, lang, app)
        assert not problems, "\n".join(problems)
    finally:
        ctx.close()


def test_keyboard_users_skip_to_content_with_a_visible_focus_and_the_app_installs(
    browser: Browser, stack: Stack, world: World
) -> None:
    ctx = new_context(browser, stack, lang="nl", width=360)
    page = ctx.new_page()
    try:
        log_in(page, world.citizen, "/citizen/")
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return [e.className, e.getBoundingClientRect().left >= 0, s.outlineStyle, s.boxShadow]; }"
        )
        assert focused[0] == "skip"
        assert focused[1] is True  # it moves into view when focused
        assert focused[2] != "none" or focused[3] != "none"
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
        scope = page.evaluate("() => navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == f"{stack.base_url}/citizen/"
        assert page.get_attribute("link[rel=manifest]", "href") == "/citizen/manifest.webmanifest"
    finally:
        ctx.close()
