# SPDX-License-Identifier: EUPL-1.2
"""One relayer leads per chain; a second copy waits and takes over when the leader goes away."""

from __future__ import annotations

import subprocess
import sys
import time

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.relayer.leader import leader_lock

DB = tuple[Engine, sessionmaker[Session]]


def test_second_lock_waits_until_the_leader_releases(db: DB) -> None:
    engine, _ = db
    first, second = leader_lock(engine, 31337), leader_lock(engine, 31337)
    assert first.try_acquire()
    assert first.still_held()
    assert not second.try_acquire()
    other_chain = leader_lock(engine, 1)
    assert other_chain.try_acquire()  # another chain has its own leader
    other_chain.release()
    first.release()
    assert second.try_acquire()
    second.release()


def test_leadership_passes_on_when_the_leader_process_is_killed(db: DB, database_url: str) -> None:
    engine, _ = db
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from heitje.db import make_engine\n"
            "from backend.relayer.leader import leader_lock\n"
            "lock = leader_lock(make_engine(sys.argv[1]), 31337)\n"
            "assert lock.try_acquire()\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            database_url,
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        standby = leader_lock(engine, 31337)
        assert not standby.try_acquire()
        holder.kill()
        holder.wait()
        deadline = time.monotonic() + 10
        while not standby.try_acquire():
            assert time.monotonic() < deadline, "lock not released after the leader died"
            time.sleep(0.05)
        standby.release()
    finally:
        holder.kill()
        holder.wait()
