# SPDX-License-Identifier: EUPL-1.2
"""Generated requests (schemathesis, from the OpenAPI schema) against every money-side operation, as each
kind of caller: no request may produce a server error, and every error is problem+json."""

from __future__ import annotations

import time

import pytest
import schemathesis

from tests.api import generated
from tests.api.money.conftest import World

MONEY = (
    r"^/api/v1/(payment-requests|payments|merchant/payments|payouts|settlement-batches|recoveries|audit-log"
    r"|reconciliation|liability|stats|ledger|status)|^/api/v1/me/statements"
)
#: The SSE stream is covered by its own tests (a generated `max_seconds` would hold the run for minutes).
SKIP = r"^/api/v1/merchant/events"
BUDGET_S = 12.0
EXAMPLES = 6


@pytest.mark.slow
def test_generated_requests_to_money_endpoints_never_cause_a_server_error(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 5_000)
    w.ledger.fund(w.shop.address, 5_000)
    w.client.post("/api/v1/payouts", json={"amount": 500}, headers=w.shop.headers)
    w.ledger.process()
    app = w.client.app
    schema = (
        schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).include(path_regex=MONEY).exclude(path_regex=SKIP)
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    callers = [
        ("officer", w.officers["settlement_officer"].headers),
        ("merchant", w.shop.headers),
        ("citizen", w.anna.headers),
        ("auditor", w.officers["auditor"].headers),
        ("recovery", w.officers["recovery_officer"].headers),
    ]
    deadline = time.monotonic() + BUDGET_S
    for who, headers in callers:
        for op in operations:
            if time.monotonic() > deadline and who != "officer":
                return
            generated.runner(op, headers, who, EXAMPLES)()
