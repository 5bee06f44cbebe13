# SPDX-License-Identifier: EUPL-1.2
"""Settlement batches: build, approve (four-eyes), download the SEPA file, confirm with the bank reference."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from backend.api.deps import DbSession, SettingsDep, require_roles
from backend.api.money_schemas import (
    BatchConfirm,
    BatchCreate,
    BatchLine,
    BatchOut,
    IdPath,
    LineReject,
    Offset,
    PayoutOut,
)
from backend.api.routers.payouts import payout_out
from backend.api.schemas import Page
from backend.models.accounts import User
from backend.models.money import SettlementBatch
from backend.services import settlement

router = APIRouter(prefix="/api/v1/settlement-batches", tags=["settlement"])
Settler = Annotated[User, Depends(require_roles("settlement_officer"))]
Reader = Annotated[User, Depends(require_roles("settlement_officer", "auditor"))]


def batch_out(session: DbSession, b: SettlementBatch, with_lines: bool = True) -> BatchOut:
    lines = (
        [BatchLine(payout=p.public_id, merchant_id=p.merchant_id, creditor_name=p.creditor_name,
                   creditor_iban=p.creditor_iban, amount=p.amount, status=p.status)
         for p in settlement.batch_lines(session, b.id)]
        if with_lines else []
    )  # fmt: skip
    return BatchOut(id=b.id, message_id=b.message_id, execution_date=b.execution_date, status=b.status, total=b.total,
                    line_count=b.line_count, created_by=b.created_by, approved_by=b.approved_by,
                    bank_reference=b.bank_reference, confirmed_total=b.confirmed_total, lines=lines)  # fmt: skip


@router.post("", status_code=201, response_model=BatchOut,
             summary="Build a batch of every escrowed payout for an execution date (settlement officer)")  # fmt: skip
def create_batch(body: BatchCreate, user: Settler, session: DbSession, settings: SettingsDep) -> BatchOut:
    return batch_out(session, settlement.create_batch(session, settings, user, body.execution_date))


@router.get("", response_model=Page[BatchOut], summary="Settlement batches, newest first")
def list_batches(
    user: Reader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[BatchOut]:
    rows, total = settlement.list_batches(session, limit, offset)
    return Page(items=[batch_out(session, b, False) for b in rows], total=total, limit=limit, offset=offset)


@router.get("/{batch_id}", response_model=BatchOut, summary="A batch with its lines")
def get_batch(batch_id: IdPath, user: Reader, session: DbSession) -> BatchOut:
    return batch_out(session, settlement.get_batch(session, batch_id))


@router.post("/{batch_id}/approve", response_model=BatchOut,
             summary="Second officer's approval of a batch over the four-eyes threshold")  # fmt: skip
def approve_batch(batch_id: IdPath, user: Settler, session: DbSession) -> BatchOut:
    return batch_out(session, settlement.approve_batch(session, user, batch_id))


@router.get("/{batch_id}/sepa.xml", response_class=Response,
            responses={200: {"content": {"application/xml": {}}}},
            summary="The SEPA credit-transfer file (pain.001.001.03), validated against its XSD")  # fmt: skip
def sepa_file(batch_id: IdPath, user: Settler, session: DbSession, settings: SettingsDep) -> Response:
    xml = settlement.sepa_xml(session, settings, batch_id)
    return Response(xml, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="heitje-batch-{batch_id}.xml"'})  # fmt: skip


@router.post("/{batch_id}/confirm", response_model=BatchOut,
             summary="The bank executed the batch: settle (burn) every line, reject the failed ones")  # fmt: skip
def confirm_batch(batch_id: IdPath, body: BatchConfirm, user: Settler, session: DbSession) -> BatchOut:
    failed = [settlement.FailedLine(f.payout, f.reason) for f in body.failed]
    return batch_out(session, settlement.confirm_batch(session, user, batch_id, body.bank_reference, failed))


@router.post("/{batch_id}/lines/{payout}/reject", response_model=PayoutOut,
             summary="Take a line out of an unconfirmed batch; its tokens go back to the merchant")  # fmt: skip
def reject_line(batch_id: IdPath, payout: str, body: LineReject, user: Settler, session: DbSession) -> PayoutOut:
    return payout_out(settlement.reject_line(session, user, batch_id, payout, body.reason))
