# SPDX-License-Identifier: EUPL-1.2
"""Merchant app: payment requests with a large QR code and live arrival, today's takings, refunds,
payouts and their status, and staff management for the owner."""

from __future__ import annotations

import io
import re
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from markupsafe import Markup
from starlette.responses import RedirectResponse, Response

from backend.api.deps import DbSession, SettingsDep, get_ledger
from backend.errors import BackendError, ValidationFailed
from backend.models.accounts import User
from backend.web import queries
from backend.web.feedback import problem_text
from backend.web.render import render
from backend.web.session import Csrf, MerchantPage, OptionalPageUser

router = APIRouter(prefix="/merchant", include_in_schema=False)
APP = "merchant"
AMOUNT = re.compile(r"^\s*(\d{1,6})(?:[.,](\d{1,2}))?\s*$")


def parse_cents(text: str) -> int:
    """'12,50', '12.5' or '12' → 1250. Refuses anything else (no thousands separators, no signs)."""
    m = AMOUNT.match(text or "")
    if not m:
        raise ValidationFailed("enter an amount like 12,50", field="amount")
    return int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))


def _shop(session: DbSession, user: User) -> dict[str, Any]:
    from backend.models.participants import Merchant
    from backend.services.money_common import membership

    member = membership(session, user)
    merchant = session.get(Merchant, member.merchant_id)
    return {"merchant": merchant, "member": member, "is_owner": member.role == "owner"}


def _failed(request: Request, session: DbSession, exc: BackendError, template: str, **context: Any) -> Response:
    session.rollback()
    message, detail = problem_text(exc)
    return render(request, template, status_code=exc.status, app=APP, error=message, error_detail=detail, **context)


@router.get("")
def root() -> Response:
    return RedirectResponse("/merchant/", status_code=307)


def _home(session: DbSession, user: User) -> dict[str, Any]:
    shop = _shop(session, user)
    merchant = shop["merchant"]
    balance, available = queries.merchant_balance(session, merchant)
    return {**shop, "takings": queries.todays_takings(session, merchant.id), "balance": balance,
            "available": available, "requests": queries.recent_requests(session, merchant.id)}  # fmt: skip


@router.get("/")
def home(request: Request, session: DbSession, user: MerchantPage) -> Response:
    return render(request, "merchant/home.html", app=APP, user=user, amount="", description="", **_home(session, user))


@router.get("/register")
def register_form(request: Request, user: OptionalPageUser) -> Response:
    from backend.models.participants import MerchantCategory

    return render(request, "merchant/register.html", user=user, values={}, categories=list(MerchantCategory))


@router.post("/register", dependencies=[Csrf])
async def register(request: Request, session: DbSession, settings: SettingsDep) -> Response:
    from backend.models.participants import MerchantCategory
    from backend.services.participants import MerchantRegistration, register_merchant

    request.state.db = session
    form = await request.form()
    keys = ("display_name", "email", "business_name", "kvk_number", "iban", "bic", "street_address", "postcode4",
            "category")  # fmt: skip
    values = {k: str(form.get(k, "")).strip() for k in keys}
    client = request.client.host if request.client else "unknown"
    try:
        reg = MerchantRegistration(password=str(form.get("password", "")), bic=values.pop("bic") or None, **values)
        register_merchant(session, settings, reg, client)
    except BackendError as exc:
        return _failed(request, session, exc, "merchant/register.html", app="public", values=values,
                       categories=list(MerchantCategory))  # fmt: skip
    return RedirectResponse("/login?next=/merchant/&done=registered", status_code=303)


@router.post("/requests", dependencies=[Csrf])
def create_request(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: MerchantPage,
    amount: Annotated[str, Form(max_length=12)] = "",
    description: Annotated[str, Form(max_length=140)] = "",
) -> Response:
    from backend.services import payments

    try:
        req = payments.create_request(session, settings, user, amount=parse_cents(amount),
                                      description=description.strip(), ttl_seconds=None)  # fmt: skip
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "merchant/home.html", user=user, amount=amount, description=description,
                       **_home(session, user))  # fmt: skip
    return RedirectResponse(f"/merchant/requests/{req.code}", status_code=303)


def qr_markup(url: str, title: str) -> Markup:
    buf = io.BytesIO()
    segno.make(url, error="m").save(
        buf, kind="svg", scale=10, border=3, title=title, xmldecl=False, svgns=True, omitsize=True
    )
    return Markup(buf.getvalue().decode())  # noqa: S704 - segno's own SVG, the URL inside is escaped by segno


