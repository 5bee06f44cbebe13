# SPDX-License-Identifier: EUPL-1.2
"""The three web apps (citizen PWA, merchant app, municipality dashboard), served by the API process.

`backend.api.app.create_app` calls `mount(app)` when this package exists. Pages are rendered on the
server and call the backend services directly; a little JavaScript (QR scanning, live payments, charts)
is served from this package or from `node_modules` — never from a CDN.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from backend.errors import BackendError
from backend.web.feedback import problem_text
from backend.web.render import render
from backend.web.session import CsrfFailed, LoginRequired, MissingRole, WrongApp
from heitje.settings import PROJECT_ROOT

STATIC = Path(__file__).parent / "static"
#: URL prefixes of the page apps (everything else, e.g. /api/v1, keeps problem+json errors).
PAGE_APPS = ("citizen", "merchant", "dashboard")
#: Front-end libraries installed by npm (package.json pins them), served same-origin, never from a CDN.
VENDOR = {
    "chart.js": PROJECT_ROOT / "node_modules" / "chart.js" / "dist",
    "jsqr": PROJECT_ROOT / "node_modules" / "jsqr" / "dist",
}


def mount(app: FastAPI) -> None:
    from backend.web.routes import citizen, dashboard, merchant, public

    for module in (public, citizen, merchant, dashboard):
        app.include_router(module.router)
    # Static files gzip-compressed on the fly (text assets shrink 3-5x; pages stay light on slow networks).
    for prefix, folder in VENDOR.items():
        app.mount(f"/static/vendor/{prefix}", GZipMiddleware(StaticFiles(directory=folder, check_dir=False)))
    app.mount("/static", GZipMiddleware(StaticFiles(directory=STATIC), minimum_size=1024), name="static")

    api_handler = app.exception_handlers.get(BackendError)

    @app.exception_handler(BackendError)
    async def _page_problem(request: Request, exc: BackendError) -> Response:
        """On a page, a service's refusal that the route did not handle becomes a page in the person's
        language; everywhere else (the API) the problem+json answer stays exactly as it was."""
        if api_handler is None or request.url.path.split("/")[1] in PAGE_APPS:
            message, detail = problem_text(exc)
            app_name = request.url.path.split("/")[1]
            return render(request, "error.html", status_code=exc.status, kind="problem", banner=None,
                          app=app_name if app_name in PAGE_APPS else "public", error=message,
                          error_detail=detail)  # fmt: skip
        answer = api_handler(request, exc)
        response: Response = await answer if inspect.isawaitable(answer) else answer
        return response

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    @app.exception_handler(WrongApp)
    async def _wrong_app(request: Request, exc: WrongApp) -> HTMLResponse:
        return render(request, "error.html", status_code=403, kind="wrong-app", banner=None)

    @app.exception_handler(MissingRole)
    async def _role(request: Request, exc: MissingRole) -> HTMLResponse:
        return render(
            request, "error.html", status_code=403, kind="role", roles=exc.roles, app="dashboard", banner=None
        )

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> HTMLResponse:
        return render(request, "error.html", status_code=403, kind="csrf", banner=None)
