# SPDX-License-Identifier: EUPL-1.2
"""Custodial keystore: envelope encryption, wrong master key, shredding, rotation, nonces, no key leaks."""

from __future__ import annotations

import logging
import os
import threading

import pytest
from eth_keys import keys
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend import keystore
from backend.keystore import MasterKey
from backend.keystore.models import CustodialKey
from heitje.db import unit_of_work

DB = tuple[Engine, sessionmaker[Session]]
MASTER = MasterKey.from_bytes(bytes(range(32)))
OTHER = MasterKey.from_bytes(bytes(range(1, 33)))
DIGEST = bytes.fromhex("11" * 32)


def _recover(digest: bytes, v: int, r: bytes, s: bytes) -> str:
    sig = keys.Signature(vrs=(v - 27, int.from_bytes(r, "big"), int.from_bytes(s, "big")))
    return str(sig.recover_public_key_from_msg_hash(digest).to_checksum_address())


def test_created_account_signs_digests_that_recover_to_its_address(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        address = keystore.create_account(s, "citizen", master=MASTER)
    with unit_of_work(sf) as s:
        v, r, sig_s = keystore.sign_digest(s, address, DIGEST, master=MASTER)
    assert v in (27, 28)
    assert _recover(DIGEST, v, r, sig_s) == address


def test_each_account_has_its_own_data_key(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        a = keystore.create_account(s, "citizen", master=MASTER)
        b = keystore.create_account(s, "merchant", master=MASTER)
        rows = {r.address: r for r in s.scalars(select(CustodialKey))}
    assert a != b
    assert rows[a].wrapped_data_key != rows[b].wrapped_data_key
    assert rows[a].encrypted_key is not None
    assert len(rows[a].encrypted_key) == 12 + 32 + 16


def test_wrong_master_key_fails_clearly(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        address = keystore.create_account(s, "citizen", master=MASTER)
    with unit_of_work(sf) as s, pytest.raises(keystore.WrongMasterKeyError, match="master key"):
        keystore.sign_digest(s, address, DIGEST, master=OTHER)


def test_tampered_wrapped_key_under_the_right_fingerprint_fails_clearly(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        a = keystore.create_account(s, "citizen", master=MASTER)
        b = keystore.create_account(s, "citizen", master=MASTER)
        row_a, row_b = s.get(CustodialKey, a), s.get(CustodialKey, b)
        assert row_a is not None
        assert row_b is not None
        row_a.wrapped_data_key = row_b.wrapped_data_key  # a swapped row must not sign for another address
    with unit_of_work(sf) as s, pytest.raises(keystore.WrongMasterKeyError):
        keystore.sign_digest(s, a, DIGEST, master=MASTER)


def test_shredded_account_cannot_sign_or_allocate_nonces(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        address = keystore.create_account(s, "citizen", master=MASTER)
    with unit_of_work(sf) as s:
        keystore.shred(s, address)
    with unit_of_work(sf) as s:
        row = s.get(CustodialKey, address)
        assert row is not None
        assert row.encrypted_key is None
        assert row.wrapped_data_key is None
        with pytest.raises(keystore.AccountShreddedError):
            keystore.sign_digest(s, address, DIGEST, master=MASTER)
        with pytest.raises(keystore.AccountShreddedError):
            keystore.allocate_nonce(s, address)


def test_rotation_keeps_addresses_and_only_the_new_key_signs(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        addresses = [keystore.create_account(s, "citizen", master=MASTER) for _ in range(5)]
        shredded = keystore.create_account(s, "merchant", master=MASTER)
        keystore.shred(s, shredded)
    with unit_of_work(sf) as s:
        assert keystore.rotate_master_key(s, MASTER, OTHER, batch=2) == 5
    with unit_of_work(sf) as s:
        assert sorted(s.scalars(select(CustodialKey.address).where(CustodialKey.kind == "citizen"))) == sorted(
            addresses
        )
        for address in addresses:
            v, r, sig_s = keystore.sign_digest(s, address, DIGEST, master=OTHER)
            assert _recover(DIGEST, v, r, sig_s) == address
        with pytest.raises(keystore.WrongMasterKeyError):
            keystore.sign_digest(s, addresses[0], DIGEST, master=MASTER)
        # Running the rotation again is harmless (an interrupted rotation can be resumed).
        assert keystore.rotate_master_key(s, MASTER, OTHER) == 0


def test_allocate_nonce_is_sequential_under_concurrency(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        address = keystore.create_account(s, "citizen", master=MASTER)
    got: list[int] = []
    guard = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            with unit_of_work(sf) as s:
                n = keystore.allocate_nonce(s, address)
            with guard:
                got.append(n)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(100))


def test_master_key_accepts_base64_or_a_passphrase() -> None:
    encoded = MasterKey.generate()
    assert encoded.startswith("base64:")
    assert MasterKey.from_secret(encoded).key_id == MasterKey.from_secret(encoded).key_id
    assert MasterKey.from_secret("correct horse battery staple").key_id != MasterKey.from_secret("other").key_id
    with pytest.raises(keystore.InvalidMasterKeyError):
        MasterKey.from_secret("base64:c2hvcnQ=")
    with pytest.raises(keystore.InvalidMasterKeyError):
        MasterKey.from_secret("")


def test_no_key_material_in_repr_or_logs(db: DB, caplog: pytest.LogCaptureFixture) -> None:
    _, sf = db
    raw = os.urandom(32)
    master = MasterKey.from_bytes(raw)
    assert raw.hex() not in repr(master)
    assert "_key" not in repr(master)
    caplog.set_level(logging.DEBUG)
    with unit_of_work(sf) as s:
        address = keystore.create_account(s, "citizen", master=master)
        keystore.sign_digest(s, address, DIGEST, master=master)
        row = s.get(CustodialKey, address)
        assert row is not None
        assert row.encrypted_key is not None
        assert row.encrypted_key.hex() not in repr(row)
        secret_hexes = {raw.hex(), row.encrypted_key.hex()}
    assert not any(h in caplog.text for h in secret_hexes)


def test_unknown_kind_and_unknown_account_are_refused(db: DB) -> None:
    _, sf = db
    with unit_of_work(sf) as s:
        with pytest.raises(keystore.KeystoreError):
            keystore.create_account(s, "officer", master=MASTER)
        with pytest.raises(keystore.UnknownAccountError):
            keystore.sign_digest(s, "0x" + "12" * 20, DIGEST, master=MASTER)
