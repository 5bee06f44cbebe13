# SPDX-License-Identifier: EUPL-1.2
"""Server-side rendering: one Jinja2 environment per language (gettext from the Babel catalogs), and the
`render` helper every page route ends with."""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse

from backend.web import i18n, queries
from backend.web.feedback import DONE
from backend.web.i18n import N_
from backend.web.queries import Pause
from backend.web.session import CSRF_FIELD, csrf_token, set_csrf_cookie

TEMPLATES = Path(__file__).parent / "templates"

#: Each app's menu: (path, message id).
NAV: dict[str, list[tuple[str, str]]] = {
    "citizen": [
        ("/citizen/", N_("Home")),
        ("/citizen/tasks", N_("Tasks")),
        ("/citizen/pay", N_("Pay")),
        ("/citizen/history", N_("History")),
        ("/citizen/statement", N_("Statement")),
    ],
    "merchant": [
        ("/merchant/", N_("Checkout")),
        ("/merchant/payments", N_("Payments")),
        ("/merchant/payouts", N_("Payouts")),
        ("/merchant/staff", N_("Staff")),
    ],
    "dashboard": [
        ("/dashboard/", N_("Overview")),
        ("/dashboard/tasks", N_("Tasks")),
        ("/dashboard/approvals", N_("Approvals")),
        ("/dashboard/enrolments", N_("Enrolments")),
        ("/dashboard/settlement", N_("Settlement")),
        ("/dashboard/recoveries", N_("Recoveries")),
        ("/dashboard/audit", N_("Audit log")),
        ("/dashboard/reconciliation", N_("Reconciliation")),
        ("/dashboard/stats", N_("Statistics")),
        ("/dashboard/handyman", N_("Handyman of the month")),
    ],
}


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        lang=lang,
        other_lang="en" if lang == "nl" else "nl",
        money=partial(i18n.money, lang=lang),
        number=partial(i18n.number, lang=lang),
        when=partial(i18n.when, lang=lang),
        CSRF_FIELD=CSRF_FIELD,
    )
    return env


def banner(request: Request) -> Pause | None:
    """The pause banner shown on every page while payments are paused."""
    try:
        session = getattr(request.state, "db", None)
        if session is not None:  # the request's own unit of work (SQLite: a second one would wait for it)
            state = queries.pause_state(session)
        else:
            with request.app.state.session_factory() as own:
                state = queries.pause_state(own)
    except (ImportError, SQLAlchemyError):  # the money side is not installed on this tree
        return None
    return state if state.paused else None


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = i18n.negotiate(request)
    env = environment(lang)
    context.setdefault("user", None)
    context.setdefault("app", "public")
    if "banner" not in context:
        context["banner"] = banner(request)
    context.setdefault("done", DONE.get(request.query_params.get("done", "")))
    context.setdefault("error", None)
    context.update(
        request=request,
        path=request.url.path,
        full_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        csrf=csrf_token(request),
        nav=NAV.get(context["app"], []),
        t=lambda message: i18n.gettext(lang, message),
    )
    html = env.get_template(template).render(**context)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    set_csrf_cookie(request, response)
    return response
