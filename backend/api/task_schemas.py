# SPDX-License-Identifier: EUPL-1.2
"""Request and response bodies of the accounts, enrolment, task and wallet resources (issue 5).

Every text field refuses control characters (a NUL would be refused by PostgreSQL as a server error), every
number is bounded to what the columns hold, and unknown fields are refused."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from backend.api.schemas import Strict
from backend.models.participants import MerchantCategory
from backend.models.tasks import TaskCategory

MAX_ID = 2_147_483_647


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value) or "\x7f" in value:
        raise ValueError("control characters are not allowed")
    return value


Line = Annotated[str, AfterValidator(_printable)]
Postcode4 = Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$", examples=["6411"])]
Pin = Annotated[str, Field(pattern=r"^[0-9]{4,6}$")]
Password = Annotated[str, Field(min_length=10, max_length=256)]
Email = Annotated[Line, Field(min_length=3, max_length=254)]
Reason = Annotated[Line, Field(min_length=3, max_length=500)]
TaskCategoryName = Literal["litter", "greenery", "graffiti", "snow", "repair", "social", "other"]
MerchantCategoryName = Literal["groceries", "bakery", "cafe", "retail", "services", "culture", "other"]
assert set(TaskCategoryName.__args__) == set(TaskCategory.__members__)  # type: ignore[attr-defined]
assert set(MerchantCategoryName.__args__) == set(MerchantCategory.__members__)  # type: ignore[attr-defined]


# ── accounts ──


class SessionResponse(BaseModel):
    csrf_token: str
    expires_at: datetime
    user_id: int
    kind: str


class PinChange(Strict):
    password: Password
    pin: Pin


class Preferences(Strict):
    leaderboard_opt_in: bool


class EraseRequest(Strict):
    password: Password
    forfeit_balance: bool = False


# ── citizens ──


class CitizenIn(Strict):
    email: Email
    password: Password
    pin: Pin
    name: Annotated[Line, Field(min_length=1, max_length=120)]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 \-]{8,20}$")]
    postcode4: Postcode4
    birth_year: int = Field(ge=1900, le=2100)
    display_name: Annotated[Line, Field(max_length=40)] = ""
    leaderboard_opt_in: bool = False


class PersonalDataOut(BaseModel):
    name: str
    email: str
    phone: str
    postcode4: str
    birth_year: int


class CitizenOut(BaseModel):
    id: int
    user_id: int
    status: str
    postcode4: str
    address: str | None
    leaderboard_opt_in: bool
    created_at: datetime | None
    personal_data: PersonalDataOut | None = None


class Decision(Strict):
    reason: Reason


# ── merchants ──


class MerchantIn(Strict):
    email: Email
    password: Password
    display_name: Annotated[Line, Field(min_length=1, max_length=80)]
    business_name: Annotated[Line, Field(min_length=1, max_length=120)]
    kvk_number: Annotated[str, Field(pattern=r"^[0-9]{8}$")]
    iban: Annotated[str, Field(min_length=15, max_length=42, pattern=r"^[A-Za-z0-9 ]+$")]
    bic: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{8}([A-Za-z0-9]{3})?$")] | None = None
    street_address: Annotated[Line, Field(min_length=3, max_length=200)]
    postcode4: Postcode4
    category: MerchantCategoryName = "other"


class MerchantOut(BaseModel):
    id: int
    status: str
    business_name: str
    kvk_number: str
    iban: str
    bic: str
    street_address: str
    postcode4: str
    category: str
    address: str | None


class StaffIn(Strict):
    email: Email
    password: Password
    display_name: Annotated[Line, Field(min_length=1, max_length=80)]


class StaffOut(BaseModel):
    user_id: int
    display_name: str
    role: str
    status: str


# ── tasks ──


class TaskIn(Strict):
    title: Annotated[Line, Field(min_length=3, max_length=120)]
    description: Annotated[Line, Field(min_length=1, max_length=4000)]
    category: TaskCategoryName
    neighbourhood: Postcode4
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    reward_cents: int = Field(ge=1, le=100_000)
    estimated_minutes: int = Field(ge=1, le=8 * 60)
    slots: int = Field(ge=1, le=1000)
    claim_deadline: datetime
    claim_hours: int | None = Field(default=None, ge=1, le=24 * 14)
    kit_note: Annotated[Line, Field(max_length=500)] = ""
    extra_work: bool


class TaskOut(BaseModel):
    id: int
    title: str
    description: str
    category: str
    neighbourhood: str
    lat: float
    lon: float
    reward_cents: int
    estimated_minutes: int
    slots: int
    slots_left: int
    claim_deadline: datetime
    claim_hours: int
    kit_note: str
    extra_work: bool
    status: str
    distance_km: float | None = None


# ── claims ──


class ClaimOut(BaseModel):
    id: int
    task_id: int
    citizen_id: int
    status: str
    claimed_at: datetime
    expires_at: datetime
    note: str
    has_photo: bool
    photo_type: str | None
    photo_sha256: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    reject_reason: str | None
    reward_cents: int | None
    mint_status: str | None = None
    mint_error: str | None = None
    paid_tx_hash: str | None = None


class ApproveIn(Strict):
    pass


# ── wallet and gamification ──


class AllowanceOut(BaseModel):
    year: int
    cap_cents: int
    earned_cents: int
    pending_cents: int
    remaining_cents: int


class WalletOut(BaseModel):
    address: str | None
    balance_cents: int
    this_year: AllowanceOut


class MovementOut(BaseModel):
    at: datetime
    kind: str
    amount_cents: int
    description: str
    tx_hash: str


class BadgeOut(BaseModel):
    code: str
    title: str
    description: str


class StandingOut(BaseModel):
    display_name: str
    tasks: int
    is_you: bool


class NeighbourhoodOut(BaseModel):
    neighbourhood: str
    handyman_of_the_month: StandingOut
    top: list[StandingOut]


class LeaderboardOut(BaseModel):
    month: str
    neighbourhoods: list[NeighbourhoodOut]


# ── admin ──


class OfficerIn(Strict):
    email: Email
    password: Password
    display_name: Annotated[Line, Field(min_length=1, max_length=80)]
    roles: list[
        Literal[
            "task_manager",
            "approver",
            "registrar",
            "settlement_officer",
            "recovery_officer",
            "auditor",
            "pauser",
            "admin",
        ]
    ] = Field(min_length=1, max_length=8)


class RolesIn(Strict):
    roles: list[
        Literal[
            "task_manager",
            "approver",
            "registrar",
            "settlement_officer",
            "recovery_officer",
            "auditor",
            "pauser",
            "admin",
        ]
    ] = Field(max_length=8)


class OfficerOut(BaseModel):
    id: int
    display_name: str
    roles: list[str]
    status: str


class PolicyIn(Strict):
    hourly_max_cents: int | None = Field(default=None, ge=1, le=10_000)
    default_claim_hours: int | None = Field(default=None, ge=1, le=24 * 14)
    max_active_claims: int | None = Field(default=None, ge=1, le=50)
    max_photo_bytes: int | None = Field(default=None, ge=10_000, le=10 * 1024 * 1024)
    registrations_per_ip: int | None = Field(default=None, ge=1, le=100_000)
    default_yearly_cap_cents: int | None = Field(default=None, ge=1, le=10_000_000)
