# SPDX-License-Identifier: EUPL-1.2
"""Request and response bodies of the money side (payments, payouts, settlement, recovery, pause).
Amounts are integer cents; strict: unknown fields are refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, Field

from backend.api.schemas import Strict

MAX_ID = 2_147_483_647  # ids are SQL INTEGER: anything larger cannot exist (and must not reach the driver)
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


class PaymentRequestCreate(Strict):
    amount: int = Field(ge=1, le=100_000, description="cents")
    description: str = Field(default="", max_length=140)
    ttl_seconds: int | None = Field(default=None, ge=30, le=86_400)


class PaymentSummary(BaseModel):
    id: int
    status: str
    amount: int
    tx_hash: str | None = None


class PaymentRequestOut(BaseModel):
    code: str
    status: str  # open | paying | paid | expired | cancelled
    amount: int
    description: str
    merchant_name: str
    expires_at: datetime
    created_at: datetime
    paid_at: datetime | None = None
    pay_url: str
    qr_svg_url: str
    payment: PaymentSummary | None = None


class PayBody(Strict):
    pin: str = Field(min_length=4, max_length=6, pattern=r"^[0-9]+$")


class PaymentOut(BaseModel):
    id: int
    request_code: str | None = None
    status: str  # pending | confirmed | failed
    amount: int
    refunded: int = 0
    created_at: datetime
    confirmed_at: datetime | None = None
    tx_hash: str | None = None


class RefundBody(Strict):
    amount: int = Field(ge=1, le=100_000)
    reason: str = Field(default="", max_length=140)


class RefundOut(BaseModel):
    id: int
    payment_id: int
    amount: int
    status: str
    created_at: datetime


class PayoutCreate(Strict):
    amount: int = Field(ge=1, le=10_000_000)


class PayoutOut(BaseModel):
    id: str  # the payout id: SEPA EndToEndId, bytes32 on-chain
    merchant_id: int
    amount: int
    status: str
    batch_id: int | None = None
    bank_reference: str | None = None
    reject_reason: str | None = None
    created_at: datetime
    escrowed_at: datetime | None = None
    finished_at: datetime | None = None


class BatchCreate(Strict):
    execution_date: date


class BatchLine(BaseModel):
    payout: str
    merchant_id: int
    creditor_name: str
    creditor_iban: str
    amount: int
    status: str


class BatchOut(BaseModel):
    id: int
    message_id: str
    execution_date: date
    status: str
    total: int
    line_count: int
    created_by: int
    approved_by: int | None = None
    bank_reference: str | None = None
    confirmed_total: int | None = None
    lines: list[BatchLine] = []


class FailedLineIn(Strict):
    payout: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=35)


class BatchConfirm(Strict):
    bank_reference: str = Field(min_length=1, max_length=35)
    failed: list[FailedLineIn] = Field(default_factory=list, max_length=5_000)


class LineReject(Strict):
    reason: str = Field(min_length=1, max_length=35)


class RecoveryCreate(Strict):
    citizen_id: int = Field(ge=1, le=MAX_ID)
    reason: str = Field(default="", max_length=200)


class RecoveryOut(BaseModel):
    id: int
    citizen_id: int
    lost_address: str
    replacement_address: str
    status: str
    requested_by: int
    decided_by: int | None = None
    requested_at: datetime
    completed_at: datetime | None = None


class PauseBody(Strict):
    reason: str = Field(default="", max_length=200)


class LedgerStatusOut(BaseModel):
    paused: bool
    reason: str
    since: datetime | None = None
    chain_paused: bool
    banner: str | None = None


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor_id: int | None
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, object]
    hash: str
    prev_hash: str


class AuditVerifyOut(BaseModel):
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str = ""
