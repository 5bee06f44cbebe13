# SPDX-License-Identifier: EUPL-1.2
"""Enrolment of citizens and merchants, suspension, merchant staff, and GDPR export and erasure.

Approval creates the custodial key and queues the on-chain enrolment in the same transaction (outbox), so
an approval is enrolled on-chain if and only if it was committed. Personal data is sealed under its own
data key; erasure destroys that key and the custodial key (crypto-shredding).
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import keystore
from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.models.accounts import PersonalData, User, UserKind, UserStatus
from backend.models.participants import Citizen, Merchant, MerchantCategory, MerchantMember, ParticipantStatus
from backend.models.tasks import Claim, ClaimStatus
from backend.relayer import outbox
from backend.security import open_personal_data, seal_personal_data, verify_secret
from backend.services import accounts, audit, policy, ratelimit, uploads
from backend.services.rows import lock
from heitje.settings import Settings

log = logging.getLogger(__name__)

REGISTRATION_WINDOW_S = 600
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,24}$")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")


def _now() -> datetime:
    return datetime.now(UTC)


def _master(settings: Settings) -> str:
    return settings.master_key.get_secret_value()


def validate_email(email: str) -> str:
    if not EMAIL.match(email):
        raise ValidationFailed("not a valid e-mail address", field="email")
    return email.strip().lower()


def validate_postcode4(postcode4: str) -> str:
    if not (len(postcode4) == 4 and postcode4.isascii() and postcode4.isdigit() and postcode4[0] != "0"):
        raise ValidationFailed("a Dutch postcode area is 4 digits, 1000–9999", field="postcode4")
    return postcode4


def new_user(session: Session, settings: Settings, **fields: Any) -> User:
    """`accounts.create_user`, also when a concurrent request takes the same login between its check and
    its insert (the unique index decides): that is a 409, not a server error."""
    try:
        with session.begin_nested():
            return accounts.create_user(session, settings, **fields)
    except IntegrityError as exc:
        raise Conflict("an account with this login already exists") from exc


def _limit_registrations(session: Session, client: str) -> None:
    limit = policy.get(session, "registrations_per_ip")
    ratelimit.hit(session, f"register-ip:{client}", limit, REGISTRATION_WINDOW_S)


def new_citizen_id() -> str:
    """A random, pseudonymous bytes32: it links nothing on-chain to the person."""
    return "0x" + secrets.token_bytes(32).hex()


# ───────────────────────────── citizens ─────────────────────────────


@dataclass(frozen=True)
class CitizenRegistration:
    email: str
    password: str
    pin: str
    name: str
    phone: str
    postcode4: str
    birth_year: int
    display_name: str
    leaderboard_opt_in: bool = False


def register_citizen(session: Session, settings: Settings, reg: CitizenRegistration, client: str) -> Citizen:
    _limit_registrations(session, client)
    email = validate_email(reg.email)
    if not PHONE.match(reg.phone.replace(" ", "").replace("-", "")):
        raise ValidationFailed("a phone number is 8 to 15 digits, optionally starting with +", field="phone")
    validate_postcode4(reg.postcode4)
    this_year = _now().year
    if not this_year - 110 <= reg.birth_year <= this_year - 14:
        raise ValidationFailed("birth year out of range (citizens are at least 14)", field="birth_year")
    user = new_user(
        session,
        settings,
        kind=UserKind.citizen,
        login=email,
        password=reg.password,
        pin=reg.pin,
        display_name=reg.display_name or reg.name.split(" ")[0],
    )
    wrapped, ciphertext = seal_personal_data(
        _master(settings),
        {
            "name": reg.name,
            "email": email,
            "phone": reg.phone,
            "postcode4": reg.postcode4,
            "birth_year": reg.birth_year,
        },
    )
    pd = PersonalData(wrapped_key=wrapped, ciphertext=ciphertext)
    session.add(pd)
    session.flush()
    citizen = Citizen(
        user_id=user.id,
        status=ParticipantStatus.pending,
        citizen_id=new_citizen_id(),
        personal_data_id=pd.id,
        postcode4=reg.postcode4,
        leaderboard_opt_in=reg.leaderboard_opt_in,
    )
    session.add(citizen)
    session.flush()
    log.info("citizen %s registered (user %s)", citizen.id, user.id)
    return citizen


def citizen_of(session: Session, user: User) -> Citizen:
    citizen = session.scalar(select(Citizen).where(Citizen.user_id == user.id))
    if citizen is None:
        raise NotFound("no citizen profile for this account")
    return citizen


def _lock_citizen(session: Session, citizen_id: int) -> Citizen:
    return lock(session, Citizen, citizen_id, "no such citizen")


def get_citizen(session: Session, viewer: User, citizen_id: int) -> Citizen:
    citizen = session.get(Citizen, citizen_id)
    if citizen is None or not (citizen.user_id == viewer.id or viewer.has_role("registrar", "auditor")):
        raise NotFound("no such citizen")
    return citizen


def citizen_personal_data(session: Session, settings: Settings, citizen: Citizen) -> dict[str, Any] | None:
    pd = session.get(PersonalData, citizen.personal_data_id)
    if pd is None or pd.wrapped_key is None:
        return None
    return open_personal_data(_master(settings), pd.wrapped_key, pd.ciphertext)


def approve_citizen(session: Session, settings: Settings, actor: User, citizen_id: int) -> Citizen:
    citizen = _lock_citizen(session, citizen_id)
    if citizen.status != ParticipantStatus.pending:
        raise Conflict(f"the registration is {citizen.status}, not pending")
    address = keystore.create_account(session, "citizen", master=settings.master_key)
    citizen.address = address.lower()
    citizen.status = ParticipantStatus.active
    citizen.decided_at, citizen.decided_by = _now(), actor.id
    outbox.enqueue(
        session,
        business_key=f"enrol:citizen:{citizen.id}",
        action="enrolCitizen",
        args={"account": address, "citizenId": citizen.citizen_id},
    )
    audit.append(session, actor_id=actor.id, action="citizen.approve", subject_type="citizen", subject_id=citizen.id)
    return citizen


def reject_citizen(session: Session, actor: User, citizen_id: int, reason: str) -> Citizen:
    citizen = _lock_citizen(session, citizen_id)
    if citizen.status != ParticipantStatus.pending:
        raise Conflict(f"the registration is {citizen.status}, not pending")
    citizen.status = ParticipantStatus.rejected
    citizen.decided_at, citizen.decided_by = _now(), actor.id
    audit.append(
        session,
        actor_id=actor.id,
        action="citizen.reject",
        subject_type="citizen",
        subject_id=citizen.id,
        details={"reason": reason},
    )
    return citizen


def _set_suspended(session: Session, actor: User, kind: str, row: Citizen | Merchant, suspend: bool) -> None:
    want_from = ParticipantStatus.active if suspend else ParticipantStatus.suspended
    if row.status != want_from or row.address is None:
        raise Conflict(
            f"the {kind} is {row.status}; only an {want_from} {kind} can be {'suspended' if suspend else 'reinstated'}"
        )
    row.status = ParticipantStatus.suspended if suspend else ParticipantStatus.active
    verb = "suspend" if suspend else "reinstate"
    entry = audit.append(session, actor_id=actor.id, action=f"{kind}.{verb}", subject_type=kind, subject_id=row.id)
    # The audit sequence number makes each suspension/reinstatement its own business key.
    outbox.enqueue(
        session, business_key=f"{kind}:{row.id}:{verb}:{entry.seq}", action=verb, args={"account": row.address}
    )


def suspend_citizen(session: Session, actor: User, citizen_id: int, suspend: bool) -> Citizen:
    citizen = _lock_citizen(session, citizen_id)
    _set_suspended(session, actor, "citizen", citizen, suspend)
    return citizen


def list_citizens(session: Session, status: str | None, limit: int, offset: int) -> tuple[list[Citizen], int]:
    where = [Citizen.status == status] if status else []
    total = session.scalar(select(func.count()).select_from(Citizen).where(*where)) or 0
    rows = session.scalars(select(Citizen).where(*where).order_by(Citizen.id).limit(limit).offset(offset))
    return list(rows), int(total)


# ───────────────────────────── merchants ─────────────────────────────


@dataclass(frozen=True)
class MerchantRegistration:
    email: str
    password: str
    display_name: str
    business_name: str
    kvk_number: str
    iban: str
    bic: str | None
    street_address: str
    postcode4: str
    category: str


def normalise_iban(iban: str, bic: str | None) -> tuple[str, str]:
    try:
        parsed = IBAN(iban)
    except SchwiftyException as exc:
        raise ValidationFailed(f"not a valid IBAN: {exc}", field="iban") from exc
    if bic:
        try:
            bic_value = str(BIC(bic))
        except SchwiftyException as exc:
            raise ValidationFailed(f"not a valid BIC: {exc}", field="bic") from exc
    else:
        derived = parsed.bic
        if derived is None:
            raise ValidationFailed("give the BIC: it cannot be derived from this IBAN", field="bic")
        bic_value = str(derived)
    return parsed.compact, bic_value


def register_merchant(session: Session, settings: Settings, reg: MerchantRegistration, client: str) -> Merchant:
    _limit_registrations(session, client)
    email = validate_email(reg.email)
    if not (len(reg.kvk_number) == 8 and reg.kvk_number.isascii() and reg.kvk_number.isdigit()):
        raise ValidationFailed("a KvK number is 8 digits", field="kvk_number")
    validate_postcode4(reg.postcode4)
    if reg.category not in MerchantCategory.__members__:
        raise ValidationFailed(f"category must be one of {sorted(MerchantCategory.__members__)}", field="category")
    iban, bic = normalise_iban(reg.iban, reg.bic)
    user = new_user(
        session, settings, kind=UserKind.merchant, login=email, password=reg.password, display_name=reg.display_name
    )
    merchant = Merchant(
        owner_user_id=user.id,
        status=ParticipantStatus.pending,
        business_name=reg.business_name,
        kvk_number=reg.kvk_number,
        iban=iban,
        bic=bic,
        street_address=reg.street_address,
        postcode4=reg.postcode4,
        category=reg.category,
    )
    session.add(merchant)
    session.flush()
    session.add(MerchantMember(merchant_id=merchant.id, user_id=user.id, role="owner"))
    session.flush()
    return merchant


def membership(session: Session, user: User) -> MerchantMember | None:
    return session.scalar(select(MerchantMember).where(MerchantMember.user_id == user.id))


def get_merchant(session: Session, viewer: User, merchant_id: int) -> Merchant:
    merchant = session.get(Merchant, merchant_id)
    member = membership(session, viewer)
    allowed = (member is not None and member.merchant_id == merchant_id) or viewer.has_role(
        "registrar", "settlement_officer", "auditor"
    )
    if merchant is None or not allowed:
        raise NotFound("no such merchant")
    return merchant


def _lock_merchant(session: Session, merchant_id: int) -> Merchant:
    return lock(session, Merchant, merchant_id, "no such merchant")


def approve_merchant(session: Session, settings: Settings, actor: User, merchant_id: int) -> Merchant:
    merchant = _lock_merchant(session, merchant_id)
    if merchant.status != ParticipantStatus.pending:
        raise Conflict(f"the registration is {merchant.status}, not pending")
    address = keystore.create_account(session, "merchant", master=settings.master_key)
    merchant.address = address.lower()
    merchant.status = ParticipantStatus.active
    merchant.decided_at, merchant.decided_by = _now(), actor.id
    outbox.enqueue(
        session, business_key=f"enrol:merchant:{merchant.id}", action="enrolMerchant", args={"account": address}
    )
    audit.append(session, actor_id=actor.id, action="merchant.approve", subject_type="merchant", subject_id=merchant.id)
    return merchant


def reject_merchant(session: Session, actor: User, merchant_id: int, reason: str) -> Merchant:
    merchant = _lock_merchant(session, merchant_id)
    if merchant.status != ParticipantStatus.pending:
        raise Conflict(f"the registration is {merchant.status}, not pending")
    merchant.status = ParticipantStatus.rejected
    merchant.decided_at, merchant.decided_by = _now(), actor.id
    audit.append(
        session,
        actor_id=actor.id,
        action="merchant.reject",
        subject_type="merchant",
        subject_id=merchant.id,
        details={"reason": reason},
    )
    return merchant


def suspend_merchant(session: Session, actor: User, merchant_id: int, suspend: bool) -> Merchant:
    merchant = _lock_merchant(session, merchant_id)
    _set_suspended(session, actor, "merchant", merchant, suspend)
    return merchant


def list_merchants(session: Session, status: str | None, limit: int, offset: int) -> tuple[list[Merchant], int]:
    where = [Merchant.status == status] if status else []
    total = session.scalar(select(func.count()).select_from(Merchant).where(*where)) or 0
    rows = session.scalars(select(Merchant).where(*where).order_by(Merchant.id).limit(limit).offset(offset))
    return list(rows), int(total)


def _owner_of(session: Session, user: User, merchant_id: int) -> Merchant:
    member = membership(session, user)
    if member is None or member.merchant_id != merchant_id:
        raise NotFound("no such merchant")
    if member.role != "owner":
        raise Forbidden("only the owner manages staff")
    merchant = session.get(Merchant, merchant_id)
    assert merchant is not None
    return merchant


def add_staff(
    session: Session, settings: Settings, owner: User, merchant_id: int, email: str, password: str, display_name: str
) -> User:
    _owner_of(session, owner, merchant_id)
    user = new_user(
        session,
        settings,
        kind=UserKind.merchant,
        login=validate_email(email),
        password=password,
        display_name=display_name,
    )
    session.add(MerchantMember(merchant_id=merchant_id, user_id=user.id, role="staff"))
    session.flush()
    return user


def list_staff(session: Session, owner: User, merchant_id: int) -> list[tuple[MerchantMember, User]]:
    _owner_of(session, owner, merchant_id)
    rows = session.execute(
        select(MerchantMember, User)
        .join(User, User.id == MerchantMember.user_id)
        .where(MerchantMember.merchant_id == merchant_id)
        .order_by(MerchantMember.id)
    ).all()
    return [(m, u) for m, u in rows]


def remove_staff(session: Session, owner: User, merchant_id: int, user_id: int) -> None:
    _owner_of(session, owner, merchant_id)
    member = session.scalar(
        select(MerchantMember).where(MerchantMember.merchant_id == merchant_id, MerchantMember.user_id == user_id)
    )
    if member is None or member.role != "staff":
        raise NotFound("no such staff member")
    user = session.get(User, user_id)
    assert user is not None
    user.status = UserStatus.disabled
    accounts.revoke_all_tokens(session, user)
    session.delete(member)


# ───────────────────────────── GDPR ─────────────────────────────


PASSWORD_CHECKS_PER_WINDOW = 5
PASSWORD_CHECK_WINDOW_S = 900


def confirm_password(session: Session, user: User, password: str) -> None:
    """Re-authentication for sensitive self-service (PIN change, erasure): rate-limited per account, and a
    failed attempt is committed before raising so that it still counts after the request's rollback."""
    ratelimit.hit(session, f"password-check:{user.id}", PASSWORD_CHECKS_PER_WINDOW, PASSWORD_CHECK_WINDOW_S)
    if not verify_secret(user.password_hash, password):
        session.commit()
        raise Forbidden("the password is wrong")


