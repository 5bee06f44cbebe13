# SPDX-License-Identifier: EUPL-1.2
"""ASGI factory for the API server the benchmark runs: `uvicorn --factory backend.bench.serve:create`."""

from __future__ import annotations

from fastapi import FastAPI

from backend.api.app import create_app
from heitje.settings import get_settings


def create() -> FastAPI:
    return create_app(get_settings())
