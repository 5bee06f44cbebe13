# SPDX-License-Identifier: EUPL-1.2
"""The public record: events with indexed ids, and every custom error covered by a test that names it.

The relayer and the indexer are built against these signatures; a change here is an interface change and
must be announced (docs/contract.md).
"""

from __future__ import annotations

import re
from pathlib import Path

from heitje.chain.client import Chain
from heitje.signing import LocalKeySigner, dev_account
from tests.contracts.ledger import Ledger, Operators, deploy_token

#: name → [(parameter, type, indexed)], as the indexer decodes them.
HEITJE_EVENTS: dict[str, list[tuple[str, str, bool]]] = {
    "CitizenEnrolled": [("account", "address", True), ("citizenId", "bytes32", True)],
    "MerchantEnrolled": [("account", "address", True)],
    "ParticipantSuspended": [("account", "address", True)],
    "ParticipantReinstated": [("account", "address", True)],
    "TaskRewarded": [("taskId", "uint256", True), ("citizen", "address", True), ("amount", "uint256", False)],
    "PaymentMade": [
        ("citizen", "address", True),
        ("merchant", "address", True),
        ("paymentRef", "bytes32", True),
        ("amount", "uint256", False),
        ("nonce", "uint256", False),
    ],
    "RefundMade": [
        ("merchant", "address", True),
        ("citizen", "address", True),
        ("paymentRef", "bytes32", True),
        ("amount", "uint256", False),
        ("nonce", "uint256", False),
    ],
    "RedemptionRequested": [("payoutId", "bytes32", True), ("merchant", "address", True), ("amount", "uint256", False)],
    "RedemptionSettled": [
        ("payoutId", "bytes32", True),
        ("merchant", "address", True),
        ("amount", "uint256", False),
        ("bankReference", "bytes32", False),
    ],
    "RedemptionRejected": [
        ("payoutId", "bytes32", True),
        ("merchant", "address", True),
        ("amount", "uint256", False),
        ("reason", "bytes32", False),
    ],
    "AccountRecovered": [("lost", "address", True), ("replacement", "address", True), ("amount", "uint256", False)],
    "YearlyCapChanged": [("previousCap", "uint256", False), ("newCap", "uint256", False)],
    "Paused": [("account", "address", False)],
    "Unpaused": [("account", "address", False)],
}

TESTS_DIR = Path(__file__).parent


def _abi_items(ledger: Ledger, kind: str) -> dict[str, list[dict[str, object]]]:
    return {item["name"]: item["inputs"] for item in ledger.abi.abi if item["type"] == kind}


def test_heitje_events_keep_their_signatures_and_indexed_ids(ledger: Ledger) -> None:
    events = _abi_items(ledger, "event")
    for name, params in HEITJE_EVENTS.items():
        actual = [(p["name"], p["type"], p["indexed"]) for p in events[name]]
        assert actual == params, name


def _test_sources() -> str:
    return "\n".join(p.read_text() for p in TESTS_DIR.glob("test_*.py") if p.name != Path(__file__).name)


def test_every_custom_error_is_asserted_by_name_somewhere(ledger: Ledger) -> None:
    sources = _test_sources()
    names = [n for n in _abi_items(ledger, "error") if n.startswith("Heitje")]
    assert len(names) >= 25
    missing = [n for n in names if not re.search(rf"[\"']{n}[\"']", sources)]
    assert missing == []


def test_every_heitje_event_is_asserted_somewhere(ledger: Ledger) -> None:
    sources = _test_sources()
    missing = [n for n in HEITJE_EVENTS if not re.search(rf"[\"']{n}[\"']", sources)]
    assert missing == []


def test_construction_emits_the_default_cap(chain: Chain, snapshot: None) -> None:
    address, rcpt = deploy_token(chain, LocalKeySigner(dev_account(0)), 0)
    token = Ledger(chain, address, Operators.dev())
    assert [e.args for e in token.receipt(rcpt).named("YearlyCapChanged")] == [{"previousCap": 0, "newCap": 150_000}]
