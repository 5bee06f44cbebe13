# SPDX-License-Identifier: EUPL-1.2
"""Project: decoded events → projection rows, on an in-memory working set of one page.

The writer loads the rows a page can touch (`Keys`), the projector applies the page's events to them in
chain order, and the writer stores what changed. Nothing here talks to the database, so the same code
serves catch-up, following, and the rebuild after a reorg.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from eth_utils import keccak

from indexer.decode import Event
from indexer.errors import IndexerError

ZERO = "0x" + "00" * 20

#: Role ids by name, for `idx_roles.role_name`.
ROLE_NAMES = {
    "0x" + "00" * 32: "DEFAULT_ADMIN_ROLE",
    **{
        "0x" + keccak(text=name).hex(): name
        for name in ("REGISTRAR_ROLE", "ISSUER_ROLE", "SETTLER_ROLE", "PAUSER_ROLE", "RECOVERY_ROLE")
    },
}
DEFAULT_ADMIN_ROLE = "0x" + "00" * 32

#: Events whose preceding Transfer (same transaction, previous log) they explain.
_TRANSFER_KIND = {
    "TaskRewarded": "mint",
    "PaymentMade": "payment",
    "RefundMade": "refund",
    "RedemptionRequested": "redemption",
    "RedemptionSettled": "burn",
    "RedemptionRejected": "release",
    "AccountRecovered": "recovery",
}


@lru_cache(maxsize=4096)
def amsterdam_year(block_time: datetime) -> int:
    """The Europe/Amsterdam civil year of a block time, exactly as the contract's `yearOf`.

    The new year falls in winter (CET, UTC+1), so the civil year is the UTC year of `time + 1 h`.
    """
    return datetime.fromtimestamp(int(block_time.timestamp()) + 3600, UTC).year


@dataclass
class Keys:
    """What a page may touch, so the writer can load exactly those rows before projecting."""

    addresses: set[str] = field(default_factory=set)
    participants: set[str] = field(default_factory=set)
    merchants: set[str] = field(default_factory=set)
    payout_ids: set[str] = field(default_factory=set)
    citizen_ids: set[str] = field(default_factory=set)
    roles: set[tuple[str, str]] = field(default_factory=set)


def keys_of(events: Iterable[Event]) -> Keys:
    k = Keys()
    for e in events:
        a = e.args
        n = e.name
        if n == "Transfer":
            k.addresses.update((a["from"], a["to"]))
        elif n in ("CitizenEnrolled", "MerchantEnrolled", "ParticipantSuspended", "ParticipantReinstated"):
            k.participants.add(a["account"])
            if n == "CitizenEnrolled":
                k.citizen_ids.add(a["citizenId"])
        elif n == "TaskRewarded":
            k.participants.add(a["citizen"])
        elif n in ("PaymentMade", "RefundMade"):
            k.merchants.add(a["merchant"])
        elif n in ("RedemptionRequested", "RedemptionSettled", "RedemptionRejected"):
            k.payout_ids.add(a["payoutId"])
            k.merchants.add(a["merchant"])
        elif n == "AccountRecovered":
            k.participants.update((a["lost"], a["replacement"]))
        elif n in ("RoleGranted", "RoleRevoked"):
            k.roles.add((a["role"], a["account"]))
    k.addresses.discard(ZERO)
    return k


class Rows:
    """Rows of one keyed projection: those loaded from the database and those changed by the page."""

    __slots__ = ("deleted", "dirty", "existing", "rows")

    def __init__(self) -> None:
        self.rows: dict[Any, dict[str, Any]] = {}
        self.existing: set[Any] = set()
        self.dirty: set[Any] = set()
        self.deleted: set[Any] = set()

    def load(self, key: Any, row: dict[str, Any]) -> None:
        self.rows[key] = row
        self.existing.add(key)

    def get(self, key: Any) -> dict[str, Any] | None:
        return self.rows.get(key)

    def put(self, key: Any, row: dict[str, Any]) -> None:
        self.rows[key] = row
        self.dirty.add(key)
        self.deleted.discard(key)

    def touch(self, key: Any) -> dict[str, Any]:
        self.dirty.add(key)
        return self.rows[key]

    def delete(self, key: Any) -> None:
        self.rows.pop(key, None)
        self.dirty.discard(key)
        if key in self.existing:
            self.deleted.add(key)

    def inserts(self) -> list[dict[str, Any]]:
        return [self.rows[k] for k in self.dirty if k not in self.existing or k in self.deleted]

    def updates(self) -> list[dict[str, Any]]:
        return [self.rows[k] for k in self.dirty if k in self.existing and k not in self.deleted]

    def deletes(self) -> list[Any]:
        return [k for k in self.deleted if k not in self.dirty]


@dataclass
class WorkingSet:
    """Keyed projection rows a page touches, plus the append-only rows it produces."""

    balances: Rows = field(default_factory=Rows)
    participants: Rows = field(default_factory=Rows)
    merchants: Rows = field(default_factory=Rows)
    redemptions: Rows = field(default_factory=Rows)
    earnings: Rows = field(default_factory=Rows)
    roles: Rows = field(default_factory=Rows)
    supply: Rows = field(default_factory=Rows)
    state: Rows = field(default_factory=Rows)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    task_rewards: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)


class Projector:
    """Applies events, in chain order, to a `WorkingSet`. `contract` is the token (= escrow) address."""

    def __init__(self, contract: str) -> None:
        self.contract = contract.lower()
        self._handlers: dict[str, Callable[[WorkingSet, Event], Any]] = {
            "CitizenEnrolled": self._on_citizen_enrolled,
            "MerchantEnrolled": self._on_merchant_enrolled,
            "ParticipantSuspended": self._on_participant_suspended,
            "ParticipantReinstated": self._on_participant_reinstated,
            "AccountRecovered": self._on_account_recovered,
            "TaskRewarded": self._on_task_rewarded,
            "PaymentMade": self._on_payment_made,
            "RefundMade": self._on_refund_made,
            "RedemptionRequested": self._on_redemption_requested,
            "RedemptionSettled": self._on_redemption_settled,
            "RedemptionRejected": self._on_redemption_rejected,
            "YearlyCapChanged": self._on_yearly_cap_changed,
            "Paused": self._on_paused,
            "Unpaused": self._on_unpaused,
            "DefaultAdminTransferScheduled": self._on_default_admin_transfer_scheduled,
            "DefaultAdminTransferCanceled": self._on_default_admin_transfer_canceled,
            "RoleGranted": self._on_role_granted,
            "RoleRevoked": self._on_role_revoked,
        }

    def apply(self, ws: WorkingSet, events: Sequence[Event]) -> None:
        last_transfer: dict[str, Any] | None = None
        last_key: tuple[str, int] = ("", -1)
        for e in events:
            handler = self._handlers.get(e.name)
            if e.name == "Transfer":
                last_transfer = self._on_transfer(ws, e)
                last_key = (e.tx_hash, e.log_index)
                continue
            kind = _TRANSFER_KIND.get(e.name)
            if kind is not None and last_transfer is not None and last_key == (e.tx_hash, e.log_index - 1):
                last_transfer["kind"] = kind
                last_transfer["reference"] = _reference(e)
            last_transfer = None
            if handler is not None:
                handler(ws, e)

    # ── movements ──

    def _on_transfer(self, ws: WorkingSet, e: Event) -> dict[str, Any]:
        src, dst, value = e.args["from"], e.args["to"], e.args["value"]
        for address, delta in ((src, -value), (dst, value)):
            if address == ZERO:
                continue
            row = ws.balances.get(address)
            if row is None:
                ws.balances.put(address, {"address": address, "balance": delta, "transfers": 1})
            else:
                ws.balances.touch(address)
                row["balance"] += delta
                row["transfers"] += 1
        supply = self._supply(ws)
        if src == ZERO:
            supply["minted"] += value
        if dst == ZERO:
            supply["burned"] += value
        if dst == self.contract:
            supply["escrow"] += value
        if src == self.contract:
            supply["escrow"] -= value
        supply["outstanding"] = supply["minted"] - supply["burned"]
        if src == ZERO:
            kind = "mint"
        elif dst == ZERO:
            kind = "burn"
        elif dst == self.contract:
            kind = "redemption"
        elif src == self.contract:
            kind = "release"
        else:
            kind = "transfer"
        row = {
            "block_number": e.block_number,
            "log_index": e.log_index,
            "tx_hash": e.tx_hash,
            "block_time": e.block_time,
            "kind": kind,
            "from_address": src,
            "to_address": dst,
            "amount": value,
            "reference": None,
        }
        ws.transfers.append(row)
        return row

    def _supply(self, ws: WorkingSet) -> dict[str, Any]:
        row = ws.supply.get(1)
        if row is None:
            row = {"id": 1, "minted": 0, "burned": 0, "escrow": 0, "outstanding": 0}
            ws.supply.put(1, row)
            return row
        return ws.supply.touch(1)

    def _state(self, ws: WorkingSet) -> dict[str, Any]:
        row = ws.state.get(1)
        if row is None:
            row = {"id": 1, "paused": False, "yearly_cap": 0, "pending_admin": None, "pending_admin_schedule": None}
            ws.state.put(1, row)
            return row
        return ws.state.touch(1)

    # ── participants ──

    def _enrol(self, ws: WorkingSet, e: Event, kind: str, citizen_id: str | None) -> None:
        address = e.args["account"]
        ws.participants.put(
            address,
            {
                "address": address,
                "kind": kind,
                "citizen_id": citizen_id,
                "suspended": False,
                "enrolled_block": e.block_number,
                "enrolled_time": e.block_time,
                "enrolled_tx_hash": e.tx_hash,
                "recovered_from": None,
                "recovered_to": None,
            },
        )

    def _on_citizen_enrolled(self, ws: WorkingSet, e: Event) -> None:
        self._enrol(ws, e, "citizen", e.args["citizenId"])

    def _on_merchant_enrolled(self, ws: WorkingSet, e: Event) -> None:
        self._enrol(ws, e, "merchant", None)

    def _participant(self, ws: WorkingSet, address: str, e: Event) -> dict[str, Any]:
        if ws.participants.get(address) is None:
            raise IndexerError(f"{e.name} in tx {e.tx_hash} names {address}, which the mirror never enrolled")
        return ws.participants.touch(address)

    def _on_participant_suspended(self, ws: WorkingSet, e: Event) -> None:
        self._participant(ws, e.args["account"], e)["suspended"] = True

    def _on_participant_reinstated(self, ws: WorkingSet, e: Event) -> None:
        self._participant(ws, e.args["account"], e)["suspended"] = False

    def _on_account_recovered(self, ws: WorkingSet, e: Event) -> None:
        lost, replacement = e.args["lost"], e.args["replacement"]
        old = self._participant(ws, lost, e)
        ws.participants.put(
            replacement,
            {
                **old,
                "address": replacement,
                "enrolled_block": e.block_number,
                "enrolled_time": e.block_time,
                "enrolled_tx_hash": e.tx_hash,
                "recovered_from": lost,
                "recovered_to": None,
            },
        )
        old["recovered_to"] = replacement

    # ── rewards, payments, settlement ──

    def _on_task_rewarded(self, ws: WorkingSet, e: Event) -> None:
        citizen, amount = e.args["citizen"], e.args["amount"]
        person = ws.participants.get(citizen)
        citizen_id = person["citizen_id"] if person else None
        if citizen_id is None:
            raise IndexerError(f"TaskRewarded in tx {e.tx_hash} to {citizen}, not a citizen in the mirror")
        assert e.block_time is not None
        year = amsterdam_year(e.block_time)
        ws.task_rewards.append(
            {
                "task_id": str(e.args["taskId"]),
                "citizen": citizen,
                "citizen_id": citizen_id,
                "amount": amount,
                "year": year,
                "block_number": e.block_number,
                "block_time": e.block_time,
                "tx_hash": e.tx_hash,
                "log_index": e.log_index,
            }
        )
        key = (citizen_id, year)
        row = ws.earnings.get(key)
        if row is None:
            ws.earnings.put(key, {"citizen_id": citizen_id, "year": year, "amount": amount, "tasks": 1})
        else:
            ws.earnings.touch(key)
            row["amount"] += amount
            row["tasks"] += 1

    def _merchant(self, ws: WorkingSet, merchant: str) -> dict[str, Any]:
        row = ws.merchants.get(merchant)
        if row is None:
            row = {
                "merchant": merchant,
                "payments": 0,
                "received": 0,
                "refunds": 0,
                "refunded": 0,
                "redemptions": 0,
                "redeemed": 0,
                "settled": 0,
                "rejected": 0,
            }
            ws.merchants.put(merchant, row)
            return row
        return ws.merchants.touch(merchant)

    def _payment(self, ws: WorkingSet, e: Event, kind: str, src: str, dst: str) -> None:
        a = e.args
        ws.payments.append(
            {
                "block_number": e.block_number,
                "log_index": e.log_index,
                "tx_hash": e.tx_hash,
                "block_time": e.block_time,
                "kind": kind,
                "from_address": src,
                "to_address": dst,
                "citizen": a["citizen"],
                "merchant": a["merchant"],
                "amount": a["amount"],
                "payment_ref": a["paymentRef"],
                "nonce": str(a["nonce"]),
            }
        )

    def _on_payment_made(self, ws: WorkingSet, e: Event) -> None:
        self._payment(ws, e, "payment", e.args["citizen"], e.args["merchant"])
        row = self._merchant(ws, e.args["merchant"])
        row["payments"] += 1
        row["received"] += e.args["amount"]

    def _on_refund_made(self, ws: WorkingSet, e: Event) -> None:
        self._payment(ws, e, "refund", e.args["merchant"], e.args["citizen"])
        row = self._merchant(ws, e.args["merchant"])
        row["refunds"] += 1
        row["refunded"] += e.args["amount"]

    def _on_redemption_requested(self, ws: WorkingSet, e: Event) -> None:
        payout_id, merchant, amount = e.args["payoutId"], e.args["merchant"], e.args["amount"]
        ws.redemptions.put(
            payout_id,
            {
                "payout_id": payout_id,
                "merchant": merchant,
                "amount": amount,
                "status": "requested",
                "bank_reference": None,
                "reason": None,
                "returned_to": None,
                "requested_block": e.block_number,
                "requested_time": e.block_time,
                "requested_tx_hash": e.tx_hash,
                "settled_block": None,
                "settled_time": None,
                "settled_tx_hash": None,
            },
        )
        row = self._merchant(ws, merchant)
        row["redemptions"] += 1
        row["redeemed"] += amount

    def _decide(self, ws: WorkingSet, e: Event, status: str) -> dict[str, Any]:
        payout_id = e.args["payoutId"]
        if ws.redemptions.get(payout_id) is None:
            raise IndexerError(f"{e.name} in tx {e.tx_hash} for unknown payout {payout_id}")
        row = ws.redemptions.touch(payout_id)
        row.update(status=status, settled_block=e.block_number, settled_time=e.block_time, settled_tx_hash=e.tx_hash)
        return row

    def _on_redemption_settled(self, ws: WorkingSet, e: Event) -> None:
        row = self._decide(ws, e, "settled")
        row["bank_reference"] = e.args["bankReference"]
        self._merchant(ws, row["merchant"])["settled"] += e.args["amount"]

    def _on_redemption_rejected(self, ws: WorkingSet, e: Event) -> None:
        row = self._decide(ws, e, "rejected")
        row["reason"] = e.args["reason"]
        row["returned_to"] = e.args["merchant"]
        self._merchant(ws, row["merchant"])["rejected"] += e.args["amount"]

    # ── contract state and roles ──

    def _on_yearly_cap_changed(self, ws: WorkingSet, e: Event) -> None:
        self._state(ws)["yearly_cap"] = e.args["newCap"]

    def _on_paused(self, ws: WorkingSet, e: Event) -> None:
        self._state(ws)["paused"] = True

    def _on_unpaused(self, ws: WorkingSet, e: Event) -> None:
        self._state(ws)["paused"] = False

    def _on_default_admin_transfer_scheduled(self, ws: WorkingSet, e: Event) -> None:
        state = self._state(ws)
        state["pending_admin"] = e.args["newAdmin"]
        state["pending_admin_schedule"] = e.args["acceptSchedule"]

    def _on_default_admin_transfer_canceled(self, ws: WorkingSet, e: Event) -> None:
        state = self._state(ws)
        state["pending_admin"] = None
        state["pending_admin_schedule"] = None

    def _on_role_granted(self, ws: WorkingSet, e: Event) -> None:
        role, account = e.args["role"], e.args["account"]
        ws.roles.put(
            (role, account),
            {
                "role": role,
                "account": account,
                "role_name": ROLE_NAMES.get(role, role[:32]),
                "granted_by": e.args["sender"],
                "granted_block": e.block_number,
                "granted_time": e.block_time,
            },
        )
        if role == DEFAULT_ADMIN_ROLE:
            state = ws.state.get(1)
            if state is not None and state["pending_admin"] == account:
                self._on_default_admin_transfer_canceled(ws, e)

    def _on_role_revoked(self, ws: WorkingSet, e: Event) -> None:
        ws.roles.delete((e.args["role"], e.args["account"]))


def _reference(e: Event) -> str | None:
    a = e.args
    if e.name == "TaskRewarded":
        return str(a["taskId"])
    if e.name in ("PaymentMade", "RefundMade"):
        return str(a["paymentRef"])
    if "payoutId" in a:
        return str(a["payoutId"])
    return None