def export(session: Session, settings: Settings, user: User) -> dict[str, Any]:
    """Everything the platform holds about the caller, decrypted for them alone."""
    data: dict[str, Any] = {
        "account": {
            "id": user.id,
            "kind": user.kind,
            "display_name": user.display_name,
            "roles": list(user.roles),
            "locale": user.locale,
            "created_at": user.created_at.isoformat() if user.created_at else None,
        },
    }
    citizen = session.scalar(select(Citizen).where(Citizen.user_id == user.id))
    if citizen is not None:
        data["citizen"] = {
            "id": citizen.id,
            "status": citizen.status,
            "citizen_id": citizen.citizen_id,
            "wallet_address": citizen.address,
            "postcode4": citizen.postcode4,
            "leaderboard_opt_in": citizen.leaderboard_opt_in,
            "personal_data": citizen_personal_data(session, settings, citizen),
        }
        claims = session.scalars(select(Claim).where(Claim.citizen_id == citizen.id).order_by(Claim.id))
        data["claims"] = [
            {
                "id": c.id,
                "task_id": c.task_id,
                "status": c.status,
                "claimed_at": c.claimed_at.isoformat(),
                "note": c.note,
                "photo_sha256": c.photo_sha256,
                "reward_cents": c.reward_cents,
                "reject_reason": c.reject_reason,
            }
            for c in claims
        ]
    member = membership(session, user)
    if member is not None:
        merchant = session.get(Merchant, member.merchant_id)
        assert merchant is not None
        data["merchant"] = {
            "id": merchant.id,
            "role": member.role,
            "business_name": merchant.business_name,
            "kvk_number": merchant.kvk_number,
            "iban": merchant.iban,
            "status": merchant.status,
        }
    return data


