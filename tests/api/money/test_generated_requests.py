# SPDX-License-Identifier: EUPL-1.2
"""Generated requests (schemathesis, from the OpenAPI schema) against every money-side operation, as each
kind of caller: no request may produce a server error, and every error is problem+json."""

from __future__ import annotations

import time
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given

from tests.api.money.conftest import World

MONEY = (
    r"^/api/v1/(payment-requests|payments|merchant/payments|payouts|settlement-batches|recoveries|audit-log"
    r"|reconciliation|liability|stats|ledger|status)|^/api/v1/me/statements"
)
#: The SSE stream is covered by its own tests (a generated `max_seconds` would hold the run for minutes).
SKIP = r"^/api/v1/merchant/events"
BUDGET_S = 12.0
EXAMPLES = 6


def _settings(max_examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )


def _check(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what} → {response.status_code}: {response.text[:300]}"
    if response.status_code >= 400:
        ctype = response.headers.get("content-type") or [""]
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype.startswith("application/problem+json"), f"{what} → {response.status_code} as {ctype}"


def _run(op: Any, headers: dict[str, str], who: str) -> None:
    @_settings(EXAMPLES)
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        _check(response, f"{who} {op.label} {case.path_parameters} {case.query} {str(case.body)[:120]}")

    run()


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
            _run(op, headers, who)
