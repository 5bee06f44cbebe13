# SPDX-License-Identifier: EUPL-1.2
"""Fixtures for the money side: enrolled citizens and merchants with custodial keys, officers per role, and a
`FakeLedger` that plays relayer + chain + indexer for the API tests (a Python model of the contract's
movement rules, written into the indexer's tables and passed through the real page hook). The end-to-end
and property tests use the real anvil, relayer and indexer instead."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from argon2 import PasswordHasher
from eth_utils import to_checksum_address
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend import keystore
from backend.api.app import create_app
from backend.indexer_hooks import on_page_committed
from backend.ledger import Ledger
from backend.models.accounts import OfficerRole, PersonalData, UserKind
from backend.models.participants import Citizen, Merchant, MerchantMember
from backend.relayer.models import Intent
from heitje.settings import Settings
from indexer.decode import Event
from indexer.models import IdxBalance, IdxContractState, IdxRedemption, IdxSupply
from tests.api.conftest import PIN, Actor, make_actor

CONTRACT = to_checksum_address("0x" + "5e" * 20)
FAKE_LEDGER = Ledger(chain_id=31337, address=CONTRACT, deployment_block=0, rpc_url="http://127.0.0.1:1")
ESCROW = CONTRACT.lower()
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters in these tests (the library defaults cost ~0.5 s a hash on this machine);
    production keeps the defaults. Hashing and verification themselves are unchanged."""
    import backend.security

    monkeypatch.setattr(backend.security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def money_settings(migrated: Settings) -> Settings:
    return migrated.model_copy(update={"four_eyes_threshold_cents": 50_000})


@pytest.fixture
def app_client(money_settings: Settings) -> Iterator[TestClient]:
    app = create_app(money_settings)
    app.state.ledger = FAKE_LEDGER
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@dataclass
class Person:
    actor: Actor
    row_id: int  # citizens.id or merchants.id
    address: str  # lowercase

    @property
    def headers(self) -> dict[str, str]:
        return self.actor.headers


def enrol_citizen(db: sessionmaker[Session], settings: Settings, login: str, postcode4: str = "6411") -> Person:
    actor = make_actor(db, settings, UserKind.citizen, login, pin=PIN)
    with db() as s, s.begin():
        pd = PersonalData(wrapped_key=None, ciphertext=None)
        s.add(pd)
        s.flush()
        address = keystore.create_account(s, "citizen").lower()
        c = Citizen(user_id=actor.user_id, status="active", citizen_id="0x" + secrets.token_hex(32), address=address,
                    personal_data_id=pd.id, postcode4=postcode4)  # fmt: skip
        s.add(c)
        s.flush()
        return Person(actor, c.id, address)


def enrol_merchant(db: sessionmaker[Session], settings: Settings, login: str, category: str = "bakery",
                   staff_login: str | None = None) -> tuple[Person, Person | None]:  # fmt: skip
    owner = make_actor(db, settings, UserKind.merchant, login)
    staff = make_actor(db, settings, UserKind.merchant, staff_login) if staff_login else None
    with db() as s, s.begin():
        address = keystore.create_account(s, "merchant").lower()
        m = Merchant(owner_user_id=owner.user_id, status="active", business_name=f"Winkel {login.split('@')[0]}",
                     kvk_number="12345678", iban="NL91ABNA0417164300", bic="ABNANL2A", street_address="Markt 1",
                     postcode4="6411", category=category, address=address)  # fmt: skip
        s.add(m)
        s.flush()
        s.add(MerchantMember(merchant_id=m.id, user_id=owner.user_id, role="owner"))
        if staff:
            s.add(MerchantMember(merchant_id=m.id, user_id=staff.user_id, role="staff"))
        return Person(owner, m.id, address), (Person(staff, m.id, address) if staff else None)


@dataclass
class FakeLedger:
    """Mines every queued intent (in order) under the contract's rules and indexes the result through the
    real backend page hook, in one transaction — as the relayer and the indexer would."""

    db: sessionmaker[Session]
    citizens: set[str] = field(default_factory=set)
    block: int = 100
    paused: bool = False

    def _balance(self, s: Session, address: str) -> IdxBalance:
        row = s.get(IdxBalance, address)
        if row is None:
            row = IdxBalance(address=address, balance=0, transfers=0)
            s.add(row)
            s.flush()
        return row

    def _supply(self, s: Session) -> IdxSupply:
        row = s.get(IdxSupply, 1)
        if row is None:
            row = IdxSupply(id=1, minted=0, burned=0, escrow=0, outstanding=0)
            s.add(row)
            s.flush()
        return row

    def _state(self, s: Session) -> IdxContractState:
        row = s.get(IdxContractState, 1)
        if row is None:
            row = IdxContractState(id=1, paused=False, yearly_cap=150_000)
            s.add(row)
            s.flush()
        return row

    def _move(self, s: Session, frm: str, to: str, value: int) -> bool:
        src = self._balance(s, frm)
        if src.balance < value:
            return False
        src.balance -= value
        dst = self._balance(s, to)
        dst.balance += value
        return True

    def fund(self, address: str, cents: int) -> None:
        with self.db() as s, s.begin():
            self._balance(s, address).balance += cents
            sup = self._supply(s)
            sup.minted += cents
            sup.outstanding += cents
            self._state(s)

    def balance(self, address: str) -> int:
        with self.db() as s:
            row = s.get(IdxBalance, address.lower())
            return int(row.balance) if row else 0

    def supply(self) -> IdxSupply:
        with self.db() as s:
            return self._supply(s)

    def process(self, fail: set[str] | None = None) -> list[Event]:
        """Mine all queued intents; those whose business key is in `fail` revert (intent failed)."""
        events: list[Event] = []
        with self.db() as s, s.begin():
            self._state(s)
            for it in s.scalars(select(Intent).where(Intent.status == "queued").order_by(Intent.id)):
                self.block += 1
                ev = None if fail and it.business_key in fail else self._apply(s, it.action, it.args)
                it.status = "mined" if ev is not None or it.action in ("pause", "unpause") else "failed"
                if ev is not None:
                    events.append(ev)
            s.flush()
            on_page_committed(s, events)
        return events

    def _event(self, name: str, args: dict[str, Any]) -> Event:
        n = next(_seq)
        return Event(name=name, block_number=self.block, log_index=0, tx_hash="0x" + f"{n:064x}", tx_index=0,
                     block_hash="0x" + f"{self.block:064x}", topics=[], data="0x", args=args,
                     block_time=datetime.now(UTC))  # fmt: skip

    def _apply(self, s: Session, action: str, a: dict[str, Any]) -> Event | None:
        if action in ("pause", "unpause"):
            self.paused = action == "pause"
            self._state(s).paused = self.paused
            return self._event("Paused" if self.paused else "Unpaused", {"account": "0x" + "00" * 20})
        if self.paused:
            return None
        sup = self._supply(s)
        if action == "transferWithAuthorization":
            frm, to, value = a["from"].lower(), a["to"].lower(), int(a["value"])
            if not self._move(s, frm, to, value):
                return None
            if frm in self.citizens:
                args = {"citizen": frm, "merchant": to, "paymentRef": a["paymentRef"], "amount": value,
                        "nonce": int(a["nonce"])}  # fmt: skip
                return self._event("PaymentMade", args)
            args = {"merchant": frm, "citizen": to, "paymentRef": a["paymentRef"], "amount": value,
                    "nonce": int(a["nonce"])}  # fmt: skip
            return self._event("RefundMade", args)
        if action == "requestRedemptionWithAuthorization":
            m, value = a["merchant"].lower(), int(a["value"])
            if s.get(IdxRedemption, a["payoutId"]) is not None or not self._move(s, m, ESCROW, value):
                return None
            sup.escrow += value
            s.add(IdxRedemption(payout_id=a["payoutId"], merchant=m, amount=value, status="requested",
                                requested_block=self.block, requested_time=datetime.now(UTC),
                                requested_tx_hash="0x" + "ab" * 32))  # fmt: skip
            return self._event("RedemptionRequested", {"payoutId": a["payoutId"], "merchant": m, "amount": value})
        if action in ("settleRedemption", "rejectRedemption"):
            red = s.get(IdxRedemption, a["payoutId"])
            if red is None or red.status != "requested":
                return None
            sup.escrow -= red.amount
            if action == "settleRedemption":
                self._balance(s, ESCROW).balance -= red.amount
                sup.burned += red.amount
                sup.outstanding -= red.amount
                red.status, red.bank_reference, red.settled_time = "settled", a["bankReference"], datetime.now(UTC)
                args = {"payoutId": a["payoutId"], "merchant": red.merchant, "amount": red.amount,
                        "bankReference": a["bankReference"]}  # fmt: skip
                return self._event("RedemptionSettled", args)
            self._move(s, ESCROW, red.merchant, red.amount)
            red.status, red.reason = "rejected", a["reason"]
            return self._event("RedemptionRejected", {"payoutId": a["payoutId"], "merchant": red.merchant,
                                                      "amount": red.amount, "reason": a["reason"]})  # fmt: skip
        if action == "recoverAccount":
            lost, repl = a["lost"].lower(), a["replacement"].lower()
            amount = self._balance(s, lost).balance
            self._move(s, lost, repl, amount)
            if lost in self.citizens:
                self.citizens.add(repl)
            return self._event("AccountRecovered", {"lost": lost, "replacement": repl, "amount": amount})
        raise AssertionError(f"unexpected action {action}")


@dataclass
class World:
    client: TestClient
    db: sessionmaker[Session]
    settings: Settings
    ledger: FakeLedger
    anna: Person
    bob: Person
    shop: Person
    staff: Person
    shop2: Person
    officers: dict[str, Actor]


@pytest.fixture
def world(app_client: TestClient, db: sessionmaker[Session], money_settings: Settings) -> World:
    anna = enrol_citizen(db, money_settings, "anna@example.nl")
    bob = enrol_citizen(db, money_settings, "bob@example.nl", postcode4="6412")
    shop, staff = enrol_merchant(db, money_settings, "bakker@example.nl", staff_login="hulp@example.nl")
    assert staff is not None
    shop2, _ = enrol_merchant(db, money_settings, "cafe@example.nl", category="cafe")
    roles = [r.value for r in OfficerRole if r != OfficerRole.admin]
    officers = {r: make_actor(db, money_settings, UserKind.officer, f"{r}@heerlen.example", roles=[r]) for r in roles}
    officers["settlement_officer_2"] = make_actor(db, money_settings, UserKind.officer, "so2@heerlen.example",
                                                  roles=["settlement_officer"])  # fmt: skip
    officers["recovery_officer_2"] = make_actor(db, money_settings, UserKind.officer, "ro2@heerlen.example",
                                                roles=["recovery_officer"])  # fmt: skip
    ledger = FakeLedger(db, citizens={anna.address, bob.address})
    return World(app_client, db, money_settings, ledger, anna, bob, shop, staff, shop2, officers)


def idem(key: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": key or secrets.token_hex(8)}
