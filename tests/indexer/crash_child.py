# SPDX-License-Identifier: EUPL-1.2
"""Child process of the kill -9 test: catches up, printing `ready` before and `page` after each commit."""

from __future__ import annotations

import sys

from indexer.bootstrap import bootstrap
from indexer.follower import IndexerConfig


def main() -> None:
    rpc_url, database_url, contract, start, chain_id = sys.argv[1:6]
    parts = bootstrap(
        rpc_url,
        database_url,
        contract,
        int(start),
        int(chain_id),
        target_logs=400,
        config=IndexerConfig(reorg_window=16),
    )
    print("ready", flush=True)
    parts.indexer.catch_up(lambda block, target, events: print("page", block, events, flush=True))
    print("done", flush=True)


if __name__ == "__main__":
    main()