@router.get("/requests/{code}")
def show_request(
    request: Request, session: DbSession, settings: SettingsDep, user: MerchantPage, code: str
) -> Response:
    from backend.services import payments

    view = payments.view_request(session, user, code)
    base = str(request.base_url).rstrip("/") if settings.is_dev else settings.public_base_url.rstrip("/")
    url = f"{base}/pay/{view.request.code}"
    return render(request, "merchant/request.html", app=APP, user=user, view=view, pay_url=url,
                  qr=qr_markup(url, view.request.code), **_shop(session, user))  # fmt: skip


@router.post("/requests/{code}/cancel", dependencies=[Csrf])
def cancel_request(request: Request, session: DbSession, user: MerchantPage, code: str) -> Response:
    from backend.services import payments

    payments.cancel_request(session, user, code)
    return RedirectResponse("/merchant/", status_code=303)


@router.get("/payments")
def payments_page(request: Request, session: DbSession, user: MerchantPage, page: int = 0) -> Response:
    from backend.services import payments

    rows, total, refunded = payments.merchant_payments(session, user, limit=50, offset=max(0, page) * 50)
    return render(request, "merchant/payments.html", app=APP, user=user, rows=rows, total=total, refunded=refunded,
                  page=max(0, page), **_shop(session, user))  # fmt: skip


@router.post("/payments/{payment_id}/refund", dependencies=[Csrf])
def refund(
    request: Request,
    session: DbSession,
    user: MerchantPage,
    payment_id: int,
    amount: Annotated[str, Form(max_length=12)] = "",
    reason: Annotated[str, Form(max_length=140)] = "",
) -> Response:
    from backend.services import payments

    try:
        payments.refund(session, get_ledger(request), user, payment_id, parse_cents(amount), reason.strip())
    except BackendError as exc:
        session.rollback()
        rows, total, refunded = payments.merchant_payments(session, user, limit=50, offset=0)
        return _failed(request, session, exc, "merchant/payments.html", user=user, rows=rows, total=total,
                       refunded=refunded, page=0, **_shop(session, user))  # fmt: skip
    return RedirectResponse("/merchant/payments?done=refunded", status_code=303)


def _payouts(session: DbSession, user: User) -> dict[str, Any]:
    from backend.services import settlement

    rows, total = settlement.merchant_payouts(session, user, limit=50, offset=0)
    shop = _shop(session, user)
    balance, available = queries.merchant_balance(session, shop["merchant"])
    return {**shop, "rows": rows, "total": total, "balance": balance, "available": available}


@router.get("/payouts")
def payouts(request: Request, session: DbSession, user: MerchantPage) -> Response:
    return render(request, "merchant/payouts.html", app=APP, user=user, **_payouts(session, user))


@router.post("/payouts", dependencies=[Csrf])
def request_payout(
    request: Request, session: DbSession, user: MerchantPage, amount: Annotated[str, Form(max_length=12)] = ""
) -> Response:
    from backend.services import settlement

    try:
        settlement.request_payout(session, get_ledger(request), user, parse_cents(amount))
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "merchant/payouts.html", user=user, **_payouts(session, user))
    return RedirectResponse("/merchant/payouts?done=payout", status_code=303)


def _staff(session: DbSession, user: User) -> dict[str, Any]:
    from backend.services import participants

    shop = _shop(session, user)
    members = participants.list_staff(session, user, shop["merchant"].id) if shop["is_owner"] else []
    return {**shop, "members": members}


@router.get("/staff")
def staff(request: Request, session: DbSession, user: MerchantPage) -> Response:
    return render(request, "merchant/staff.html", app=APP, user=user, values={}, **_staff(session, user))


@router.post("/staff", dependencies=[Csrf])
def add_staff(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: MerchantPage,
    email: Annotated[str, Form(max_length=254)] = "",
    display_name: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    from backend.services import participants

    try:
        shop = _shop(session, user)
        participants.add_staff(session, settings, user, shop["merchant"].id, email.strip(), password,
                               display_name.strip())  # fmt: skip
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "merchant/staff.html", user=user,
                       values={"email": email, "display_name": display_name}, **_staff(session, user))  # fmt: skip
    return RedirectResponse("/merchant/staff?done=staff-added", status_code=303)


@router.post("/staff/{user_id}/remove", dependencies=[Csrf])
def remove_staff(request: Request, session: DbSession, user: MerchantPage, user_id: int) -> Response:
    from backend.services import participants

    try:
        participants.remove_staff(session, user, _shop(session, user)["merchant"].id, user_id)
    except BackendError as exc:
        session.rollback()
        return _failed(request, session, exc, "merchant/staff.html", user=user, values={}, **_staff(session, user))
    return RedirectResponse("/merchant/staff?done=staff-removed", status_code=303)
