# SPDX-License-Identifier: EUPL-1.2
"""Records the golden fixture: run with `.venv/bin/python -m tests.indexer.golden.record`.

A fixed scenario (every event kind, two keys of one person, a mint on each side of the Amsterdam new year)
runs on a fresh anvil; every JSON-RPC answer the indexer receives is written to `rpc.json`, and the rows
it produced to `expected.json`. Review the diff of `expected.json` before committing a re-recording.
"""

from __future__ import annotations

import json
import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from heitje.chain.abi import heitje_abi
from heitje.chain.anvil import Anvil
from heitje.chain.client import Chain, RpcClient
from heitje.deploy import deploy
from heitje.signing import LocalKeySigner, dev_account
from indexer.loadgen import LoadGen
from tests.conftest import make_settings
from tests.indexer.helpers import ISSUER_ROLE, World, dump, index

HERE = Path(__file__).parent
#: The last second of 2026 and the first of 2027 in Europe/Amsterdam (CET = UTC+1).
LAST_2026 = int(datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC).timestamp())
FIRST_2027 = LAST_2026 + 1


def key(method: str, params: list[Any]) -> str:
    return json.dumps([method, params], sort_keys=True)


class RecordingRpc:
    def __init__(self, inner: RpcClient) -> None:
        self.inner = inner
        self.answers: dict[str, Any] = {}

    def call(self, method: str, *params: Any) -> Any:
        result = self.inner.call(method, *params)
        self.answers[key(method, list(params))] = result
        return result

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        results = self.inner.batch(calls)
        for (method, params), result in zip(calls, results, strict=True):
            if isinstance(result, Exception):
                raise result
            self.answers[key(method, params)] = result
        return results


def scenario(chain: Chain, gen: LoadGen) -> None:
    world = World(gen, random.Random(4))
    world.populate(citizens=4, merchants=2)
    for _ in range(4):
        world.random_round(6)
    world.pay()
    world.refund()
    world.redeem()
    world.redeem()
    gen.flush()
    world.settle_or_reject()
    world.settle_or_reject()
    world.recover()
    gen.flush()
    gen.send("pauser", "pause")
    gen.flush()
    gen.send("pauser", "unpause")
    officer = dev_account(7).address
    gen.send("admin", "grantRole", ISSUER_ROLE, officer)
    gen.send("admin", "grantRole", ISSUER_ROLE, dev_account(8).address)
    gen.send("admin", "revokeRole", ISSUER_ROLE, officer)
    gen.send("admin", "setYearlyCap", 200_000)
    gen.flush()
    citizen = world.citizens[0].address
    for stamp, task in ((LAST_2026, 900_001), (FIRST_2027, 900_002)):
        chain.rpc.call("evm_setNextBlockTimestamp", stamp)
        gen.mint([citizen], [1234], [task])
        gen.flush()


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    with Anvil(block_time=0) as node:
        chain = Chain(node.url, abi=heitje_abi())
        d = deploy(chain, LocalKeySigner(dev_account(0)), make_settings(tmp), dev_chain=True)
        chain.rpc.call("evm_setAutomine", False)
        scenario(chain, LoadGen(chain.rpc, d.address))
        rpc = RecordingRpc(RpcClient(node.url))
        parts = index(rpc, f"sqlite:///{tmp / 'golden.sqlite3'}", d)
        rows = dump(parts.engine)
        parts.engine.dispose()
    meta = {"address": d.address, "block_number": d.block_number, "chain_id": d.chain_id}
    (HERE / "rpc.json").write_text(json.dumps({"deployment": meta, "answers": rpc.answers}, indent=1) + "\n")
    (HERE / "expected.json").write_text(json.dumps(rows, indent=1, default=str) + "\n")
    print(f"recorded {len(rpc.answers)} answers, {len(rows['idx_events'])} events")


if __name__ == "__main__":
    main()
