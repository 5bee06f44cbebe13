# SPDX-License-Identifier: EUPL-1.2
"""A local anvil node (npm `@foundry-rs/anvil`), gas-free like the production QBFT network."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx

from heitje.errors import ChainError
from heitje.settings import DEV_MNEMONIC, PROJECT_ROOT

log = logging.getLogger(__name__)

DEV_CHAIN_ID = 31337


def anvil_binary() -> str:
    local = PROJECT_ROOT / "node_modules" / ".bin" / "anvil"
    if local.exists():
        return str(local)
    found = shutil.which("anvil")
    if not found:
        raise ChainError("anvil not found: run `npm ci` (make does this)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Anvil:
    """Runs anvil on 127.0.0.1 with zero base fee and gas price, interval mining and optional persisted state.

    `block_time=0` selects automine (one block per transaction), useful in unit tests.
    """

    def __init__(
        self,
        port: int | None = None,
        block_time: float = 1.0,
        state_path: Path | None = None,
        chain_id: int = DEV_CHAIN_ID,
        log_path: Path | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.block_time = block_time
        self.state_path = state_path
        self.chain_id = chain_id
        self.log_path = log_path
        self.extra_args = extra_args or []
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            anvil_binary(),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--mnemonic", DEV_MNEMONIC,
            "--accounts", "10",
            "--hardfork", "prague",
            "--base-fee", "0",
            "--gas-price", "0",
            "--disable-min-priority-fee",
            "--gas-limit", "100000000",
        ]  # fmt: skip
        if self.block_time:
            cmd += ["--block-time", str(self.block_time)]
        if self.state_path:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            cmd += ["--state", str(self.state_path), "--state-interval", "1"]
        return cmd + self.extra_args

    def start(self, timeout: float = 30.0) -> Anvil:
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ChainError(f"anvil exited with code {self.process.returncode}")
            try:
                r = httpx.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1)
                if r.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ChainError("anvil did not start in time")

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()  # SIGTERM lets anvil dump --state
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
