# SPDX-License-Identifier: EUPL-1.2
"""`heitje dev`: demo accounts and tasks (development only), and the API served by uvicorn in a thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.models.accounts import OfficerRole
from backend.models.tasks import Task
from backend.services import accounts, officers, participants
from backend.services import tasks as task_service
from heitje.db import make_engine, session_factory, unit_of_work
from heitje.deploy import Deployment
from heitje.errors import ConfigurationError
from heitje.settings import Settings

log = logging.getLogger(__name__)

HOST, PORT = "127.0.0.1", 8000
#: Published demo password: `seed` refuses to run outside development.
DEMO_PASSWORD = "heitje-demo-2026"
DEMO_PIN = "1234"


@dataclass(frozen=True)
class Login:
    who: str
    login: str
    password: str
    pin: str | None = None


OFFICERS = (
    ("admin@heerlen.example", "Admin", [OfficerRole.admin]),
    ("taken@heerlen.example", "Tessa (task manager)", [OfficerRole.task_manager]),
    ("keuring@heerlen.example", "Anouk (approver)", [OfficerRole.approver]),
    ("balie@heerlen.example", "Rik (registrar)", [OfficerRole.registrar]),
    ("financien@heerlen.example", "Fenna (settlement)", [OfficerRole.settlement_officer]),
    ("herstel@heerlen.example", "Ruud (recovery)", [OfficerRole.recovery_officer]),
    ("controle@heerlen.example", "Aad (auditor)", [OfficerRole.auditor, OfficerRole.pauser]),
)
CITIZENS = (
    ("anna@example.nl", "Anna Jansen", "Anna", "6411"),
    ("bram@example.nl", "Bram Willems", "Bram", "6412"),
)
MERCHANT = ("bakkerij@example.nl", "Bakkerij Van Loon", "12345678", "NL91ABNA0417164300", "Promenade 12, Heerlen")
TASKS = (
    ("Zwerfafval prikken in het Burgemeester van Grunsvenpark", "litter", "6411", 50.8882, 5.9795, 250, 30, 3),
    ("Bladeren vegen bij de speeltuin Molenberg", "greenery", "6412", 50.8901, 5.9612, 500, 60, 2),
    ("Graffiti melden en afnemen bij het station", "graffiti", "6411", 50.8910, 5.9740, 375, 45, 1),
    ("Boodschappen doen voor een buurtgenoot", "social", "6413", 50.8800, 5.9850, 250, 30, 4),
)


def seed(settings: Settings) -> list[Login]:
    """Create the demo world once (officers, two enrolled citizens, a bakery, tasks); returns the logins.

    Enrolments are queued in the outbox: the relayer of `heitje dev` puts them on-chain."""
    if not settings.is_dev:
        raise ConfigurationError("demo accounts are for development only")
    engine = make_engine(settings.effective_database_url)
    factory = session_factory(engine)
    logins: list[Login] = []
    try:
        with unit_of_work(factory) as session:
            admin = accounts.find_by_login(session, settings, OFFICERS[0][0])
            for login, name, roles in OFFICERS:
                found = accounts.find_by_login(session, settings, login)
                if found is None:
                    found = officers.create_officer(session, settings, None, login, DEMO_PASSWORD, name,
                                                    [r.value for r in roles])  # fmt: skip
                if admin is None:
                    admin = found
                logins.append(Login(name, login, DEMO_PASSWORD))
            assert admin is not None
            for login, name, display, postcode in CITIZENS:
                user = accounts.find_by_login(session, settings, login)
                if user is None:
                    reg = participants.CitizenRegistration(login, DEMO_PASSWORD, DEMO_PIN, name, "+31612345678",
                                                           postcode, 1985, display, True)  # fmt: skip
                    citizen = participants.register_citizen(session, settings, reg, "seed")
                    participants.approve_citizen(session, settings, admin, citizen.id)
                logins.append(Login(f"citizen {display}", login, DEMO_PASSWORD, DEMO_PIN))
            login, business, kvk, iban, street = MERCHANT
            if accounts.find_by_login(session, settings, login) is None:
                mreg = participants.MerchantRegistration(login, DEMO_PASSWORD, "Joep", business, kvk, iban, None,
                                                         street, "6411", "bakery")  # fmt: skip
                merchant = participants.register_merchant(session, settings, mreg, "seed")
                participants.approve_merchant(session, settings, admin, merchant.id)
            logins.append(Login(f"merchant {business}", login, DEMO_PASSWORD))
            if session.scalar(select(Task.id).limit(1)) is None:
                deadline = datetime.now(UTC) + timedelta(days=30)
                for title, category, hood, lat, lon, reward, minutes, slots in TASKS:
                    task_service.create_task(session, admin, task_service.NewTask(
                        title=title, description=title + ". Materiaal ligt klaar bij het buurthuis.",
                        category=category, neighbourhood=hood, lat=lat, lon=lon, reward_cents=reward,
                        estimated_minutes=minutes, slots=slots, claim_deadline=deadline,
                        kit_note="handschoenen en vuilniszakken", extra_work=True,
                    ))  # fmt: skip
            log.info("demo data ready")
    finally:
        engine.dispose()
    return logins


def print_logins(logins: list[Login]) -> None:
    print(f"logins    (development only; password for all: {DEMO_PASSWORD})")
    for login in logins:
        pin = f"  PIN {login.pin}" if login.pin else ""
        print(f"          {login.who:<28} {login.login}{pin}")


def start_dev(settings: Settings, deployment: Deployment, stop_event: threading.Event) -> Callable[[], None]:
    """Seed (development only) and serve the API on 127.0.0.1:8000 in a thread; returns the stopper."""
    import uvicorn

    from backend.api.app import create_app

    if settings.is_dev:
        print_logins(seed(settings))
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=PORT, log_level="warning", access_log=False))

    def serve() -> None:
        try:
            server.run()
        except Exception:
            log.exception("the API server stopped")
        finally:
            stop_event.set()

    thread = threading.Thread(target=serve, name="api", daemon=True)
    thread.start()
    base = f"http://{HOST}:{PORT}"
    print(f"api       {base}/api/v1  (OpenAPI docs {base}/api/v1/docs)")
    print(f"apps      citizen {base}/citizen/  ·  merchant {base}/merchant/  ·  dashboard {base}/dashboard/")

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return stop
