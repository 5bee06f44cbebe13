# SPDX-License-Identifier: EUPL-1.2
"""The web apps without a browser: catalogs, language choice, login with CSRF and cookie flags, who may open
which app, the PWA files, and the small parsers the forms rely on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.models.accounts import UserKind
from backend.services import accounts
from backend.web import catalogs
from backend.web.i18n import parse_accept_language
from backend.web.routes.merchant import parse_cents
from backend.web.session import safe_next
from heitje.db import make_engine, migrate, session_factory
from heitje.settings import Settings
from tests.conftest import make_settings

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("webbasics")
    s = make_settings(tmp, database_url=f"sqlite:///{tmp / 'heitje.sqlite3'}", chain_id=31337)
    migrate(s.effective_database_url)
    engine = make_engine(s.effective_database_url)
    with session_factory(engine)() as db, db.begin():
        accounts.create_user(db, s, kind=UserKind.citizen, login="citizen@example.nl", password=PASSWORD,
                             display_name="Cato", pin="2468")  # fmt: skip
        accounts.create_user(db, s, kind=UserKind.officer, login="auditor@heerlen.example", password=PASSWORD,
                             roles=["auditor"], display_name="Ada")  # fmt: skip
    engine.dispose()
    return s


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=True, follow_redirects=False) as c:
        yield c


def log_in(client: TestClient, login: str) -> None:
    client.get("/login")
    r = client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": client.cookies["heitje_csrf"]})
    assert r.status_code == 303, r.text


def test_catalogs_are_complete_and_compiled() -> None:
    assert catalogs.main(["--check"]) == 0
    for lang in ("nl", "en"):
        assert (Path(catalogs.po_path(lang)).with_suffix(".mo")).stat().st_size > 10_000


def test_language_follows_the_browser_then_the_switch(client: TestClient) -> None:
    assert 'lang="en"' in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,nl;q=0.8"}).text
    assert 'lang="nl"' in client.get("/", headers={"Accept-Language": "de-DE,fr;q=0.5"}).text
    r = client.get("/lang/en", params={"next": "/login"})
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    assert client.cookies["heitje_lang"] == "en"
    page = client.get("/", headers={"Accept-Language": "nl"})
    assert 'lang="en"' in page.text
    assert page.headers["content-language"] == "en"


def test_accept_language_weights() -> None:
    assert parse_accept_language("nl;q=0.2, en-US;q=0.8, fr;q=0") == ["en-us", "nl"]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example", ""])
def test_redirects_stay_on_this_site(target: str) -> None:
    assert safe_next(target, "/") == "/"


def test_login_needs_the_csrf_token_and_sets_a_strict_session_cookie(client: TestClient) -> None:
    client.get("/login")
    refused = client.post("/login", data={"login": "citizen@example.nl", "password": PASSWORD, "csrf_token": "x"})
    assert refused.status_code == 403
    wrong = client.post("/login", data={"login": "citizen@example.nl", "password": "nope nope nope",
                                        "csrf_token": client.cookies["heitje_csrf"]})  # fmt: skip
    assert wrong.status_code == 401
    assert 'role="alert"' in wrong.text
    ok = client.post("/login", data={"login": "citizen@example.nl", "password": PASSWORD, "next": "/citizen/history",
                                     "csrf_token": client.cookies["heitje_csrf"]})  # fmt: skip
    assert ok.status_code == 303
    assert ok.headers["location"] == "/citizen/history"
    cookie = next(h for h in ok.headers.get_list("set-cookie") if h.startswith("heitje_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_pages_ask_for_a_login_and_keep_each_kind_in_its_own_app(client: TestClient) -> None:
    r = client.get("/citizen/tasks?category=litter")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/citizen/tasks%3Fcategory%3Dlitter"
    log_in(client, "citizen@example.nl")
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/merchant/").status_code == 403


def test_dashboard_parts_need_their_role(client: TestClient) -> None:
    log_in(client, "auditor@heerlen.example")
    assert client.get("/dashboard/audit").status_code == 200
    denied = client.get("/dashboard/approvals")
    assert denied.status_code == 403
    assert "approver" in denied.text


def test_state_changing_pages_refuse_a_missing_csrf_token(client: TestClient) -> None:
    log_in(client, "citizen@example.nl")
    assert client.post("/citizen/tasks/1/claim").status_code == 403
    assert client.post("/logout").status_code == 403


def test_the_citizen_app_is_installable(client: TestClient) -> None:
    manifest = client.get("/citizen/manifest.webmanifest", headers={"Accept-Language": "en"}).json()
    assert manifest["start_url"] == "/citizen/"
    assert manifest["scope"] == "/citizen/"
    assert manifest["display"] == "standalone"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in manifest["icons"]}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    sw = client.get("/citizen/sw.js")
    assert sw.status_code == 200
    assert sw.headers["content-type"].startswith("text/javascript")


def test_front_end_libraries_come_from_node_modules_compressed(client: TestClient) -> None:
    for path in ("/static/vendor/chart.js/chart.umd.min.js", "/static/vendor/jsqr/jsQR.js"):
        r = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200
        assert r.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize(("text", "cents"), [("12,50", 1250), ("12.5", 1250), ("3", 300), (" 0,05 ", 5)])
def test_amounts_are_read_as_cents(text: str, cents: int) -> None:
    assert parse_cents(text) == cents


@pytest.mark.parametrize("text", ["", "-1", "1.234,50", "12,505", "1e3", "abc"])
def test_odd_amounts_are_refused(text: str) -> None:
    from backend.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        parse_cents(text)


def test_the_link_in_a_payment_qr_code_opens_the_payment_in_the_citizen_app(client: TestClient) -> None:
    r = client.get("/pay/ab-c12x")
    assert r.status_code == 303
    assert r.headers["location"] == "/citizen/pay/ABC12X"
    login = client.get(r.headers["location"])
    assert login.headers["location"] == "/login?next=/citizen/pay/ABC12X"


def test_a_refusal_on_a_page_is_a_page_and_the_api_keeps_problem_json(client: TestClient) -> None:
    log_in(client, "citizen@example.nl")
    page = client.get("/citizen/claims/999999", headers={"Accept-Language": "en"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "This does not exist (any more)." in page.text
    api = client.get("/api/v1/claims/999999")
    assert api.status_code in (403, 404)
    assert api.headers["content-type"] == "application/problem+json"


def test_the_dashboard_download_links_work_with_the_page_session(client: TestClient) -> None:
    log_in(client, "auditor@heerlen.example")
    page = client.get("/dashboard/stats").text
    for link in ("/api/v1/stats/export?format=csv", "/api/v1/stats/export?format=json"):
        assert f'href="{link}"' in page
        assert client.get(link).status_code == 200
    assert client.get("/api/v1/stats/export?format=csv").headers["content-type"].startswith("text/csv")
    assert 'href="/api/v1/reconciliation?format=csv"' in client.get("/dashboard/reconciliation").text
    assert client.get("/api/v1/reconciliation?format=csv").status_code == 200
