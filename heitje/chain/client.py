# SPDX-License-Identifier: EUPL-1.2
"""A small JSON-RPC client that keeps anvil and Besu alike: transactions are signed locally and sent with
`eth_sendRawTransaction`, fees are explicit (never the node's suggestion), reverts are decoded from
`error.data`, and only block numbers (never `safe`/`finalized`) are used."""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from eth_utils import keccak, to_checksum_address

from heitje.chain.abi import ContractABI
from heitje.errors import ChainError, ContractRevert
from heitje.signing import Signer

log = logging.getLogger(__name__)


class RpcError(ChainError):
    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        self.data = data
        super().__init__(f"{method}: {code} {message}")


def revert_data(data: Any) -> str | None:
    """Revert payload from a JSON-RPC error's `data` (a hex string on anvil and Besu; nested on some)."""
    if isinstance(data, str) and data.startswith("0x"):
        return data
    if isinstance(data, dict):
        for key in ("data", "result"):
            found = revert_data(data.get(key))
            if found:
                return found
    return None


@dataclass(frozen=True)
class Fees:
    max_fee_per_gas: int = 0
    max_priority_fee_per_gas: int = 0


class RpcClient:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self._http = httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=16))
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, *params: Any) -> Any:
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        try:
            response = self._http.post(self.url, json=payload)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ChainError(f"{method}: {exc}") from exc
        body = response.json()
        if "error" in body:
            err = body["error"]
            raise RpcError(method, err.get("code", 0), err.get("message", ""), err.get("data"))
        return body["result"]

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Send several calls in one HTTP request; results (or RpcError instances) in call order."""
        if not calls:
            return []
        first = next(self._ids)
        payload = [{"jsonrpc": "2.0", "id": first + i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        for _ in range(len(calls) - 1):
            next(self._ids)
        try:
            response = self._http.post(self.url, json=payload)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ChainError(f"batch: {exc}") from exc
        by_id = {item["id"]: item for item in response.json()}
        out: list[Any] = []
        for i, (method, _) in enumerate(calls):
            item = by_id.get(first + i, {"error": {"code": -1, "message": "missing response"}})
            if "error" in item:
                err = item["error"]
                out.append(RpcError(method, err.get("code", 0), err.get("message", ""), err.get("data")))
            else:
                out.append(item["result"])
        return out


class Chain:
    """Chain access for one contract ABI: reads, revert decoding and locally signed transactions."""

    def __init__(self, rpc_url: str, fees: Fees | None = None, abi: ContractABI | None = None) -> None:
        self.rpc = RpcClient(rpc_url)
        self.fees = fees or Fees()
        self.abi = abi
        self._chain_id: int | None = None

    def close(self) -> None:
        self.rpc.close()

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.rpc.call("eth_chainId"), 16)
        return self._chain_id

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def get_block(self, number: int | str) -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        block: dict[str, Any] | None = self.rpc.call("eth_getBlockByNumber", tag, False)
        if block is None:
            raise ChainError(f"block {number} not found")
        return block

    def nonce(self, address: str, block: str = "pending") -> int:
        return int(self.rpc.call("eth_getTransactionCount", address, block), 16)

    def _decode(self, exc: RpcError) -> ChainError:
        data = revert_data(exc.data)
        if data and self.abi is not None:
            return self.abi.decode_revert(data)
        if data:
            return ContractRevert("UnknownRevert", (), data)
        return exc

    def call(self, to: str, data: bytes, block: str = "latest", sender: str | None = None) -> bytes:
        tx: dict[str, Any] = {"to": to, "data": "0x" + data.hex()}
        if sender:
            tx["from"] = sender
        try:
            return bytes.fromhex(self.rpc.call("eth_call", tx, block).removeprefix("0x"))
        except RpcError as exc:
            raise self._decode(exc) from exc

    def estimate_gas(self, sender: str, to: str | None, data: bytes) -> int:
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex()}
        if to:
            tx["to"] = to
        try:
            return int(self.rpc.call("eth_estimateGas", tx), 16)
        except RpcError as exc:
            raise self._decode(exc) from exc

    def build_tx(self, sender: str, to: str | None, data: bytes, nonce: int, gas: int) -> dict[str, Any]:
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": self.fees.max_fee_per_gas,
            "maxPriorityFeePerGas": self.fees.max_priority_fee_per_gas,
            "value": 0,
            "data": data,
        }
        if to:
            tx["to"] = to_checksum_address(to)
        return tx

    def send_raw(self, raw: bytes) -> str:
        """Broadcast signed bytes. Re-sending the same bytes is harmless: 'already known' counts as sent."""
        tx_hash = "0x" + keccak(raw).hex()
        try:
            self.rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
        except RpcError as exc:
            msg = exc.message.lower()
            if "already known" in msg or "already imported" in msg or "known transaction" in msg:
                return tx_hash
            raise self._decode(exc) from exc
        return tx_hash

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.rpc.call("eth_getTransactionReceipt", tx_hash)
        return result

    def wait(self, tx_hash: str, timeout: float = 60.0, poll: float = 0.05) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rcpt = self.receipt(tx_hash)
            if rcpt is not None:
                return rcpt
            time.sleep(poll)
        raise ChainError(f"no receipt for {tx_hash} after {timeout}s")

    def revert_reason(self, tx_hash: str) -> ChainError:
        """Replay a reverted transaction with eth_call at its block to recover the custom error."""
        tx = self.rpc.call("eth_getTransactionByHash", tx_hash)
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
        try:
            self.rpc.call("eth_call", call, tx["blockNumber"])
        except RpcError as exc:
            return self._decode(exc)
        return ContractRevert("UnknownRevert")

    def transact(
        self, signer: Signer, to: str | None, data: bytes, gas: int | None = None, timeout: float = 60.0
    ) -> dict[str, Any]:
        """Sign and send one transaction and wait for it (for deployment and admin tasks, not bulk work)."""
        if gas is None:
            gas = self.estimate_gas(signer.address, to, data) * 125 // 100 + 10_000
        tx = self.build_tx(signer.address, to, data, self.nonce(signer.address), gas)
        tx_hash = self.send_raw(signer.sign_transaction(tx))
        rcpt = self.wait(tx_hash, timeout)
        if int(rcpt["status"], 16) != 1:
            raise self.revert_reason(tx_hash)
        return rcpt
