# SPDX-License-Identifier: EUPL-1.2
"""Event load for tests and benchmarks on a development chain (dev keys only, never production).

Transactions are encoded with eth_abi, signed locally with explicit nonces and sent in JSON-RPC batches,
in nonce order; blocks are mined on demand (`evm_mine`) so one block holds many transactions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import Hash32
from eth_utils import keccak

from heitje.chain.abi import heitje_abi
from heitje.chain.client import RpcClient
from heitje.signing import dev_account
from indexer.errors import IndexerError

log = logging.getLogger(__name__)

_TRANSFER_TYPEHASH = keccak(
    text="TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,"
    "uint256 validBefore,uint256 nonce,bytes32 paymentRef)"
)
_REDEMPTION_TYPEHASH = keccak(
    text="RedemptionWithAuthorization(address merchant,uint256 value,uint256 validAfter,"
    "uint256 validBefore,uint256 nonce,bytes32 payoutId)"
)
_ROLE_INDEX = {"admin": 0, "issuer": 1, "registrar": 2, "settler": 3, "pauser": 4, "recovery": 5, "relayer": 6}


def party(kind: str, i: int) -> LocalAccount:
    """A deterministic custodial key for test citizen/merchant `i` (never a real key)."""
    return Account.from_key(keccak(text=f"heitje-loadgen-{kind}-{i}"))


def b32(label: str) -> bytes:
    return keccak(text=label)


@dataclass
class LoadGen:
    """Sends contract calls from the dev role keys; `flush()` mines and checks every receipt."""

    rpc: RpcClient
    contract: str
    chain_id: int = 31337
    gas_per_mint: int = 90_000
    nonces: dict[str, int] = field(default_factory=dict)
    pending: list[tuple[str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.abi = heitje_abi()
        self.keys = {role: dev_account(i) for role, i in _ROLE_INDEX.items()}
        ds = self.abi.functions["DOMAIN_SEPARATOR"].encode()
        out = self.rpc.call("eth_call", {"to": self.contract, "data": "0x" + ds.hex()}, "latest")
        self.domain = bytes.fromhex(out[2:])

    # ── sending ──

    def _nonce(self, address: str) -> int:
        if address not in self.nonces:
            self.nonces[address] = int(self.rpc.call("eth_getTransactionCount", address, "pending"), 16)
        n = self.nonces[address]
        self.nonces[address] = n + 1
        return n

    def send(self, role: str, fn: str, *args: Any, gas: int = 400_000) -> None:
        key = self.keys[role]
        data = self.abi.functions[fn].encode(*args)
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": self._nonce(key.address),
            "gas": gas,
            "maxFeePerGas": 0,
            "maxPriorityFeePerGas": 0,
            "value": 0,
            "to": self.contract,
            "data": data,
        }
        raw = bytes(key.sign_transaction(tx).raw_transaction)  # type: ignore[arg-type]
        self.pending.append(("0x" + keccak(raw).hex(), raw))

    def flush(self, mine: bool = True, batch: int = 500) -> list[str]:
        """Broadcast the queued transactions (in nonce order), mine, and require every one succeeded."""
        sent, self.pending = self.pending, []
        for i in range(0, len(sent), batch):
            chunk = sent[i : i + batch]
            results = self.rpc.batch([("eth_sendRawTransaction", ["0x" + raw.hex()]) for _, raw in chunk])
            errors = [r for r in results if isinstance(r, Exception)]
            if errors:
                raise IndexerError(f"load transaction refused: {errors[0]}")
        hashes = [h for h, _ in sent]
        if mine and hashes:
            self.mine_until_included(hashes)
        return hashes

    def mine_until_included(self, hashes: Sequence[str]) -> None:
        for _ in range(200):
            if mine := self._missing(hashes):
                self.rpc.call("evm_mine")
                hashes = mine
            else:
                return
        raise IndexerError(f"{len(hashes)} transactions were never mined")

    def _missing(self, hashes: Sequence[str]) -> list[str]:
        missing: list[str] = []
        for i in range(0, len(hashes), 500):
            chunk = list(hashes[i : i + 500])
            receipts = self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
            for h, r in zip(chunk, receipts, strict=True):
                if r is None or isinstance(r, Exception):
                    missing.append(h)
                elif int(r["status"], 16) != 1:
                    raise IndexerError(f"load transaction {h} reverted")
        return missing

    # ── operations ──

    def enrol_citizen(self, account: str, citizen_id: bytes) -> None:
        self.send("registrar", "enrolCitizen", account, citizen_id, gas=150_000)

    def enrol_merchant(self, account: str) -> None:
        self.send("registrar", "enrolMerchant", account, gas=150_000)

    def mint(self, citizens: Sequence[str], amounts: Sequence[int], task_ids: Sequence[int]) -> None:
        gas = 80_000 + self.gas_per_mint * len(citizens)
        self.send("issuer", "mintForTasks", list(citizens), list(amounts), list(task_ids), gas=gas)

    def _sign(self, signer: LocalAccount, struct: bytes) -> tuple[int, bytes, bytes]:
        digest = keccak(b"\x19\x01" + self.domain + keccak(struct))
        sig = signer.unsafe_sign_hash(Hash32(digest))
        return sig.v, sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big")

    def transfer_auth(self, signer: LocalAccount, to: str, value: int, nonce: int, ref: bytes) -> None:
        """A payment (citizen signs) or refund (merchant signs), submitted by the relayer key."""
        valid_before = 2**40
        struct = encode(
            ["bytes32", "address", "address", "uint256", "uint256", "uint256", "uint256", "bytes32"],
            [_TRANSFER_TYPEHASH, signer.address, to, value, 0, valid_before, nonce, ref],
        )
        v, r, s = self._sign(signer, struct)
        self.send(
            "relayer",
            "transferWithAuthorization",
            signer.address,
            to,
            value,
            0,
            valid_before,
            nonce,
            ref,
            v,
            r,
            s,
            gas=200_000,
        )

    def redeem_auth(self, merchant: LocalAccount, value: int, nonce: int, payout_id: bytes) -> None:
        valid_before = 2**40
        struct = encode(
            ["bytes32", "address", "uint256", "uint256", "uint256", "uint256", "bytes32"],
            [_REDEMPTION_TYPEHASH, merchant.address, value, 0, valid_before, nonce, payout_id],
        )
        v, r, s = self._sign(merchant, struct)
        self.send(
            "relayer",
            "requestRedemptionWithAuthorization",
            merchant.address,
            value,
            0,
            valid_before,
            nonce,
            payout_id,
            v,
            r,
            s,
            gas=200_000,
        )


def bulk_load(gen: LoadGen, events: int, citizens: int = 200, per_tx: int = 100, per_block: int = 20) -> int:
    """At least `events` events: enrolments, then batched task rewards (two events per reward)."""
    started = time.monotonic()
    people = [party("citizen", i).address for i in range(citizens)]
    for i, address in enumerate(people):
        gen.enrol_citizen(address, b32(f"citizen-{i}"))
    gen.flush()
    made = citizens
    task = 1_000_000
    while made < events:
        for _ in range(per_block):
            n = min(per_tx, max(1, (events - made + 1) // 2))
            batch = [people[(task + j) % citizens] for j in range(n)]
            gen.mint(batch, [100] * n, list(range(task, task + n)))
            task += n
            made += 2 * n
            if made >= events:
                break
        gen.flush()
    log.info("load: %s events in %.1fs", made, time.monotonic() - started)
    return made
