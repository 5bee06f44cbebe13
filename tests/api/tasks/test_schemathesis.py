# SPDX-License-Identifier: EUPL-1.2
"""Property-based API testing from the OpenAPI schema (schemathesis): generated requests against every
part-1 operation, as an officer holding every role and as a citizen, then the stateful phase that chains
operations through the links schemathesis infers (task → claim → submission → approve …). No request may
produce a server error, and every error is problem+json."""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from heitje.settings import Settings
from tests.api import generated
from tests.api.conftest import Actor
from tests.api.tasks import world
from tests.api.tasks.world import fast_hashing  # noqa: F401

#: Operations of issue 5 (the money side and the web apps have their own suites). Logout (POST logout,
#: DELETE session) is left out: it would revoke the token the run authenticates with.
MINE = (
    r"^/api/v1/(citizens|merchants|tasks|claims|leaderboard|admin)"
    r"|^/api/v1/auth/(token|session)$"
    r"|^/api/v1/me(/wallet(/history)?|/badges|/export|/erase|/pin|/preferences)?$"
)
#: Wall-clock budget for one database (the whole file runs on SQLite and PostgreSQL).
BUDGET_S = 25.0
#: Generated cases per operation and caller.
EXAMPLES = 15


@pytest.mark.slow
def test_generated_requests_never_cause_a_server_error(
    client: TestClient, db: sessionmaker[Session], migrated: Settings, officer: Actor
) -> None:
    anna = world.citizen(client, officer, "anna@example.nl")
    client.put("/api/v1/admin/settings", json={"max_active_claims": 50, "registrations_per_ip": 100_000},
               headers=officer.headers)  # fmt: skip
    world.submitted_claim(client, officer, anna)
    world.task(client, officer)
    app = create_app(migrated)
    schema = (
        schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        .include(path_regex=MINE)
        .exclude(method="DELETE", path="/api/v1/auth/session")
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    deadline = time.monotonic() + BUDGET_S * 0.7
    for op in operations:  # one full pass as an officer holding every role
        generated.runner(op, officer.headers, "officer", EXAMPLES)()
    for op in operations:  # then as a citizen, as far as the budget goes
        if time.monotonic() > deadline:
            break
        generated.runner(op, anna.headers, "citizen", EXAMPLES)()

    machine = schema.as_state_machine()

    class Authenticated(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": officer.headers}

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            generated.check(response, f"stateful {case.method} {case.path} {str(case.body)[:120]}")

    Authenticated.run(settings=generated.settings(12, stateful_step_count=6))
