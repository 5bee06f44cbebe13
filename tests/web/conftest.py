# SPDX-License-Identifier: EUPL-1.2
"""Browser tests: the whole stack in-process (anvil, deployed HeitjeToken, relayer, indexer, the API with the
web apps under uvicorn on a free port, a migrated SQLite database) and Debian's Chromium driven by Playwright.

One stack serves the session; a `world` of enrolled people, a paid task, a payment, a payout and a settlement
batch is built once through the services (the story test builds its own through the browser)."""

from __future__ import annotations

import functools
import io
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from heitje.chain.abi import heitje_abi
from heitje.chain.anvil import Anvil, free_port
from heitje.chain.client import Chain
from heitje.db import make_engine, migrate, session_factory
from heitje.deploy import Deployment, deploy
from heitje.settings import PROJECT_ROOT, Settings
from heitje.signing import load_signer
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
PIN = "2468"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0, every: float = 0.2) -> T:
    """Poll until `probe` returns something truthy (the relayer and indexer work asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


@dataclass
class Stack:
    settings: Settings
    db: sessionmaker[Session]
    base_url: str
    deployment: Deployment


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # running in a thread
        pass


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from backend.api.app import create_app
    from backend.relayer.dev import start_dev as start_relayer
    from backend.services import accounts
    from indexer.dev import start_dev as start_indexer

    tmp = tmp_path_factory.mktemp("web")
    # Same secrets hashed once (argon2 costs ~0.5 s each here); verification, the code under test, is unchanged.
    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "hash_secret", functools.cache(accounts.hash_secret))
    node = Anvil(block_time=0, log_path=tmp / "anvil.log").start()
    stop = threading.Event()
    stoppers: list[Callable[[], None]] = []
    engine = None
    server = None
    try:
        # Every browser in these tests logs in from 127.0.0.1: more than a person's 30 attempts a minute.
        settings = make_settings(tmp, database_url=f"sqlite:///{tmp / 'heitje.sqlite3'}", rpc_url=node.url,
                                 login_attempts_per_minute=10_000,
                                 chain_id=node.chain_id, four_eyes_threshold_cents=600)  # fmt: skip
        migrate(settings.effective_database_url)
        chain = Chain(node.url, abi=heitje_abi())
        deployment = deploy(chain, load_signer(settings, "admin"), settings, dev_chain=True)
        chain.close()
        port = free_port()
        settings = settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"})
        stoppers.append(start_relayer(settings, deployment, stop))
        stoppers.append(start_indexer(settings, deployment, stop))
        app = create_app(settings)
        server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        thread.start()
        wait_for("the web server", lambda: server.started, timeout=20)
        engine = make_engine(settings.effective_database_url)
        yield Stack(settings, session_factory(engine), f"http://127.0.0.1:{port}", deployment)
    finally:
        if server is not None:
            server.should_exit = True
        stop.set()
        for stopper in reversed(stoppers):
            stopper()
        if engine is not None:
            engine.dispose()
        node.stop()
        patch.undo()


# ─────────────────────────── people and things, through the services ───────────────────────────


def photo_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 140, 60)).save(buf, "JPEG")
    return buf.getvalue()


def officer(stack: Stack, login: str, roles: list[str], name: str) -> int:
    from backend.models.accounts import UserKind
    from backend.services import accounts

    with stack.db() as s, s.begin():
        user = accounts.create_user(s, stack.settings, kind=UserKind.officer, login=login, password=PASSWORD,
                                    roles=roles, display_name=name)  # fmt: skip
        return user.id


def user_row(s: Session, user_id: int) -> Any:
    from backend.models.accounts import User

    user = s.get(User, user_id)
    assert user is not None
    return user


def register_citizen(stack: Stack, email: str, name: str, postcode4: str = "6411") -> int:
    from backend.services import participants

    reg = participants.CitizenRegistration(email=email, password=PASSWORD, pin=PIN, name=name, phone="0612345678",
                                           postcode4=postcode4, birth_year=1985, display_name=name.split()[0],
                                           leaderboard_opt_in=True)  # fmt: skip
    with stack.db() as s, s.begin():
        return participants.register_citizen(s, stack.settings, reg, "test").id


def register_merchant(stack: Stack, email: str, business: str) -> int:
    from backend.services import participants

    reg = participants.MerchantRegistration(email=email, password=PASSWORD, display_name="Mia", business_name=business,
                                            kvk_number="12345678", iban="NL91ABNA0417164300", bic=None,
                                            street_address="Markt 1", postcode4="6411", category="bakery")  # fmt: skip
    with stack.db() as s, s.begin():
        return participants.register_merchant(s, stack.settings, reg, "test").id


def enrolled(stack: Stack, address_of: Callable[[Session], str | None]) -> bool:
    from indexer import queries as idx

    with stack.db() as s:
        address = address_of(s)
        return bool(address and idx.participant(s, address) is not None)


def approve_citizen(stack: Stack, registrar: int, citizen_id: int) -> None:
    from backend.models.participants import Citizen
    from backend.services import participants

    with stack.db() as s, s.begin():
        participants.approve_citizen(s, stack.settings, user_row(s, registrar), citizen_id)
    wait_for(
        "the citizen's enrolment on-chain",
        lambda: enrolled(stack, lambda s: getattr(s.get(Citizen, citizen_id), "address", None)),
    )


def approve_merchant(stack: Stack, registrar: int, merchant_id: int) -> None:
    from backend.models.participants import Merchant
    from backend.services import participants

    with stack.db() as s, s.begin():
        participants.approve_merchant(s, stack.settings, user_row(s, registrar), merchant_id)
    wait_for(
        "the shop's enrolment on-chain",
        lambda: enrolled(stack, lambda s: getattr(s.get(Merchant, merchant_id), "address", None)),
    )


def create_task(stack: Stack, manager: int, title: str, reward_cents: int = 500, slots: int = 3,
                neighbourhood: str = "6411") -> int:  # fmt: skip
    from backend.services import tasks

    new = tasks.NewTask(title=title, description="Bags and gloves are at the community centre.", category="litter",
                        neighbourhood=neighbourhood, lat=50.8882, lon=5.9795, reward_cents=reward_cents,
                        estimated_minutes=max(15, -(-reward_cents * 60 // 500)), slots=slots,
                        claim_deadline=datetime.now(UTC) + timedelta(days=7),
                        kit_note="gloves, bags", extra_work=True)  # fmt: skip
    with stack.db() as s, s.begin():
        return tasks.create_task(s, user_row(s, manager), new).id


def citizen_user(stack: Stack, citizen_id: int) -> int:
    from backend.models.participants import Citizen

    with stack.db() as s:
        row = s.get(Citizen, citizen_id)
        assert row is not None
        return row.user_id


def merchant_user(stack: Stack, merchant_id: int) -> int:
    from backend.models.participants import Merchant

    with stack.db() as s:
        row = s.get(Merchant, merchant_id)
        assert row is not None
        return row.owner_user_id


def claim_and_submit(stack: Stack, citizen_uid: int, task_id: int) -> int:
    from backend.services import tasks

    with stack.db() as s, s.begin():
        claim = tasks.claim_task(s, user_row(s, citizen_uid), task_id)
        claim_id = claim.id
    with stack.db() as s, s.begin():
        tasks.submit(s, stack.settings, user_row(s, citizen_uid), claim_id, photo_bytes(), "All litter picked up.")
    return claim_id


def approve_claim(stack: Stack, approver: int, claim_id: int) -> None:
    from backend.models.tasks import Claim
    from backend.services import tasks

    with stack.db() as s, s.begin():
        tasks.approve(s, user_row(s, approver), claim_id)

    def paid() -> bool:
        with stack.db() as s:
            claim = s.get(Claim, claim_id)
            return claim is not None and tasks.effective_status(s, claim) == "paid"

    wait_for("the task reward on-chain", paid)


def ledger(stack: Stack) -> Any:
    from backend.ledger import Ledger

    d = stack.deployment
    return Ledger(d.chain_id, d.address, d.block_number, stack.settings.rpc_url)


def pay(stack: Stack, merchant_uid: int, citizen_uid: int, cents: int) -> str:
    from backend.services import payments

    with stack.db() as s, s.begin():
        code = payments.create_request(s, stack.settings, user_row(s, merchant_uid), amount=cents, description="Bread",
                                       ttl_seconds=None).code  # fmt: skip
    with stack.db() as s, s.begin():
        payments.pay(s, ledger(stack), user_row(s, citizen_uid), code, PIN)

    def arrived() -> bool:
        with stack.db() as s:
            return payments.find_request(s, code).status == "paid"

    wait_for("the payment on-chain", arrived)
    return code


def payout(stack: Stack, merchant_uid: int, cents: int) -> str:
    from backend.models.money import Payout
    from backend.services import settlement

    with stack.db() as s, s.begin():
        public_id = settlement.request_payout(s, ledger(stack), user_row(s, merchant_uid), cents).public_id

    def escrowed() -> bool:
        with stack.db() as s:
            row = s.query(Payout).filter_by(public_id=public_id).one()
            return row.status == "escrowed"

    wait_for("the payout in escrow", escrowed)
    return public_id


@dataclass
class World:
    """What the page tests look at: ids and logins of people in every role, and things in every state."""

    admin: str
    citizen: str
    merchant: str
    task_id: int
    claim_paid: int
    claim_submitted: int
    open_request: str
    batch_id: int
    claim_rejected: int


@pytest.fixture(scope="session")
def world(stack: Stack) -> World:
    from backend.services import settlement

    admin = officer(stack, "admin@heerlen.example", ["admin"], "Olga")
    cid = register_citizen(stack, "anna@example.nl", "Anna de Vries")
    register_citizen(stack, "pending@example.nl", "Piet Wachter", postcode4="6412")
    mid = register_merchant(stack, "bakker@example.nl", "Bakkerij Bart")
    register_merchant(stack, "wacht@example.nl", "Fietsenmaker Fien")
    approve_citizen(stack, admin, cid)
    approve_merchant(stack, admin, mid)
    anna, bart = citizen_user(stack, cid), merchant_user(stack, mid)
    task_id = create_task(stack, admin, "Pick up litter in the Burgemeester park", reward_cents=1250)
    create_task(stack, admin, "Weed the school garden", reward_cents=300, neighbourhood="6412")
    paid_claim = claim_and_submit(stack, anna, task_id)
    approve_claim(stack, admin, paid_claim)
    second = create_task(stack, admin, "Clean graffiti off the bus shelter", reward_cents=500)
    submitted_claim = claim_and_submit(stack, anna, second)
    pay(stack, bart, anna, 850)
    payout(stack, bart, 500)
    with stack.db() as s, s.begin():
        batch_id = settlement.create_batch(s, stack.settings, user_row(s, admin), datetime.now(UTC).date()).id
    from backend.services import governance, payments
    from backend.services import tasks as task_service

    with stack.db() as s, s.begin():
        open_code = payments.create_request(s, stack.settings, user_row(s, bart), amount=275, description="Coffee",
                                            ttl_seconds=3600).code  # fmt: skip
    third = create_task(stack, admin, "Empty the litter bins on the Promenade", reward_cents=250)
    rejected_claim = claim_and_submit(stack, anna, third)
    with stack.db() as s, s.begin():
        task_service.reject(s, user_row(s, admin), rejected_claim, "The photo shows a different street.")
    # A recovery waiting for a second officer (started by someone else than the admin who looks at it).
    recovery_officer = officer(stack, "herstel@heerlen.example", ["recovery_officer"], "Rik")
    ria = register_citizen(stack, "ria@example.nl", "Ria Verloren")
    approve_citizen(stack, admin, ria)
    with stack.db() as s, s.begin():
        governance.start_recovery(s, user_row(s, recovery_officer), ria, "Lost her phone; identity checked at the desk")
    return World("admin@heerlen.example", "anna@example.nl", "bakker@example.nl", task_id, paid_claim,
                 submitted_claim, open_code, batch_id, rejected_claim)  # fmt: skip


# ─────────────────────────── the browser ───────────────────────────


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


def new_context(browser: Browser, stack: Stack, lang: str = "nl", width: int = 1280, **kwargs: Any) -> BrowserContext:
    ctx = browser.new_context(base_url=stack.base_url, locale=lang, viewport={"width": width, "height": 900},
                              extra_http_headers={"Accept-Language": lang}, **kwargs)  # fmt: skip
    ctx.set_default_timeout(30_000)  # as long as SQLite may wait for its write lock (busy_timeout)
    return ctx


def log_in(page: Page, login: str, start: str) -> None:
    page.goto(start)
    assert "/login" in page.url, page.url
    page.fill("#f-login", login)
    page.fill("#f-password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def run_axe(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations (WCAG 2.0/2.1 A and AA rules) on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'best-practice']}}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
