# SPDX-License-Identifier: EUPL-1.2
"""Failures of the custodial keystore."""

from __future__ import annotations

from backend.errors import BackendError


class KeystoreError(BackendError):
    """Base of every custodial-keystore failure."""

    status, code, title = 500, "keystore-error", "Custodial keystore failure"


class WrongMasterKeyError(KeystoreError):
    """The configured master key is not the one that wrapped the stored data keys."""

    code, title = "wrong-master-key", "The master key does not match the keystore"


class UnknownAccountError(KeystoreError):
    status, code, title = 404, "unknown-account", "No custodial key for this address"


class AccountShreddedError(KeystoreError):
    """The account's data key was destroyed (GDPR erasure): it can never sign again."""

    status, code, title = 410, "account-shredded", "This account's key was destroyed"


class InvalidMasterKeyError(KeystoreError):
    code, title = "invalid-master-key", "The master key setting is empty or unusable"
