# SPDX-License-Identifier: EUPL-1.2
"""The custodial keystore's API for the rest of the backend. Every function works in the caller's session
(its unit of work); the key bytes never leave this package."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache

from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.keystore.crypto import MasterKey, generate_sealed_key, rewrap, sign_with_sealed_key
from backend.keystore.errors import AccountShreddedError, KeystoreError, UnknownAccountError
from backend.keystore.models import CustodialKey
from heitje.settings import get_settings

log = logging.getLogger(__name__)

KINDS = ("citizen", "merchant")
MasterKeyLike = MasterKey | SecretStr | str


@lru_cache(maxsize=4)
def _derive(secret: str) -> MasterKey:
    return MasterKey.from_secret(secret)


def master_key(value: MasterKeyLike | None = None) -> MasterKey:
    """The master key given, or the configured one (HEITJE_MASTER_KEY); passphrases are stretched once."""
    if isinstance(value, MasterKey):
        return value
    if value is None:
        value = get_settings().master_key
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return _derive(value)


def _normalise(address: str) -> str:
    from eth_utils import is_address, to_checksum_address

    if not is_address(address):
        raise UnknownAccountError(f"not an address: {address!r}")
    return str(to_checksum_address(address))


def create_account(session: Session, kind: str, *, master: MasterKeyLike | None = None) -> str:
    """Generate a key server-side, store it sealed and return its checksum address."""
    if kind not in KINDS:
        raise KeystoreError(f"unknown account kind {kind!r}; expected one of {KINDS}")
    mk = master_key(master)
    sealed = generate_sealed_key(mk)
    session.add(
        CustodialKey(
            address=sealed.address,
            kind=kind,
            encrypted_key=sealed.encrypted_key,
            wrapped_data_key=sealed.wrapped_data_key,
            master_key_id=sealed.master_key_id,
            next_auth_nonce=0,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    log.info("custodial %s account %s created", kind, sealed.address)
    return sealed.address


def _row(session: Session, address: str, *, lock: bool = False) -> CustodialKey:
    stmt = select(CustodialKey).where(CustodialKey.address == _normalise(address))
    if lock:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise UnknownAccountError(f"no custodial key for {address}")
    return row


def sign_digest(
    session: Session, address: str, digest: bytes, *, master: MasterKeyLike | None = None
) -> tuple[int, bytes, bytes]:
    """Sign a 32-byte digest (an EIP-712 hash) with the account's key; returns (v, r, s)."""
    row = _row(session, address)
    if row.shredded_at is not None or row.encrypted_key is None or row.wrapped_data_key is None:
        raise AccountShreddedError(f"the key of {row.address} was shredded and can never sign again")
    return sign_with_sealed_key(
        master_key(master), row.address, row.encrypted_key, row.wrapped_data_key, row.master_key_id, digest
    )


def allocate_nonce(session: Session, address: str) -> int:
    """Next EIP-712 authorization nonce of the account: sequential, allocated under a row lock."""
    addr = _normalise(address)
    allocated = session.execute(
        update(CustodialKey)
        .where(CustodialKey.address == addr, CustodialKey.shredded_at.is_(None))
        .values(next_auth_nonce=CustodialKey.next_auth_nonce + 1)
        .returning(CustodialKey.next_auth_nonce)
    ).scalar_one_or_none()
    if allocated is None:
        _row(session, addr)  # raises UnknownAccountError if missing
        raise AccountShreddedError(f"the key of {addr} was shredded and can never sign again")
    return int(allocated) - 1


def shred(session: Session, address: str) -> None:
    """Destroy the account's data key and encrypted key (GDPR erasure). The address stays as a tombstone."""
    row = _row(session, address, lock=True)
    row.encrypted_key = None
    row.wrapped_data_key = None
    if row.shredded_at is None:
        row.shredded_at = datetime.now(UTC)
    session.flush()
    log.info("custodial account %s shredded", row.address)


def rotate_master_key(session: Session, old: MasterKeyLike, new: MasterKeyLike, *, batch: int = 500) -> int:
    """Re-wrap every data key from `old` to `new` (addresses and encrypted keys unchanged); returns the count.

    Rows already wrapped by `new` are skipped, so an interrupted rotation can simply be run again.
    """
    old_key, new_key = master_key(old), master_key(new)
    if old_key.key_id == new_key.key_id:
        raise KeystoreError("the new master key equals the old one")
    count = 0
    last = ""
    while True:
        rows = session.scalars(
            select(CustodialKey)
            .where(
                CustodialKey.address > last,
                CustodialKey.wrapped_data_key.is_not(None),
                CustodialKey.master_key_id != new_key.key_id,
            )
            .order_by(CustodialKey.address)
            .limit(batch)
            .with_for_update()
        ).all()
        if not rows:
            break
        for row in rows:
            assert row.wrapped_data_key is not None
            row.wrapped_data_key = rewrap(old_key, new_key, row.wrapped_data_key, row.address, row.master_key_id)
            row.master_key_id = new_key.key_id
            last = row.address
        count += len(rows)
        session.flush()
    log.info("master key rotated to %s: %s data keys re-wrapped", new_key.key_id, count)
    return count


def account_count(session: Session) -> dict[str, int]:
    rows = session.execute(select(CustodialKey.master_key_id, func.count()).group_by(CustodialKey.master_key_id)).all()
    return {str(k): int(n) for k, n in rows}
