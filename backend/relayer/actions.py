# SPDX-License-Identifier: EUPL-1.2
"""The contract functions the relayer may call: which role key sends each, how its JSON arguments are
normalised and encoded (eth_abi, no web3 contract objects) and how much gas each may use."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from eth_utils import is_address, to_checksum_address

from backend.relayer.errors import InvalidIntentError
from heitje.chain.abi import heitje_abi

#: action (contract function) → operational role whose key sends it
ACTION_ROLES: dict[str, str] = {
    "mintForTask": "issuer",
    "transferWithAuthorization": "issuer",
    "requestRedemptionWithAuthorization": "issuer",
    "enrolCitizen": "registrar",
    "enrolMerchant": "registrar",
    "suspend": "registrar",
    "reinstate": "registrar",
    "settleRedemption": "settler",
    "rejectRedemption": "settler",
    "recoverAccount": "recovery",
    "pause": "pauser",
    "unpause": "pauser",
    "setYearlyCap": "admin",
}

#: Gas limit per single-call transaction. Generous on purpose: gas is free on the QBFT network and unused
#: gas is not charged on a fee chain; measured figures are 40–60 % of these.
ACTION_GAS: dict[str, int] = {
    "mintForTask": 200_000,
    "transferWithAuthorization": 200_000,
    "requestRedemptionWithAuthorization": 250_000,
    "enrolCitizen": 200_000,
    "enrolMerchant": 150_000,
    "suspend": 100_000,
    "reinstate": 100_000,
    "settleRedemption": 150_000,
    "rejectRedemption": 150_000,
    "recoverAccount": 250_000,
    "pause": 100_000,
    "unpause": 100_000,
    "setYearlyCap": 100_000,
}

#: mintForTasks: measured ≈53k gas per element in the worst case seen (fresh citizen, fresh task word).
BATCH_MINT_BASE_GAS = 60_000
BATCH_MINT_GAS_PER_ITEM = 80_000
#: The no-op that fills a nonce gap: a 0-value transfer to oneself.
FILLER_ACTION = "__nonce_filler__"
FILLER_GAS = 21_000

_UINT_MAX = 2**256 - 1


@cache
def _param_types(action: str) -> tuple[tuple[str, str], ...]:
    for item in heitje_abi().abi:
        if item["type"] == "function" and item["name"] == action:
            return tuple((p["name"], p["type"]) for p in item["inputs"])
    raise InvalidIntentError(f"the contract has no function {action!r}")


def _norm_value(action: str, name: str, typ: str, value: Any) -> Any:
    where = f"{action}.{name}"
    if typ == "address":
        if not isinstance(value, str) or not is_address(value):
            raise InvalidIntentError(f"{where} must be a hex address")
        return str(to_checksum_address(value))
    if typ.startswith("uint"):
        bits = int(typ[4:] or 256)
        if isinstance(value, bool):
            raise InvalidIntentError(f"{where} must be an integer")
        if isinstance(value, str):
            try:
                value = int(value, 0) if value.startswith("0x") else int(value, 10)
            except ValueError as exc:
                raise InvalidIntentError(f"{where} must be an integer") from exc
        if not isinstance(value, int) or value < 0 or value >= 2**bits:
            raise InvalidIntentError(f"{where} must be an integer in uint{bits}")
        # Large numbers travel as decimal strings so JSON readers without big integers stay exact.
        return value if value < 2**53 else str(value)
    if typ == "bytes32":
        if isinstance(value, bytes):
            raw = value
        elif isinstance(value, str) and value.startswith("0x"):
            try:
                raw = bytes.fromhex(value[2:])
            except ValueError as exc:
                raise InvalidIntentError(f"{where} must be 0x-hex") from exc
        else:
            raise InvalidIntentError(f"{where} must be 32 bytes as 0x-hex")
        if len(raw) != 32:
            raise InvalidIntentError(f"{where} must be exactly 32 bytes")
        return "0x" + raw.hex()
    raise InvalidIntentError(f"{where}: unsupported type {typ}")


def normalise_args(action: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """Check `args` against the contract function and return them in canonical JSON form."""
    if action not in ACTION_ROLES:
        raise InvalidIntentError(f"unknown action {action!r}; expected one of {sorted(ACTION_ROLES)}")
    params = _param_types(action)
    expected = {name for name, _ in params}
    if set(args) != expected:
        missing, extra = sorted(expected - set(args)), sorted(set(args) - expected)
        raise InvalidIntentError(f"{action} arguments do not match: missing {missing}, unexpected {extra}")
    return {name: _norm_value(action, name, typ, args[name]) for name, typ in params}


def args_hash(action: str, args: Mapping[str, Any]) -> str:
    canonical = json.dumps({"action": action, "args": args}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _decode_value(typ: str, value: Any) -> Any:
    if typ.startswith("uint"):
        return int(value)
    if typ == "bytes32":
        return bytes.fromhex(value[2:])
    return value


def call_values(action: str, args: Mapping[str, Any]) -> list[Any]:
    return [_decode_value(typ, args[name]) for name, typ in _param_types(action)]


def encode_call(action: str, args: Mapping[str, Any]) -> bytes:
    return heitje_abi().functions[action].encode(*call_values(action, args))


def encode_mint_batch(items: list[Mapping[str, Any]]) -> bytes:
    citizens = [a["citizen"] for a in items]
    amounts = [int(a["amount"]) for a in items]
    task_ids = [int(a["taskId"]) for a in items]
    return heitje_abi().functions["mintForTasks"].encode(citizens, amounts, task_ids)


def batch_mint_gas(n: int) -> int:
    return BATCH_MINT_BASE_GAS + BATCH_MINT_GAS_PER_ITEM * n
