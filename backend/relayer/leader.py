# SPDX-License-Identifier: EUPL-1.2
"""Single leader per chain: a PostgreSQL session advisory lock, or on SQLite an exclusive lock on a file
next to the database. Both vanish with the process (even after kill -9), so a standby takes over at once."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

log = logging.getLogger(__name__)


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


def lock_key(chain_id: int) -> int:
    digest = hashlib.sha256(f"heitje/relayer/{chain_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgAdvisoryLock:
    """`pg_try_advisory_lock` held on a dedicated connection for as long as this process leads."""

    def __init__(self, engine: Engine, chain_id: int) -> None:
        self.engine = engine
        self.key = lock_key(chain_id)
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is None:
            self._conn = self.engine.connect()
        got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        self._conn.commit()
        return got

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                    "AND granted AND ((classid::bigint << 32) | objid::bigint) = (:k)::bigint"
                ),
                {"k": self.key},
            ).scalar()
            self._conn.commit()
        except Exception:
            log.warning("lost the leader lock connection")
            return False
        return bool(held)

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            finally:
                self._conn.invalidate()  # never hand a lock-holding connection back to the pool
                self._conn.close()
                self._conn = None


class FileLock:
    """`flock` on `<database>.relayer-<chainId>.lock`: one leader per SQLite file on this machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._guard = threading.Lock()

    def try_acquire(self) -> bool:
        with self._guard:
            if self._fd is not None:
                return True
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        with self._guard:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None


def leader_lock(engine: Engine, chain_id: int) -> LeaderLock:
    if engine.dialect.name == "postgresql":
        return PgAdvisoryLock(engine, chain_id)
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        raise ValueError("the relayer needs a file-backed SQLite database or PostgreSQL")
    return FileLock(Path(f"{database}.relayer-{chain_id}.lock"))
