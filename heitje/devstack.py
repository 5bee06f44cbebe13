# SPDX-License-Identifier: EUPL-1.2
"""`heitje dev`: one command that brings the whole development stack up on this machine."""

from __future__ import annotations

import importlib
import json
import logging
import signal
import threading
from collections.abc import Callable

from heitje.chain.abi import heitje_abi
from heitje.chain.anvil import DEV_CHAIN_ID, Anvil
from heitje.chain.client import Chain
from heitje.db import migrate
from heitje.deploy import deploy, load_deployment
from heitje.errors import DeploymentError
from heitje.settings import Settings
from heitje.signing import load_signer

log = logging.getLogger(__name__)

#: Parts of the stack contributed by other packages: module with `start_dev(settings, deployment, stop)`.
DEV_PARTS = ("backend.relayer.dev", "indexer.dev", "backend.dev")


def run_dev(settings: Settings, port: int = 8545, block_time: float = 1.0) -> int:
    state = settings.data_dir / "chain" / "state.json"
    node = Anvil(port=port, block_time=block_time, state_path=state, log_path=state.parent / "anvil.log")
    node.start()
    # Every part started below (relayer, indexer, API) talks to this node, whatever port it is on.
    settings = settings.model_copy(update={"rpc_url": node.url, "chain_id": DEV_CHAIN_ID})
    print(f"chain     {node.url}  (anvil, chain id {DEV_CHAIN_ID}, state in {state.parent})")
    chain = Chain(node.url, abi=heitje_abi())
    try:
        deployment = load_deployment(settings.deployments_dir, chain.chain_id)
        if chain.rpc.call("eth_getCode", deployment.address, "latest") in ("0x", None):
            raise DeploymentError("stale manifest")
    except DeploymentError:
        deployment = deploy(chain, load_signer(settings, "admin"), settings, dev_chain=True, force=True)
    print(f"contract  HeitjeToken at {deployment.address} (block {deployment.block_number})")
    print(f"manifest  {settings.deployments_dir / f'{chain.chain_id}.json'}")
    migrate(settings.effective_database_url)
    print(f"database  {settings.effective_database_url}")

    stop = threading.Event()
    stoppers: list[Callable[[], None]] = []
    for module in DEV_PARTS:
        try:
            part = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module.startswith(exc.name):
                continue
            raise
        stopper = part.start_dev(settings, deployment, stop)
        if stopper:
            stoppers.append(stopper)

    def _handler(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    print("ready     press Ctrl-C to stop")
    if not stoppers:
        print(json.dumps(deployment.to_json(), indent=2))
    while not stop.wait(0.5):
        pass
    for stopper in reversed(stoppers):
        stopper()
    node.stop()
    return 0
