# SPDX-License-Identifier: EUPL-1.2
"""Indexer figures: catch-up of a fresh database over ≥ 100,000 events against the naive per-event INSERT +
commit loop over the same events (both from `indexer.bench.measure`), with peak RSS.

Each measurement runs in a fresh child process (`python -m backend.bench.indexer`) so that peak RSS is the
indexer's own, not this benchmark's.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.bench.env import Node, child_env, python

log = logging.getLogger(__name__)

_MARK = "BENCH-RESULT "


def run_child(node: Node, database_url: str, load_events: int, naive_events: int, log_path: Path) -> dict[str, Any]:
    args = [python(), "-m", "backend.bench.indexer", "--load-events", str(load_events),
            "--naive-events", str(naive_events)]  # fmt: skip
    env = child_env(node.settings, node.url, database_url)
    with log_path.open("ab") as err:
        done = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=err, timeout=1200, check=False)
    lines = [ln for ln in done.stdout.decode().splitlines() if ln.startswith(_MARK)]
    if done.returncode != 0 or not lines:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"indexer benchmark child failed ({done.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1][len(_MARK) :])
    return result


def events_on_chain(node: Node) -> int:
    """How many events the token has emitted so far."""
    head = node.chain.block_number()
    total = 0
    for start in range(node.deployment.block_number, head + 1, 5000):
        logs = node.chain.rpc.call(
            "eth_getLogs", {"address": node.contract, "fromBlock": hex(start), "toBlock": hex(min(head, start + 4999))}
        )
        total += len(logs)
    return total


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A fresh database on the given PostgreSQL server, dropped afterwards (the named one is not touched)."""
    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"heitje_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.bench.indexer")
    parser.add_argument("--load-events", type=int, default=0)
    parser.add_argument("--naive-events", type=int, default=10_000)
    ns = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    from heitje.chain.client import RpcClient
    from heitje.deploy import load_deployment
    from heitje.settings import get_settings
    from indexer.bench import measure

    settings = get_settings()
    rpc = RpcClient(settings.rpc_url)
    chain_id = int(rpc.call("eth_chainId"), 16)
    rpc.close()
    deployment = load_deployment(settings.deployments_dir, chain_id)
    result = measure(settings.rpc_url, deployment, settings.effective_database_url, ns.load_events, ns.naive_events)
    sys.stdout.write(_MARK + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