def erase(
    session: Session, settings: Settings, user: User, password: str, forfeit_balance: bool, balance_of: Any = None
) -> None:
    """GDPR erasure of the caller: personal data and custodial key destroyed, account closed.

    On-chain history stays, linked only to a random citizenId that nothing links back any more.
    """
    confirm_password(session, user, password)
    if user.kind == UserKind.officer:
        raise Conflict("officer accounts are closed by an admin (their actions stay attributable in the audit log)")
    member = membership(session, user)
    if member is not None and member.role == "owner":
        raise Conflict("a merchant owner's account is closed through the municipality (bookkeeping duties)")
    citizen = session.scalar(select(Citizen).where(Citizen.user_id == user.id))
    if citizen is not None:
        # Claims first, then the citizen: the same lock order as an approval.
        open_claims = list(
            session.scalars(select(Claim).where(Claim.citizen_id == citizen.id).order_by(Claim.id).with_for_update())
        )
        citizen = _lock_citizen(session, citizen.id)
        if citizen.address and balance_of is not None and not forfeit_balance:
            balance = int(balance_of(session, citizen.address))
            if balance > 0:
                raise Conflict(
                    f"the wallet still holds {balance / 100:.2f} Heitjes; spend them first or confirm that they "
                    "are forfeited (forfeit_balance)",
                    balance_cents=balance,
                )
        for claim in open_claims:
            if claim.status in (ClaimStatus.claimed, ClaimStatus.submitted):
                claim.status = ClaimStatus.withdrawn
            if claim.photo_sha256:
                digest, claim.photo_sha256 = claim.photo_sha256, None
                session.flush()
                uploads.delete_if_unused(session, settings, digest)
            claim.note = ""
        pd = session.get(PersonalData, citizen.personal_data_id)
        if pd is not None:
            pd.wrapped_key, pd.ciphertext, pd.erased_at = None, None, _now()
        if citizen.address:
            if citizen.status == ParticipantStatus.active:
                outbox.enqueue(
                    session,
                    business_key=f"citizen:{citizen.id}:erase",
                    action="suspend",
                    args={"account": citizen.address},
                )
            keystore.shred(session, citizen.address)
        citizen.status = ParticipantStatus.erased
        citizen.leaderboard_opt_in = False
        audit.append(session, actor_id=user.id, action="citizen.erase", subject_type="citizen", subject_id=citizen.id)
    if member is not None:
        session.delete(member)
    user.status = UserStatus.erased
    user.login_hash = "erased-" + secrets.token_hex(16)
    user.password_hash = "!"
    user.pin_hash = None
    user.display_name = ""
    user.roles = []
    accounts.revoke_all_tokens(session, user)
