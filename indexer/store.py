# SPDX-License-Identifier: EUPL-1.2
"""Write: one page (raw events, blocks, projections, cursor, page hooks) in one DB transaction.

Also the reorg rollback: the raw mirror above the common ancestor is deleted and the projections are
rebuilt from what remains of it, with the very projector that built them, in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, Protocol

from sqlalchemy import Row, Table, bindparam, delete, exists, select, text, tuple_, update
from sqlalchemy.orm import Session

from heitje.chain.abi import ContractABI
from indexer.decode import Event, LogDecoder
from indexer.errors import StateError
from indexer.models import (
    PROJECTIONS,
    IdxBalance,
    IdxBlock,
    IdxContractState,
    IdxCursor,
    IdxEarning,
    IdxEvent,
    IdxMerchantReceipt,
    IdxParticipant,
    IdxPayment,
    IdxRedemption,
    IdxRole,
    IdxSupply,
    IdxTaskReward,
    IdxTransfer,
    UTCDateTime,
)
from indexer.project import Keys, Projector, Rows, WorkingSet, keys_of

log = logging.getLogger(__name__)

#: Rows per IN (...) list: well under SQLite's bound-parameter limit.
CHUNK = 900


class PageHook(Protocol):
    """Called with the page's decoded events inside the page's transaction, after the mirror and the
    projections are written and before the commit. Raising rolls the whole page back."""

    def __call__(self, session: Session, events: Sequence[Event]) -> None: ...


class RollbackHook(Protocol):
    """Called inside the rollback transaction with the common-ancestor block number after a reorg."""

    def __call__(self, session: Session, ancestor: int) -> None: ...


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    time: datetime

    @classmethod
    def from_rpc(cls, block: dict[str, Any]) -> Header:
        return cls(
            number=int(block["number"], 16),
            hash=block["hash"].lower(),
            parent_hash=block["parentHash"].lower(),
            time=datetime.fromtimestamp(int(block["timestamp"], 16), UTC),
        )


@dataclass(frozen=True)
class Cursor:
    block_number: int
    block_hash: str
    start_block: int
    events: int


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _row(obj: Row[Any], columns: Iterable[str]) -> dict[str, Any]:
    m = obj._mapping
    return {c: m[c] for c in columns}


def _cols(model: Any) -> list[str]:
    return [c.key for c in model.__table__.columns]


class Store:
    """Reads and writes the indexer's tables for one contract on one chain."""

    def __init__(
        self,
        contract: str,
        chain_id: int,
        abi: ContractABI,
        page_hooks: Sequence[PageHook] = (),
        rollback_hooks: Sequence[RollbackHook] = (),
    ) -> None:
        self.contract = contract.lower()
        self.chain_id = chain_id
        self.decoder = LogDecoder(abi)
        self.projector = Projector(self.contract)
        self.page_hooks = list(page_hooks)
        self.rollback_hooks = list(rollback_hooks)

    # ── cursor ──

    def cursor(self, session: Session) -> Cursor | None:
        row = session.get(IdxCursor, 1)
        if row is None:
            return None
        if row.contract != self.contract or row.chain_id != self.chain_id:
            raise StateError(
                f"this database mirrors {row.contract} on chain {row.chain_id}, "
                f"not {self.contract} on chain {self.chain_id}"
            )
        return Cursor(row.block_number, row.block_hash, row.start_block, row.events)

    def init_cursor(self, session: Session, before_start: Header, start_block: int) -> Cursor:
        session.add(
            IdxCursor(
                id=1,
                chain_id=self.chain_id,
                contract=self.contract,
                start_block=start_block,
                block_number=before_start.number,
                block_hash=before_start.hash,
                events=0,
                reorgs=0,
                updated_at=datetime.now(UTC),
            )
        )
        session.flush()
        return Cursor(before_start.number, before_start.hash, start_block, 0)

    def _set_cursor(self, session: Session, number: int, block_hash: str, new_events: int) -> None:
        session.execute(
            update(IdxCursor)
            .where(IdxCursor.id == 1)
            .values(
                block_number=number,
                block_hash=block_hash,
                events=IdxCursor.events + new_events,
                updated_at=datetime.now(UTC),
            )
        )

    # ── one page ──

    def write_page(
        self,
        session: Session,
        cursor: Cursor,
        events: Sequence[Event],
        headers: Sequence[Header],
        end: Header,
        window: int,
    ) -> None:
        """Store a page ending at `end` (events in chain order, every event's block in `headers`).

        Blocks with events are kept for good; other blocks only while they are among the last `window`
        blocks, where a reorg can still be detected by its parent hash.
        """
        keep_blocks_from = end.number - window + 1
        first = cursor.block_number + 1
        if session.get_bind().dialect.name == "sqlite" and len(events) > 1000:
            # A bulk page touches index pages all over the file: give this connection a larger page cache.
            session.execute(text("PRAGMA cache_size=-65536"))
        beyond = session.scalar(select(IdxEvent.block_number).where(IdxEvent.block_number >= first).limit(1))
        if beyond is not None:
            raise StateError(f"events at block {beyond} are already mirrored beyond the cursor {first - 1}")
        event_blocks = {e.block_number for e in events}
        blocks = [h for h in headers if h.number in event_blocks or h.number >= keep_blocks_from or h is end]
        if blocks:
            _insert_many(
                session,
                IdxBlock,
                [
                    {"number": h.number, "hash": h.hash, "parent_hash": h.parent_hash, "time": h.time}
                    for h in sorted(blocks, key=lambda h: h.number)
                ],
            )
        if events:
            _insert_many(session, IdxEvent, [_event_row(e) for e in events])
            self.project(session, events)
        # Blocks kept only for the parent-hash chain are dropped once they leave the reorg window.
        session.execute(
            delete(IdxBlock).where(
                IdxBlock.number < keep_blocks_from,
                IdxBlock.number >= max(0, first - window - 1),
                ~exists().where(IdxEvent.block_number == IdxBlock.number),
            )
        )
        self._set_cursor(session, end.number, end.hash, len(events))
        for hook in self.page_hooks:
            hook(session, events)

    # ── projections ──

    def project(self, session: Session, events: Sequence[Event]) -> None:
        ws = self.load(session, keys_of(events))
        self.projector.apply(ws, events)
        self.save(session, ws)

    def load(self, session: Session, keys: Keys) -> WorkingSet:
        ws = WorkingSet()
        _load(session, ws.balances, IdxBalance, IdxBalance.address, sorted(keys.addresses))
        participants = sorted(keys.participants)
        _load(session, ws.participants, IdxParticipant, IdxParticipant.address, participants)
        citizen_ids = set(keys.citizen_ids)
        citizen_ids.update(r["citizen_id"] for r in ws.participants.rows.values() if r["citizen_id"])
        _load(
            session,
            ws.earnings,
            IdxEarning,
            IdxEarning.citizen_id,
            sorted(citizen_ids),
            key=lambda r: (r["citizen_id"], r["year"]),
        )
        _load(session, ws.merchants, IdxMerchantReceipt, IdxMerchantReceipt.merchant, sorted(keys.merchants))
        _load(session, ws.redemptions, IdxRedemption, IdxRedemption.payout_id, sorted(keys.payout_ids))
        _load(session, ws.supply, IdxSupply, IdxSupply.id, [1])
        _load(session, ws.state, IdxContractState, IdxContractState.id, [1])
        if keys.roles:
            cols = _cols(IdxRole)
            for chunk in _chunks(sorted(keys.roles)):
                for r in session.execute(
                    select(IdxRole).where(tuple_(IdxRole.role, IdxRole.account).in_(chunk))
                ).scalars():
                    ws.roles.load((r.role, r.account), {c: getattr(r, c) for c in cols})
        return ws

    def save(self, session: Session, ws: WorkingSet) -> None:
        # executemany, not the ORM's bulk paths: they cost more per row than the database does.
        conn = session.connection()
        for table, model in (
            (ws.balances, IdxBalance),
            (ws.participants, IdxParticipant),
            (ws.earnings, IdxEarning),
            (ws.merchants, IdxMerchantReceipt),
            (ws.redemptions, IdxRedemption),
            (ws.supply, IdxSupply),
            (ws.state, IdxContractState),
            (ws.roles, IdxRole),
        ):
            if rows := table.inserts():
                _insert_many(session, model, rows)
            if rows := table.updates():
                conn.execute(_updater(model), [{**r, **{"pk_" + k: r[k] for k in _pk(model)}} for r in rows])
        if gone := ws.roles.deletes():
            for chunk in _chunks(gone):
                session.execute(delete(IdxRole).where(tuple_(IdxRole.role, IdxRole.account).in_(chunk)))
        appended: tuple[tuple[list[dict[str, Any]], Any], ...] = (
            (ws.transfers, IdxTransfer),
            (ws.task_rewards, IdxTaskReward),
            (ws.payments, IdxPayment),
        )
        for rows, model in appended:
            if rows:
                _insert_many(session, model, rows)

    # ── reorgs ──

    def stored_blocks(self, session: Session, below: int, limit: int) -> list[tuple[int, str]]:
        """Stored (number, hash) pairs at or below `below`, newest first: candidates for the ancestor."""
        rows = session.execute(
            select(IdxBlock.number, IdxBlock.hash)
            .where(IdxBlock.number <= below)
            .order_by(IdxBlock.number.desc())
            .limit(limit)
        )
        return [(n, h) for n, h in rows]

    def rollback(self, session: Session, ancestor: int, ancestor_hash: str) -> int:
        """Forget everything above `ancestor` and rebuild the projections. Returns the events dropped."""
        result: Any = session.execute(delete(IdxEvent).where(IdxEvent.block_number > ancestor))
        dropped = int(result.rowcount or 0)
        session.execute(delete(IdxBlock).where(IdxBlock.number > ancestor))
        self.rebuild(session)
        session.execute(
            update(IdxCursor)
            .where(IdxCursor.id == 1)
            .values(
                block_number=ancestor,
                block_hash=ancestor_hash,
                events=IdxCursor.events - dropped,
                reorgs=IdxCursor.reorgs + 1,
                updated_at=datetime.now(UTC),
            )
        )
        for hook in self.rollback_hooks:
            hook(session, ancestor)
        return dropped

    def rebuild(self, session: Session, blocks_per_chunk: int = 2000) -> int:
        """Empty every projection and re-project the raw mirror, block-aligned chunk by chunk."""
        for model in PROJECTIONS:
            session.execute(delete(model))
        times = dict(session.execute(select(IdxBlock.number, IdxBlock.time)).tuples().all())
        top = session.scalar(select(IdxEvent.block_number).order_by(IdxEvent.block_number.desc()).limit(1))
        if top is None:
            return 0
        low = session.scalar(select(IdxEvent.block_number).order_by(IdxEvent.block_number).limit(1)) or 0
        total = 0
        while low <= top:
            high = low + blocks_per_chunk - 1
            rows = session.execute(
                select(IdxEvent)
                .where(IdxEvent.block_number >= low, IdxEvent.block_number <= high)
                .order_by(IdxEvent.block_number, IdxEvent.log_index)
            ).scalars()
            events = [self._from_row(r, times) for r in rows]
            if events:
                self.project(session, events)
                session.expunge_all()
            total += len(events)
            low = high + 1
        return total

    def _from_row(self, r: IdxEvent, times: dict[int, datetime]) -> Event:
        topics = [t for t in (r.topic0, r.topic1, r.topic2, r.topic3) if t is not None]
        log_ = {
            "blockNumber": hex(r.block_number),
            "logIndex": hex(r.log_index),
            "transactionHash": r.tx_hash,
            "transactionIndex": hex(r.tx_index),
            "blockHash": r.block_hash,
            "topics": topics,
            "data": r.data,
        }
        event = self.decoder.decode(log_)
        event.block_time = times[r.block_number]
        return event


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _insert_many(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows with the driver's executemany: the per-row cost of SQLAlchemy's parameter processing is
    larger than the database's on bulk pages. Values are converted here as the column types would."""
    conn = session.connection()
    table = _table(model)
    sqlite = conn.dialect.name == "sqlite"
    compiled = table.insert().compile(dialect=conn.dialect)
    sql = str(compiled)
    times = {c.key for c in table.columns if isinstance(c.type, UTCDateTime)}

    converted: dict[datetime, Any] = {}

    def when(v: datetime | None) -> Any:
        if v is None:
            return None
        out = converted.get(v)
        if out is None:
            utc = v.astimezone(UTC)
            out = converted[v] = utc.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else utc
        return out

    if compiled.positional:
        getter = itemgetter(*(compiled.positiontup or []))
        if times:
            # Block times repeat within a page: convert each once. The row dicts are the page's own.
            for r in rows:
                for col in times:
                    r[col] = when(r[col])
        data: list[Any] = [getter(r) for r in rows] if len(table.columns) > 1 else [(getter(r),) for r in rows]
    else:
        data = [{c: (when(v) if c in times else v) for c, v in r.items()} for r in rows]
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, data)
    finally:
        cursor.close()


