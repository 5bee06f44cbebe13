# SPDX-License-Identifier: EUPL-1.2
"""Custodial keystore for citizen and merchant accounts (envelope encryption, see docs/operations.md)."""

from backend.keystore.crypto import MasterKey
from backend.keystore.errors import (
    AccountShreddedError,
    InvalidMasterKeyError,
    KeystoreError,
    UnknownAccountError,
    WrongMasterKeyError,
)
from backend.keystore.service import (
    account_count,
    allocate_nonce,
    create_account,
    master_key,
    rotate_master_key,
    shred,
    sign_digest,
)

__all__ = [
    "AccountShreddedError",
    "InvalidMasterKeyError",
    "KeystoreError",
    "MasterKey",
    "UnknownAccountError",
    "WrongMasterKeyError",
    "account_count",
    "allocate_nonce",
    "create_account",
    "master_key",
    "rotate_master_key",
    "shred",
    "sign_digest",
]
