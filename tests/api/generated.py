# SPDX-License-Identifier: EUPL-1.2
"""Shared by the schemathesis tests: bounded Hypothesis settings and the check every generated response
must pass (never a server error; every error as problem+json)."""

from __future__ import annotations

from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given


def settings(max_examples: int, **extra: Any) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        **extra,
    )


def check(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what} → {response.status_code}: {response.text[:300]}"
    if response.status_code >= 400:
        ctype = response.headers.get("content-type") or [""]
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype.startswith("application/problem+json"), f"{what} → {response.status_code} as {ctype}"


def runner(op: Any, headers: dict[str, str], who: str, examples: int) -> Any:
    """A Hypothesis test calling `op` with generated cases as `who`."""

    @settings(examples)
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        check(response, f"{who} {op.label} {case.path_parameters} {case.query} {str(case.body)[:120]}")

    return run