def _pk(model: Any) -> list[str]:
    return [c.key for c in _table(model).primary_key.columns]


def _updater(model: Any) -> Any:
    """UPDATE of every non-key column by primary key, for executemany (keys bound as `pk_<name>`)."""
    table = _table(model)
    keys = _pk(model)
    where = [table.c[k] == bindparam("pk_" + k) for k in keys]
    values: dict[str, Any] = {c.key: bindparam(c.key) for c in table.columns if c.key not in keys}
    return table.update().where(*where).values(values)


def _event_row(e: Event) -> dict[str, Any]:
    t = e.topics
    n = len(t)
    return {
        "block_number": e.block_number,
        "log_index": e.log_index,
        "tx_hash": e.tx_hash,
        "tx_index": e.tx_index,
        "block_hash": e.block_hash,
        "name": e.name,
        "topic0": t[0],
        "topic1": t[1] if n > 1 else None,
        "topic2": t[2] if n > 2 else None,
        "topic3": t[3] if n > 3 else None,
        "data": e.data,
    }


def _load(
    session: Session,
    table: Rows,
    model: Any,
    column: Any,
    keys: Sequence[Any],
    key: Callable[[dict[str, Any]], Any] | None = None,
) -> None:
    if not keys:
        return
    cols = _cols(model)
    selected = [model.__table__.c[c] for c in cols]
    for chunk in _chunks(keys):
        for r in session.execute(select(*selected).where(column.in_(chunk))):
            row = _row(r, cols)
            table.load(key(row) if key else row[column.key], row)
