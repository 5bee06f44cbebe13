# SPDX-License-Identifier: EUPL-1.2
"""API fixtures: a migrated database (SQLite and PostgreSQL), the app, and users of every kind."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.models.accounts import OfficerRole, UserKind
from backend.services import accounts
from heitje.db import make_engine, migrate, session_factory
from heitje.settings import Settings
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
PIN = "2468"


@pytest.fixture
def api_settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url=database_url)


@pytest.fixture
def migrated(api_settings: Settings) -> Settings:
    migrate(api_settings.effective_database_url)
    return api_settings


@pytest.fixture
def db(migrated: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(migrated.effective_database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def client(migrated: Settings) -> Iterator[TestClient]:
    app = create_app(migrated)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@dataclass
class Actor:
    user_id: int
    login: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_actor(
    factory: sessionmaker[Session],
    settings: Settings,
    kind: UserKind,
    login: str,
    roles: list[str] | None = None,
    pin: str | None = None,
) -> Actor:
    with factory() as session, session.begin():
        user = accounts.create_user(
            session,
            settings,
            kind=kind,
            login=login,
            password=PASSWORD,
            roles=roles,
            pin=pin,
            display_name=login,
        )
        issued = accounts.issue_token(session, user)
        return Actor(user.id, login, issued.token)


@pytest.fixture
def officer(db: sessionmaker[Session], migrated: Settings) -> Actor:
    return make_actor(db, migrated, UserKind.officer, "admin@heerlen.example", roles=[OfficerRole.admin])
