# SPDX-License-Identifier: EUPL-1.2
"""Authorization matrix for every money-side endpoint × {anonymous, citizen A, citizen B, merchant owner,
merchant staff, another merchant, each officer role}: only the allowed cells get past authorization, and
object-level checks hide other people's objects (404)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import PIN
from tests.api.money.conftest import World

OFFICER_ROLES = ["task_manager", "approver", "registrar", "settlement_officer", "recovery_officer", "auditor", "pauser"]
ACTORS = ["anonymous", "anna", "bob", "owner", "staff", "other_merchant", *OFFICER_ROLES]
DENIED = {401, 403, 404}
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


def _headers(w: World, actor: str) -> dict[str, str]:
    if actor == "anonymous":
        return {}
    people = {"anna": w.anna, "bob": w.bob, "owner": w.shop, "staff": w.staff, "other_merchant": w.shop2}
    if actor in people:
        return people[actor].headers
    return w.officers[actor].headers


def test_every_money_endpoint_allows_exactly_its_roles(world: World) -> None:
    w = world
    w.ledger.fund(w.anna.address, 10_000)
    w.ledger.fund(w.shop.address, 10_000)
    code = w.client.post("/api/v1/payment-requests", json={"amount": 100}, headers=w.shop.headers).json()["code"]
    paid_code = w.client.post("/api/v1/payment-requests", json={"amount": 500}, headers=w.shop.headers).json()["code"]
    assert (
        w.client.post(
            f"/api/v1/payment-requests/{paid_code}/pay", json={"pin": PIN}, headers=w.anna.headers
        ).status_code
        == 200
    )
    w.client.post("/api/v1/payouts", json={"amount": 1_000}, headers=w.shop.headers)
    w.ledger.process()
    payment_id = w.client.get("/api/v1/merchant/payments", headers=w.shop.headers).json()["items"][0]["id"]
    batch = w.client.post("/api/v1/settlement-batches", json={"execution_date": TOMORROW},
                             headers=w.officers["settlement_officer"].headers)  # fmt: skip
    assert batch.status_code == 201, batch.text
    batch_id = batch.json()["id"]

    merchants = {"owner", "staff"}
    cases: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
        ("POST", "/api/v1/payment-requests", {"amount": 100}, merchants | {"other_merchant"}),
        ("GET", f"/api/v1/payment-requests/{code}", None, merchants | {"anna", "bob", "settlement_officer", "auditor"}),
        ("GET", f"/api/v1/payment-requests/{paid_code}", None, merchants | {"anna", "settlement_officer", "auditor"}),
        ("GET", f"/api/v1/payment-requests/{code}/qr.svg", None, merchants),
        ("POST", f"/api/v1/payment-requests/{code}/pay", {"pin": PIN}, {"anna", "bob"}),
        ("POST", f"/api/v1/payments/{payment_id}/refund", {"amount": 1}, merchants),
        ("GET", "/api/v1/merchant/payments", None, merchants | {"other_merchant"}),
        ("GET", "/api/v1/merchant/events?max_seconds=1", None, merchants | {"other_merchant"}),
        ("POST", "/api/v1/payouts", {"amount": 100}, {"owner", "other_merchant"}),  # each its own merchant
        ("GET", "/api/v1/payouts", None, merchants | {"other_merchant", "settlement_officer", "auditor"}),
        ("GET", "/api/v1/settlement-batches", None, {"settlement_officer", "auditor"}),
        ("GET", f"/api/v1/settlement-batches/{batch_id}", None, {"settlement_officer", "auditor"}),
        ("GET", f"/api/v1/settlement-batches/{batch_id}/sepa.xml", None, {"settlement_officer"}),
        ("POST", "/api/v1/settlement-batches", {"execution_date": TOMORROW}, {"settlement_officer"}),
        ("POST", f"/api/v1/settlement-batches/{batch_id}/confirm", {"bank_reference": "X"}, {"settlement_officer"}),
        ("POST", f"/api/v1/settlement-batches/{batch_id}/approve", None, {"settlement_officer"}),
        ("POST", "/api/v1/recoveries", {"citizen_id": w.bob.row_id}, {"recovery_officer"}),
        ("GET", "/api/v1/recoveries", None, {"recovery_officer"}),
        ("GET", "/api/v1/me/statements/2026?format=html", None, {"anna", "bob"}),
        ("GET", "/api/v1/audit-log", None, {"auditor"}),
        ("GET", "/api/v1/audit-log/verify", None, {"auditor"}),
        ("GET", "/api/v1/reconciliation", None, {"auditor", "settlement_officer"}),
        ("GET", "/api/v1/liability", None, {"auditor", "settlement_officer"}),
        ("GET", "/api/v1/stats/export", None, {"auditor"}),
        ("POST", "/api/v1/ledger/pause", {"reason": "matrix"}, {"pauser"}),
        ("POST", "/api/v1/ledger/unpause", {}, {"pauser"}),
        ("GET", "/api/v1/status", None, set(ACTORS)),
    ]
    wrong: list[str] = []
    for method, url, body, allowed in cases:
        for actor in ACTORS:
            r = w.client.request(method, url, json=body, headers=_headers(w, actor))
            ok = r.status_code not in DENIED
            if url == "/api/v1/status":
                ok = r.status_code == 200
            if ok != (actor in allowed):
                wrong.append(f"{method} {url} as {actor}: {r.status_code} {r.text[:120]}")
            if r.status_code >= 500:
                wrong.append(f"{method} {url} as {actor}: server error {r.status_code}")
            if actor == "anonymous" and actor not in allowed and r.status_code != 401:
                wrong.append(f"{method} {url} anonymous got {r.status_code}")
    assert not wrong, "\n".join(wrong)
