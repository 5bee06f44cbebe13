# SPDX-License-Identifier: EUPL-1.2
"""Decode: raw JSON-RPC logs → typed `Event`s, with eth_abi directly (no web3 contract objects).

Indexed static parameters are read straight from their 32-byte topic. The data part goes through eth_abi;
when an event's data is only static one-word values (every HeitjeToken event today) and has exactly that
length, the words are sliced directly instead — the same values eth_abi returns (a test checks both ways on
every golden log), ~10x cheaper. Anything else, malformed data included, goes to eth_abi.

Values come out normalised for SQL: addresses and bytes32 as lowercase 0x-hex,
integers as `int`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eth_abi.abi import default_codec

from heitje.chain.abi import ContractABI, EventSpec
from indexer.errors import IndexerError


@dataclass(slots=True)
class Event:
    """One contract log, decoded. `block_time` is filled in from the block header."""

    name: str
    block_number: int
    log_index: int
    tx_hash: str
    tx_index: int
    block_hash: str
    topics: list[str]
    data: str
    args: dict[str, Any]
    block_time: datetime | None = field(default=None)

    @property
    def key(self) -> tuple[str, int]:
        return self.tx_hash, self.log_index


def _topic_reader(abi_type: str) -> Callable[[str], Any]:
    if abi_type == "address":
        return lambda t: "0x" + t[-40:].lower()
    if abi_type.startswith("uint"):
        return lambda t: int(t, 16)
    if abi_type == "bytes32":
        return str.lower
    if abi_type == "bool":
        return lambda t: int(t, 16) != 0
    # Dynamic indexed values are stored as their keccak hash in the topic: keep the hash.
    return str.lower


def _norm(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return str(value).lower()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def _word_reader(abi_type: str) -> Callable[[str], Any] | None:
    """Reader of a static one-word value from its 64 hex digits; None when the type is not one word."""
    if abi_type.startswith("uint"):
        return lambda w: int(w, 16)
    if abi_type == "bytes32":
        return lambda w: "0x" + w
    if abi_type == "address":
        return lambda w: "0x" + w[24:]
    if abi_type == "bool":
        return lambda w: int(w, 16) != 0
    return None


@dataclass(frozen=True)
class _Decoder:
    name: str
    indexed: list[tuple[str, Callable[[str], Any]]]
    data_names: list[str]
    data_types: tuple[str, ...]
    needs_norm: bool
    #: When every data value is one static word: readers per word (the eth_abi result, sliced directly).
    words: list[tuple[str, Callable[[str], Any]]] | None

    def args(self, topics: list[str], data: str, exact: bool = False) -> dict[str, Any]:
        if len(topics) != len(self.indexed) + 1:
            raise IndexerError(f"{self.name}: expected {len(self.indexed) + 1} topics, got {len(topics)}")
        out = {name: read(topic) for (name, read), topic in zip(self.indexed, topics[1:], strict=True)}
        words = self.words
        if words is not None and not exact and len(data) == 2 + 64 * len(words):
            hex_data = data[2:].lower()
            for i, (name, read) in enumerate(words):
                out[name] = read(hex_data[64 * i : 64 * i + 64])
            return out
        if self.data_types:
            values = default_codec.decode(self.data_types, bytes.fromhex(data[2:]))
            if self.needs_norm:
                values = tuple(_norm(t, v) for t, v in zip(self.data_types, values, strict=True))
            out.update(zip(self.data_names, values, strict=True))
        return out


def _decoder(spec: EventSpec) -> _Decoder:
    types = tuple(t for _, t in spec.data)
    readers = [(n, _word_reader(t)) for n, t in spec.data]
    words = [(n, r) for n, r in readers if r is not None] if all(r for _, r in readers) else None
    return _Decoder(
        name=spec.name,
        indexed=[(n, _topic_reader(t)) for n, t in spec.indexed],
        data_names=[n for n, _ in spec.data],
        data_types=types,
        needs_norm=any(not t.startswith("uint") for t in types),
        words=words,
    )


class LogDecoder:
    """Decodes the logs of one contract ABI; unknown topics are an error (the ABI is out of date)."""

    def __init__(self, abi: ContractABI) -> None:
        self._by_topic = {"0x" + t.hex(): _decoder(spec) for t, spec in abi.events.items()}

    def topic0(self, name: str) -> str:
        for topic, dec in self._by_topic.items():
            if dec.name == name:
                return topic
        raise KeyError(name)

    def decode(self, log: dict[str, Any], exact: bool = False) -> Event:
        """One log; `exact` forces the general eth_abi path (used to check the fast path)."""
        topics: list[str] = [t.lower() for t in log["topics"]]
        if not topics:
            raise IndexerError(f"anonymous log in tx {log['transactionHash']} is not from HeitjeToken")
        dec = self._by_topic.get(topics[0])
        if dec is None:
            raise IndexerError(f"unknown event topic {topics[0]} in tx {log['transactionHash']}")
        return Event(
            name=dec.name,
            block_number=int(log["blockNumber"], 16),
            log_index=int(log["logIndex"], 16),
            tx_hash=log["transactionHash"].lower(),
            tx_index=int(log["transactionIndex"], 16),
            block_hash=log["blockHash"].lower(),
            topics=topics,
            data=log["data"].lower(),
            args=dec.args(topics, log["data"], exact),
        )

    def decode_all(self, logs: Iterable[dict[str, Any]]) -> list[Event]:
        events = [self.decode(log) for log in logs]
        events.sort(key=lambda e: (e.block_number, e.log_index))
        return events
