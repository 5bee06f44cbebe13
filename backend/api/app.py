# SPDX-License-Identifier: EUPL-1.2
"""The FastAPI application factory. Nothing is created at import time: `create_app` builds the engine and
session factory from the settings it is given (tests pass their own)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api import problems
from backend.api.idempotency import IdempotencyMiddleware
from backend.api.problems import MEDIA_TYPE
from heitje import __version__
from heitje.db import make_engine, read_only_engine, session_factory
from heitje.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 12 * 1024 * 1024  # photo uploads are limited further by their own route

#: Router modules under backend.api.routers; each exposes `router`. Missing modules are skipped so that
#: parts can land one at a time.
ROUTERS = (
    "health",
    "auth",
    "me",
    "citizens",
    "merchants",
    "tasks",
    "claims",
    "wallet",
    "leaderboard",
    "payments",
    "payouts",
    "settlement",
    "recoveries",
    "statements",
    "audit",
    "reconciliation",
    "stats",
    "ledger",
    "admin",
)


class BodySizeLimit:
    """Refuse bodies over a limit with 413 before a route reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope["headers"]:
            if k == b"content-length" and v.isdigit() and int(v) > self.limit:
                await self._refuse(send)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    @staticmethod
    async def _refuse(send: Send) -> None:
        body = (
            b'{"type":"https://heitje.example/problems/payload-too-large",'
            b'"title":"The request body is too large","status":413}'
        )
        headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings.effective_database_url)
    factory = session_factory(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Heitje platform API",
        version=__version__,
        description="Municipal closed-loop currency: tasks, wallets, payments and euro settlement.",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = read_only_engine(engine)
    app.state.session_factory = factory
    problems.install(app)

    for name in ROUTERS:
        module_name = f"backend.api.routers.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        app.include_router(module.router)

    try:
        web = importlib.import_module("backend.web")
    except ModuleNotFoundError as exc:
        if exc.name != "backend.web":
            raise
    else:
        web.mount(app)

    app.add_middleware(IdempotencyMiddleware, session_factory=factory)
    app.add_middleware(BodySizeLimit, limit=MAX_BODY_BYTES)
    return app
