# SPDX-License-Identifier: EUPL-1.2
"""The transaction manager: turns queued intents into signed, persisted, broadcast and mined transactions.

Exactly-once effect from at-least-once machinery:

* one leader per chain (`leader.py`), so one writer per signing address;
* nonces come from SQL; a transaction's raw bytes are committed *before* they are broadcast, so after a
  crash the same bytes are sent again (harmless) instead of a second transaction;
* receipts are matched against every signed variant of a nonce; a reverted transaction is recorded with
  its decoded custom error and its intent is never retried blindly (a reverted mint batch is split to
  isolate the bad element, the good ones go through);
* transactions without a receipt are re-broadcast, and on fee chains replaced at the same nonce with a
  higher fee; nonces that lost their transaction are filled with a no-op;
* on start (and after the node was unreachable) the relayer reconciles with the chain first.

The hot path uses eth_abi encoding and JSON-RPC batches, never web3 contract objects.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from eth_utils import is_address, keccak, to_checksum_address
from hexbytes import HexBytes
from sqlalchemy import CursorResult, Table, bindparam, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from backend.relayer import actions
from backend.relayer.errors import NotLeaderError
from backend.relayer.leader import LeaderLock, leader_lock
from backend.relayer.models import (
    FAILED,
    MINED,
    QUEUED,
    SENT,
    SIGNED,
    Intent,
    SenderNonce,
    Transaction,
    TransactionVariant,
)
from heitje.chain.client import Chain, RpcError, revert_data
from heitje.db import unit_of_work
from heitje.errors import ChainError, ContractRevert
from heitje.signing import Signer

log = logging.getLogger(__name__)

_TX_TABLE = cast(Table, Transaction.__table__)
_INTENT_TABLE = cast(Table, Intent.__table__)

TX_REVERTED, TX_DROPPED = "reverted", "dropped"
_INFLIGHT = (SIGNED, SENT)
_BENIGN_SEND = ("already known", "already imported", "known transaction")
_NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "oldnonce")


@dataclass
class RelayerConfig:
    batch_size: int = 200  # mints per mintForTasks transaction
    max_claim: int = 2000  # intents signed per cycle
    max_inflight: int = 512  # unmined transactions per sender (keep within the node's per-sender pool limit)
    poll_interval: float = 0.05  # seconds between idle cycles
    resend_after: float = 5.0  # seconds without a receipt before the same bytes are broadcast again
    replace_after: float = 30.0  # seconds before a fee-bumped replacement (only on fee chains)
    fee_bump_pct: int = 15  # replacement fee increase; nodes require at least 10 %
    max_fee_cap: int | None = None  # highest maxFeePerGas a replacement may use (default 4× the start)
    max_attempts: int = 5  # times an intent may be re-queued (nonce lost, broadcast refused)
    max_broadcast_failures: int = 3  # refusals before a nonce is filled with a no-op
    send_chunk: int = 250  # raw transactions per JSON-RPC batch
    leader_check_every: float = 2.0


@dataclass
class _Counters:
    signed_txs: int = 0
    mined_txs: int = 0
    failed_intents: int = 0
    resent: int = 0
    replaced: int = 0
    requeued: int = 0
    fillers: int = 0
    reconciles: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


def _age(moment: datetime | None) -> float:
    if moment is None:
        return float("inf")
    if moment.tzinfo is None:  # SQLite keeps no zone: values are written in UTC
        moment = moment.replace(tzinfo=UTC)
    return (_now() - moment).total_seconds()


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str) and len(value) == 42 and is_address(value):
        return str(to_checksum_address(value))  # eth_abi decodes addresses in lower case
    return value


def _message(exc: Exception) -> str:
    return (exc.message if isinstance(exc, RpcError) else str(exc)).lower()


class Relayer:
    """The worker. `run(stop)` leads until `stop` is set; `step()` runs one cycle (tests drive it)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        chain: Chain,
        contract: str,
        signers: Mapping[str, Signer],
        config: RelayerConfig | None = None,
    ) -> None:
        self.sf = session_factory
        self.chain = chain
        self.contract = str(to_checksum_address(contract))
        self.config = config or RelayerConfig()
        self.role_sender: dict[str, str] = {role: str(to_checksum_address(s.address)) for role, s in signers.items()}
        self.signers: dict[str, Signer] = {str(to_checksum_address(s.address)): s for s in signers.values()}
        self.counters = _Counters()
        self._latest_nonce: dict[str, int] = {}
        self._last_block = -1
        self._needs_reconcile = True
        self._lock: LeaderLock | None = None
        max_fee = chain.fees.max_fee_per_gas
        self._fee_cap = self.config.max_fee_cap if self.config.max_fee_cap is not None else 4 * max_fee

    # ───────────────────────────── leadership ─────────────────────────────

    def acquire_leadership(self, stop: threading.Event, wait: float = 0.25) -> bool:
        engine = self.sf.kw["bind"]
        self._lock = leader_lock(engine, self.chain.chain_id)
        announced = False
        while not stop.is_set():
            if self._lock.try_acquire():
                log.info("relayer is the leader for chain %s", self.chain.chain_id)
                return True
            if not announced:
                log.info("another relayer leads chain %s; waiting", self.chain.chain_id)
                announced = True
            stop.wait(wait)
        return False

    def release_leadership(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def run(self, stop: threading.Event) -> None:
        """Wait for leadership, reconcile with the chain, then relay until `stop` is set."""
        if not self.acquire_leadership(stop):
            return
        try:
            last_check = time.monotonic()
            backoff = self.config.poll_interval
            while not stop.is_set():
                try:
                    worked = self.step()
                    backoff = self.config.poll_interval
                except (ChainError, DBAPIError) as exc:
                    # Node or database unreachable: back off, then reconcile before sending anything new.
                    log.warning("%s, retrying: %s", type(exc).__name__, str(exc).splitlines()[0][:200])
                    self._needs_reconcile = True
                    backoff = min(backoff * 2 if backoff > 0.05 else 0.1, 2.0)
                    stop.wait(backoff)
                    continue
                if time.monotonic() - last_check > self.config.leader_check_every:
                    last_check = time.monotonic()
                    if self._lock is None or not self._lock.still_held():
                        raise NotLeaderError("lost the leader lock; stopping")
                if not worked:
                    stop.wait(self.config.poll_interval)
        finally:
            self.release_leadership()

    def step(self) -> bool:
        """One cycle: reconcile if needed, track receipts, resend stuck, sign queued, broadcast."""
        if self._needs_reconcile:
            self.reconcile()
        work = self.track_receipts()
        work += self.handle_stuck()
        work += self.sign_queued()
        work += self.broadcast_signed()
        return work > 0

    # ───────────────────────────── reconcile ─────────────────────────────

    def reconcile(self) -> None:
        """Bring the DB in line with the chain before anything new is sent.

        Per sender: adopt a chain nonce ahead of ours (the key was used elsewhere); re-open "mined"
        transactions the chain no longer has (node state rolled back); fill nonces that have no
        transaction; resolve receipts; then re-broadcast every unmined transaction in nonce order.
        """
        senders = list(self.signers)
        calls: list[tuple[str, list[Any]]] = []
        for sender in senders:
            calls += [("eth_getTransactionCount", [sender, "latest"]), ("eth_getTransactionCount", [sender, "pending"])]
        results = self.chain.rpc.batch(calls)
        for r in results:
            if isinstance(r, Exception):
                raise ChainError(f"reconcile: {r}")
        chain_id = self.chain.chain_id
        with unit_of_work(self.sf) as s:
            for i, sender in enumerate(senders):
                latest, pending = int(results[2 * i], 16), int(results[2 * i + 1], 16)
                self._latest_nonce[sender] = latest
                row = s.get(SenderNonce, sender, with_for_update=True)
                if row is None:
                    s.add(SenderNonce(sender=sender, chain_id=chain_id, next_nonce=pending))
                    continue
                if row.next_nonce < pending:
                    log.warning(
                        "%s: chain nonce %s is ahead of the relayer's %s (key used elsewhere?)",
                        sender, pending, row.next_nonce,
                    )  # fmt: skip
                    row.next_nonce = pending
                # A node that lost blocks (restart without its last state, reorg) forgets transactions we saw
                # mined; their bytes are still valid at their nonce, so they go back to "sent".
                rolled_back = s.scalars(
                    select(Transaction).where(
                        Transaction.sender == sender, Transaction.status == MINED, Transaction.nonce >= latest
                    )
                ).all()
                for tx in rolled_back:
                    log.warning("tx %s at nonce %s is no longer on chain; re-sending", tx.tx_hash, tx.nonce)
                    tx.status, tx.block_number = SENT, None
                    s.execute(
                        update(Intent)
                        .where(Intent.tx_id == tx.id, Intent.status == MINED)
                        .values(status=SENT, block_number=None, updated_at=_now())
                    )
                known = set(
                    s.scalars(
                        select(Transaction.nonce).where(
                            Transaction.sender == sender,
                            Transaction.nonce >= latest,
                            Transaction.nonce < row.next_nonce,
                        )
                    ).all()
                )
                for nonce in range(latest, row.next_nonce):
                    if nonce not in known:
                        log.warning("%s: nonce %s has no transaction; filling the gap", sender, nonce)
                        self._add_filler(s, sender, nonce)
        self._last_block = -1
        self.track_receipts(force=True)
        with unit_of_work(self.sf) as s:
            s.execute(
                update(Transaction).where(Transaction.status == SENT).values(status=SIGNED)
            )  # every unmined transaction is broadcast again, in nonce order
        self.broadcast_signed()
        self._needs_reconcile = False
        self.counters.reconciles += 1
        log.info("reconciled with chain %s", chain_id)

    def _add_filler(self, s: Session, sender: str, nonce: int) -> Transaction:
        tx_dict = self.chain.build_tx(sender, sender, b"", nonce, actions.FILLER_GAS)
        raw = self.signers[sender].sign_transaction(tx_dict)
        tx = self._new_tx(sender, nonce, actions.FILLER_ACTION, raw, actions.FILLER_GAS, 0)
        s.add(tx)
        s.flush()
        s.add(TransactionVariant(tx_hash=tx.tx_hash, tx_id=tx.id, raw=raw, created_at=_now()))
        self.counters.fillers += 1
        return tx

    def _new_tx(self, sender: str, nonce: int, action: str, raw: bytes, gas: int, count: int) -> Transaction:
        return Transaction(
            sender=sender,
            nonce=nonce,
            action=action,
            status=SIGNED,
            tx_hash="0x" + keccak(raw).hex(),
            raw=raw,
            gas=gas,
            max_fee_per_gas=self.chain.fees.max_fee_per_gas,
            max_priority_fee_per_gas=self.chain.fees.max_priority_fee_per_gas,
            intent_count=count,
            broadcasts=0,
            replacements=0,
            created_at=_now(),
        )

    # ───────────────────────────── signing ─────────────────────────────

    def sign_queued(self) -> int:
        """Claim queued intents, group them into transactions, sign, and persist raw bytes (not yet sent)."""
        cfg = self.config
        with self.sf() as s:
            inflight_count: dict[str, int] = defaultdict(int)
            for sender in s.scalars(select(Transaction.sender).where(Transaction.status.in_(_INFLIGHT))):
                inflight_count[sender] += 1
            rows = s.execute(
                select(Intent.id, Intent.action, Intent.args, Intent.role, Intent.batch_limit)
                .where(Intent.status == QUEUED)
                .order_by(Intent.id)
                .limit(cfg.max_claim)
            ).all()
            nonces = {n.sender: n.next_nonce for n in s.scalars(select(SenderNonce))}
        if not rows:
            return 0

        # Group per sender: mints into mintForTasks batches, everything else one call per transaction.
        plans: dict[str, list[tuple[str, list[int], bytes, int]]] = defaultdict(list)
        mints: dict[str, dict[int | None, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for row in rows:
            owner = self.role_sender.get(row.role)
            if owner is None:
                continue  # no key for this role in this process: another relayer instance owns it
            if row.action == "mintForTask" and (row.batch_limit is None or row.batch_limit > 1):
                mints[owner][row.batch_limit].append(row)
            else:
                data = actions.encode_call(row.action, row.args)
                plans[owner].append((row.action, [row.id], data, actions.ACTION_GAS[row.action]))
        for sender, by_limit in mints.items():
            for limit, items in by_limit.items():
                size = min(limit or cfg.batch_size, cfg.batch_size)
                for i in range(0, len(items), size):
                    chunk = items[i : i + size]
                    if len(chunk) == 1:
                        data = actions.encode_call("mintForTask", chunk[0].args)
                        plans[sender].append(("mintForTask", [chunk[0].id], data, actions.ACTION_GAS["mintForTask"]))
                    else:
                        data = actions.encode_mint_batch([r.args for r in chunk])
                        plans[sender].append(
                            ("mintForTasks", [r.id for r in chunk], data, actions.batch_mint_gas(len(chunk)))
                        )

        signed = 0
        for sender, plan in plans.items():
            room = cfg.max_inflight - inflight_count[sender]
            if room <= 0 or sender not in nonces:
                continue
            plan.sort(key=lambda p: min(p[1]))  # keep intents roughly in arrival order
            plan = plan[:room]
            start = nonces[sender]
            signer = self.signers[sender]
            txs: list[tuple[Transaction, list[int]]] = []
            for offset, (action, intent_ids, data, gas) in enumerate(plan):
                tx_dict = self.chain.build_tx(sender, self.contract, data, start + offset, gas)
                raw = signer.sign_transaction(tx_dict)
                txs.append((self._new_tx(sender, start + offset, action, raw, gas, len(intent_ids)), intent_ids))
            with unit_of_work(self.sf) as s:
                # Compare-and-set: only this leader moves the counter; a zombie leader's write fails here.
                moved = cast(
                    CursorResult[Any],
                    s.execute(
                        update(SenderNonce)
                        .where(SenderNonce.sender == sender, SenderNonce.next_nonce == start)
                        .values(next_nonce=start + len(txs))
                    ),
                ).rowcount
                if moved != 1:
                    raise NotLeaderError(f"nonce counter of {sender} moved underneath this relayer")
                s.add_all([tx for tx, _ in txs])
                s.flush()
                s.add_all(
                    [
                        TransactionVariant(tx_hash=tx.tx_hash, tx_id=tx.id, raw=tx.raw, created_at=tx.created_at)
                        for tx, _ in txs
                    ]
                )
                now = _now()
                s.execute(
                    update(Intent),
                    [
                        {"id": iid, "status": SIGNED, "tx_id": tx.id, "updated_at": now}
                        for tx, ids in txs
                        for iid in ids
                    ],
                )
            signed += len(txs)
            self.counters.signed_txs += len(txs)
        return signed

    # ───────────────────────────── broadcast ─────────────────────────────

    def broadcast_signed(self) -> int:
        """Send every signed (persisted, not yet sent) transaction, per sender in nonce order."""
        with self.sf() as s:
            pending = s.execute(
                select(Transaction.id, Transaction.sender, Transaction.nonce, Transaction.raw, Transaction.broadcasts)
                .where(Transaction.status == SIGNED)
                .order_by(Transaction.sender, Transaction.nonce)
            ).all()
        if not pending:
            return 0
        sent_ids: list[int] = []
        refused: list[tuple[int, str]] = []
        for i in range(0, len(pending), self.config.send_chunk):
            chunk = pending[i : i + self.config.send_chunk]
            results = self.chain.rpc.batch([("eth_sendRawTransaction", ["0x" + row.raw.hex()]) for row in chunk])
            for row, result in zip(chunk, results, strict=True):
                if not isinstance(result, Exception):
                    sent_ids.append(row.id)
                    continue
                msg = _message(result)
                if any(m in msg for m in _BENIGN_SEND) or any(m in msg for m in _NONCE_TOO_LOW):
                    # Already in the pool, or the nonce is used: receipts tell which transaction won.
                    sent_ids.append(row.id)
                else:
                    log.warning("node refused tx at nonce %s of %s: %s", row.nonce, row.sender, msg)
                    refused.append((row.id, msg[:80]))
        now = _now()
        with unit_of_work(self.sf) as s:
            if sent_ids:
                s.execute(
                    update(Transaction)
                    .where(Transaction.id.in_(sent_ids), Transaction.status == SIGNED)
                    .values(status=SENT, last_sent_at=now, broadcasts=Transaction.broadcasts + 1)
                )
                s.execute(
                    update(Transaction)
                    .where(Transaction.id.in_(sent_ids), Transaction.first_sent_at.is_(None))
                    .values(first_sent_at=now)
                )
                s.execute(
                    update(Intent)
                    .where(Intent.tx_id.in_(sent_ids), Intent.status == SIGNED)
                    .values(status=SENT, updated_at=now)
                )
            for tx_id, msg in refused:
                tx = s.get(Transaction, tx_id, with_for_update=True)
                if tx is None or tx.status != SIGNED:
                    continue
                tx.broadcasts += 1
                tx.error_name = msg
                if tx.broadcasts >= self.config.max_broadcast_failures:
                    self._give_up_nonce(s, tx, "BroadcastRefused")
        return len(sent_ids)

    def _give_up_nonce(self, s: Session, tx: Transaction, reason: str) -> None:
        """The node keeps refusing this transaction: re-queue its intents and replace it, at the same nonce,
        with a no-op so that later nonces are not blocked."""
        log.warning("giving up tx at nonce %s of %s (%s); filling the nonce", tx.nonce, tx.sender, reason)
        self._requeue(s, tx.id, reason)
        tx_dict = self.chain.build_tx(tx.sender, tx.sender, b"", tx.nonce, actions.FILLER_GAS)
        raw = self.signers[tx.sender].sign_transaction(tx_dict)
        tx.action, tx.raw, tx.tx_hash = actions.FILLER_ACTION, raw, "0x" + keccak(raw).hex()
        tx.gas, tx.intent_count, tx.broadcasts = actions.FILLER_GAS, 0, 0
        tx.replacements += 1
        tx.error_name = reason
        s.add(TransactionVariant(tx_hash=tx.tx_hash, tx_id=tx.id, raw=raw, created_at=_now()))
        self.counters.fillers += 1

    def _requeue(self, s: Session, tx_id: int, reason: str) -> None:
        now = _now()
        for intent in s.scalars(select(Intent).where(Intent.tx_id == tx_id, Intent.status.in_(_INFLIGHT))):
            intent.attempts += 1
            intent.tx_id = None
            intent.updated_at = now
            if intent.attempts > self.config.max_attempts:
                intent.status, intent.error_name, intent.error_args = FAILED, reason, []
                self.counters.failed_intents += 1
            else:
                intent.status = QUEUED
                self.counters.requeued += 1

    # ───────────────────────────── receipts ─────────────────────────────

    def track_receipts(self, force: bool = False) -> int:
        """Resolve in-flight transactions whose nonce the chain has used: mined, reverted or dropped."""
        with self.sf() as s:
            inflight = s.execute(
                select(Transaction.id, Transaction.sender, Transaction.nonce, Transaction.gas, Transaction.action)
                .where(Transaction.status.in_(_INFLIGHT))
                .order_by(Transaction.nonce)
            ).all()
        if not inflight:
            return 0
        senders = sorted({row.sender for row in inflight})
        results = self.chain.rpc.batch(
            [("eth_blockNumber", [])] + [("eth_getTransactionCount", [a, "latest"]) for a in senders]
        )
        for r in results:
            if isinstance(r, Exception):
                raise ChainError(f"receipts: {r}")
        block = int(results[0], 16)
        for sender, value in zip(senders, results[1:], strict=True):
            self._latest_nonce[sender] = int(value, 16)
        if block == self._last_block and not force:
            return 0
        self._last_block = block
        done = [row for row in inflight if row.nonce < self._latest_nonce[row.sender]]
        if not done:
            return 0
        with self.sf() as s:
            variants = s.execute(
                select(TransactionVariant.tx_id, TransactionVariant.tx_hash).where(
                    TransactionVariant.tx_id.in_([row.id for row in done])
                )
            ).all()
        hashes: dict[int, list[str]] = defaultdict(list)
        for v in variants:
            hashes[v.tx_id].append(v.tx_hash)
        calls = [(row.id, h) for row in done for h in hashes[row.id]]
        receipts: dict[int, dict[str, Any]] = {}
        for i in range(0, len(calls), 500):
            chunk = calls[i : i + 500]
            found = self.chain.rpc.batch([("eth_getTransactionReceipt", [h]) for _, h in chunk])
            for (tx_id, _), rcpt in zip(chunk, found, strict=True):
                if isinstance(rcpt, Exception):
                    raise ChainError(f"receipt: {rcpt}")
                if rcpt is not None:
                    receipts[tx_id] = rcpt
        return self._apply_receipts(done, receipts)

    def _apply_receipts(self, done: list[Any], receipts: dict[int, dict[str, Any]]) -> int:
        mined: list[dict[str, Any]] = []
        reverted: list[tuple[Any, dict[str, Any]]] = []
        lost: list[Any] = []
        for row in done:
            rcpt = receipts.get(row.id)
            if rcpt is None:
                lost.append(row)
            elif int(rcpt["status"], 16) == 1:
                mined.append(
                    {"b_id": row.id, "b_hash": rcpt["transactionHash"], "b_block": int(rcpt["blockNumber"], 16)}
                )
            else:
                reverted.append((row, rcpt))
        now = _now()
        # Decode reverts before opening the write transaction: it takes RPC round trips.
        verdicts = [(row, rcpt, self._judge_revert(row, rcpt)) for row, rcpt in reverted]
        with unit_of_work(self.sf) as s:
            if mined:
                s.connection().execute(
                    update(_TX_TABLE)
                    .where(_TX_TABLE.c.id == bindparam("b_id"))
                    .values(status=MINED, tx_hash=bindparam("b_hash"), block_number=bindparam("b_block")),
                    mined,
                )
                s.connection().execute(
                    update(_INTENT_TABLE)
                    .where(_INTENT_TABLE.c.tx_id == bindparam("b_id"))
                    .values(
                        status=MINED, tx_hash=bindparam("b_hash"), block_number=bindparam("b_block"), updated_at=now
                    ),
                    mined,
                )
                self.counters.mined_txs += len(mined)
            for row, rcpt, verdict in verdicts:
                self._record_revert(s, row, rcpt, verdict)
            for row in lost:
                # The nonce was used by a transaction this relayer never signed: ours was not executed.
                log.warning("nonce %s of %s was used by an unknown transaction; re-queueing", row.nonce, row.sender)
                tx = s.get(Transaction, row.id, with_for_update=True)
                if tx is not None:
                    tx.status = TX_DROPPED
                    self._requeue(s, row.id, "NonceTakenElsewhere")
        return len(done)

    def _judge_revert(self, row: Any, rcpt: dict[str, Any]) -> dict[int, ContractRevert | None]:
        """Which intents of a reverted transaction failed, and why. None = innocent (to be re-queued)."""
        with self.sf() as s:
            intents = s.execute(select(Intent.id, Intent.action, Intent.args).where(Intent.tx_id == row.id)).all()
        out_of_gas = int(rcpt["gasUsed"], 16) >= row.gas
        if len(intents) <= 1:
            if out_of_gas:
                reason: ContractRevert = ContractRevert("OutOfGas")
            else:
                err = self.chain.revert_reason(rcpt["transactionHash"])
                reason = err if isinstance(err, ContractRevert) else ContractRevert("UnknownRevert", (), str(err))
            return {i.id: reason for i in intents}
        # A batch reverted because of (at least) one element: simulate each on its own to find it.
        sender = row.sender
        calls = [
            (
                "eth_call",
                [
                    {"from": sender, "to": self.contract, "data": "0x" + actions.encode_call(i.action, i.args).hex()},
                    "latest",
                ],
            )
            for i in intents
        ]
        results = self.chain.rpc.batch(calls)
        verdict: dict[int, ContractRevert | None] = {}
        for intent, result in zip(intents, results, strict=True):
            if isinstance(result, RpcError) and revert_data(result.data):
                verdict[intent.id] = self.chain.abi.decode_revert(revert_data(result.data)) if self.chain.abi else None
            else:
                verdict[intent.id] = None
        return verdict

    def _record_revert(
        self, s: Session, row: Any, rcpt: dict[str, Any], verdict: dict[int, ContractRevert | None]
    ) -> None:
        tx = s.get(Transaction, row.id, with_for_update=True)
        if tx is None:
            return
        tx.status = TX_REVERTED
        tx.tx_hash = rcpt["transactionHash"]
        tx.block_number = int(rcpt["blockNumber"], 16)
        guilty = {iid: err for iid, err in verdict.items() if err is not None}
        now = _now()
        batch = len(verdict) > 1
        if batch:
            tx.error_name = "BatchReverted"
        elif guilty:
            tx.error_name = next(iter(guilty.values())).name
        for intent in s.scalars(select(Intent).where(Intent.tx_id == row.id)):
            err = verdict.get(intent.id)
            intent.updated_at = now
            if err is not None:
                intent.status = FAILED
                intent.error_name = err.name
                intent.error_args = _jsonable(list(err.error_args))
                intent.tx_hash = rcpt["transactionHash"]
                intent.block_number = tx.block_number
                self.counters.failed_intents += 1
                log.info("intent %s failed on chain: %s", intent.business_key, err.name)
            else:
                # Innocent member of a reverted batch: back to the queue, in smaller batches if nobody
                # could be blamed (e.g. elements that only fail together, like a shared yearly cap).
                intent.status = QUEUED
                intent.tx_id = None
                if not guilty:
                    intent.batch_limit = max(1, len(verdict) // 2)
                self.counters.requeued += 1

    # ───────────────────────────── stuck ─────────────────────────────

    def handle_stuck(self) -> int:
        """Re-broadcast transactions that have waited too long; on fee chains replace them at the same nonce."""
        cfg = self.config
        with self.sf() as s:
            rows = s.execute(
                select(Transaction.id, Transaction.sender, Transaction.nonce, Transaction.raw,
                       Transaction.last_sent_at, Transaction.first_sent_at, Transaction.replacements)
                .where(Transaction.status == SENT)
                .order_by(Transaction.sender, Transaction.nonce)
            ).all()  # fmt: skip
        stuck = [
            r
            for r in rows
            if _age(r.last_sent_at) >= cfg.resend_after and r.nonce >= self._latest_nonce.get(r.sender, 0)
        ]
        if not stuck:
            return 0
        to_replace = [
            r
            for r in stuck
            if self.chain.fees.max_fee_per_gas > 0 and _age(r.first_sent_at) >= cfg.replace_after * (r.replacements + 1)
        ]
        replaced = {r.id for r in to_replace if self._replace(r.id)}
        resend = [r for r in stuck if r.id not in replaced]
        if resend:
            results = self.chain.rpc.batch([("eth_sendRawTransaction", ["0x" + r.raw.hex()]) for r in resend])
            for r, result in zip(resend, results, strict=True):
                if isinstance(result, Exception) and not any(
                    m in _message(result) for m in _BENIGN_SEND + _NONCE_TOO_LOW
                ):
                    log.warning("re-broadcast of nonce %s of %s refused: %s", r.nonce, r.sender, _message(result))
            log.info("re-broadcast %s stuck transactions", len(resend))
            self.counters.resent += len(resend)
        with unit_of_work(self.sf) as s:
            s.execute(
                update(Transaction)
                .where(Transaction.id.in_([r.id for r in stuck]))
                .values(last_sent_at=_now(), broadcasts=Transaction.broadcasts + 1)
            )
        return len(stuck)

    def _replace(self, tx_id: int) -> bool:
        """Sign the same call at the same nonce with fees raised by `fee_bump_pct` (up to the cap), persist
        the new variant, then broadcast it. Either variant may be mined; receipts check both."""
        with unit_of_work(self.sf) as s:
            tx = s.get(Transaction, tx_id, with_for_update=True)
            if tx is None or tx.status != SENT:
                return False
            bump = 100 + self.config.fee_bump_pct
            max_fee = tx.max_fee_per_gas * bump // 100 + 1
            prio = tx.max_priority_fee_per_gas * bump // 100 + 1
            if max_fee > self._fee_cap:
                log.warning("tx at nonce %s of %s is stuck at the fee cap; re-sending only", tx.nonce, tx.sender)
                return False
            variant = s.get(TransactionVariant, tx.tx_hash)
            tx_dict = self._decode_for_resign(tx, variant.raw if variant else tx.raw)
            tx_dict["maxFeePerGas"], tx_dict["maxPriorityFeePerGas"] = max_fee, min(prio, max_fee)
            raw = self.signers[tx.sender].sign_transaction(tx_dict)
            tx.raw, tx.tx_hash = raw, "0x" + keccak(raw).hex()
            tx.max_fee_per_gas, tx.max_priority_fee_per_gas = max_fee, min(prio, max_fee)
            tx.replacements += 1
            tx.last_sent_at = _now()
            s.add(TransactionVariant(tx_hash=tx.tx_hash, tx_id=tx.id, raw=raw, created_at=_now()))
        try:
            self.chain.send_raw(raw)
        except ChainError as exc:
            log.warning("replacement at nonce refused: %s", exc)
        self.counters.replaced += 1
        return True

    def _decode_for_resign(self, tx: Transaction, raw: bytes) -> dict[str, Any]:
        from eth_account.typed_transactions import TypedTransaction

        decoded = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        return {
            "type": 2,
            "chainId": decoded["chainId"],
            "nonce": decoded["nonce"],
            "gas": decoded["gas"],
            "maxFeePerGas": decoded["maxFeePerGas"],
            "maxPriorityFeePerGas": decoded["maxPriorityFeePerGas"],
            "value": decoded["value"],
            "data": bytes(decoded["data"]),
            "to": to_checksum_address(decoded["to"]),
        }


def unmined(session: Session) -> int:
    """Intents not yet final (queued, signed or sent)."""
    return int(session.scalar(select(func.count()).where(Intent.status.in_((QUEUED, SIGNED, SENT)))) or 0)
