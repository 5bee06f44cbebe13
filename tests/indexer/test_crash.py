# SPDX-License-Identifier: EUPL-1.2
"""kill -9 at random moments of a 10,000-event catch-up: the restarted indexer ends identical to an
uninterrupted run (no gap, no double count)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from heitje.chain.anvil import Anvil
from heitje.db import make_engine, migrate, session_factory, unit_of_work
from heitje.deploy import Deployment
from heitje.settings import PROJECT_ROOT
from indexer import queries
from indexer.loadgen import LoadGen, bulk_load
from tests.indexer.helpers import dump, fresh_dump


def _child(node: Anvil, url: str, d: Deployment) -> subprocess.Popen[str]:
    args = [
        sys.executable,
        "-m",
        "tests.indexer.crash_child",
        node.url,
        url,
        d.address,
        str(d.block_number),
        str(d.chain_id),
    ]
    return subprocess.Popen(args, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)


def _cursor(url: str) -> int:
    engine = make_engine(url)
    try:
        with unit_of_work(session_factory(engine)) as s:
            st = queries.status(s)
        return -1 if st is None else st.block_number
    finally:
        engine.dispose()


def test_kill_9_during_catch_up_ends_identical_to_an_uninterrupted_run(
    node: Anvil, gen: LoadGen, ideployment: Deployment, database_url: str, other_database_url: str
) -> None:
    made = bulk_load(gen, 10_000, citizens=100, per_tx=50, per_block=4)
    assert made >= 10_000
    migrate(database_url)
    rng = random.Random(99)
    cursors: list[int] = []
    kills = 0
    for _ in range(6):
        child = _child(node, database_url, ideployment)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        # After a random number of committed pages, at a random moment of the next one.
        for _ in range(rng.randint(0, 3)):
            child.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.05))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            kills += 1
        child.wait()
        cursors.append(_cursor(database_url))
        if child.returncode == 0:
            break
    final = _child(node, database_url, ideployment)
    out, _ = final.communicate(timeout=120)
    assert final.returncode == 0, out
    assert kills >= 3
    # The kills landed at different points of the catch-up, not all before or after it.
    start, end = ideployment.block_number - 1, _cursor(database_url)
    assert len({c for c in cursors if start < c < end}) >= 2, cursors

    engine = make_engine(database_url)
    try:
        interrupted = dump(engine)
    finally:
        engine.dispose()
    assert len(interrupted["idx_events"]) >= 10_000
    assert interrupted == fresh_dump(node.url, other_database_url, ideployment)
