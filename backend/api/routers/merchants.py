# SPDX-License-Identifier: EUPL-1.2
"""Merchant registration, enrolment by a registrar, suspension, and staff managed by the owner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from backend.api.deps import CurrentUser, DbSession, MerchantUser, SettingsDep, require_roles
from backend.api.schemas import Page
from backend.api.task_schemas import MAX_ID, Decision, MerchantIn, MerchantOut, StaffIn, StaffOut
from backend.models.accounts import User
from backend.models.participants import Merchant
from backend.services import participants

router = APIRouter(prefix="/api/v1/merchants", tags=["merchants"])

MerchantId = Annotated[int, Path(ge=1, le=MAX_ID)]
Registrar = Annotated[User, Depends(require_roles("registrar"))]
Viewer = Annotated[User, Depends(require_roles("registrar", "settlement_officer", "auditor"))]


def merchant_out(m: Merchant) -> MerchantOut:
    return MerchantOut(
        id=m.id,
        status=m.status,
        business_name=m.business_name,
        kvk_number=m.kvk_number,
        iban=m.iban,
        bic=m.bic,
        street_address=m.street_address,
        postcode4=m.postcode4,
        category=m.category,
        address=m.address,
    )


@router.post("", status_code=201, response_model=MerchantOut, summary="Register a business (enrolment pending)")
def register(body: MerchantIn, request: Request, session: DbSession, settings: SettingsDep) -> MerchantOut:
    reg = participants.MerchantRegistration(**body.model_dump())
    client = request.client.host if request.client else "unknown"
    return merchant_out(participants.register_merchant(session, settings, reg, client))


@router.get("", response_model=Page[MerchantOut], summary="Merchants (registrar, settlement officer, auditor)")
def list_merchants(
    session: DbSession,
    _: Viewer,
    status: Annotated[str | None, Query(pattern="^(pending|active|rejected|suspended|erased)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[MerchantOut]:
    rows, total = participants.list_merchants(session, status, limit, offset)
    return Page(items=[merchant_out(m) for m in rows], total=total, limit=limit, offset=offset)


@router.get("/{merchant_id}", response_model=MerchantOut, summary="One merchant (its people, or officers)")
def get_merchant(merchant_id: MerchantId, session: DbSession, user: CurrentUser) -> MerchantOut:
    return merchant_out(participants.get_merchant(session, user, merchant_id))


@router.post(
    "/{merchant_id}/approve",
    response_model=MerchantOut,
    summary="Approve: custodial wallet + on-chain enrolment (registrar)",
)
def approve(merchant_id: MerchantId, session: DbSession, settings: SettingsDep, user: Registrar) -> MerchantOut:
    return merchant_out(participants.approve_merchant(session, settings, user, merchant_id))


@router.post("/{merchant_id}/reject", response_model=MerchantOut, summary="Refuse a registration (registrar)")
def reject(merchant_id: MerchantId, body: Decision, session: DbSession, user: Registrar) -> MerchantOut:
    return merchant_out(participants.reject_merchant(session, user, merchant_id, body.reason))


@router.post("/{merchant_id}/suspend", response_model=MerchantOut, summary="Suspend a merchant (registrar)")
def suspend(merchant_id: MerchantId, session: DbSession, user: Registrar) -> MerchantOut:
    return merchant_out(participants.suspend_merchant(session, user, merchant_id, True))


@router.post("/{merchant_id}/reinstate", response_model=MerchantOut, summary="Reinstate a merchant (registrar)")
def reinstate(merchant_id: MerchantId, session: DbSession, user: Registrar) -> MerchantOut:
    return merchant_out(participants.suspend_merchant(session, user, merchant_id, False))


@router.get("/{merchant_id}/staff", response_model=list[StaffOut], summary="The merchant's people (owner)")
def list_staff(merchant_id: MerchantId, session: DbSession, user: MerchantUser) -> list[StaffOut]:
    return [
        StaffOut(user_id=u.id, display_name=u.display_name, role=m.role, status=u.status)
        for m, u in participants.list_staff(session, user, merchant_id)
    ]


@router.post("/{merchant_id}/staff", status_code=201, response_model=StaffOut, summary="Add a staff login (owner)")
def add_staff(
    merchant_id: MerchantId, body: StaffIn, session: DbSession, settings: SettingsDep, user: MerchantUser
) -> StaffOut:
    staff = participants.add_staff(session, settings, user, merchant_id, body.email, body.password, body.display_name)
    return StaffOut(user_id=staff.id, display_name=staff.display_name, role="staff", status=staff.status)


@router.delete("/{merchant_id}/staff/{user_id}", status_code=204, summary="Remove a staff login (owner)")
def remove_staff(
    merchant_id: MerchantId, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: DbSession, user: MerchantUser
) -> Response:
    participants.remove_staff(session, user, merchant_id, user_id)
    return Response(status_code=204)
