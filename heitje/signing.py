# SPDX-License-Identifier: EUPL-1.2
"""The `Signer` interface for municipal keys (issuer/relayer, registrar, settler, pauser, recovery, admin).

Development keeps each key in a local encrypted keystore (Web3 Secret Storage: scrypt + AES-128-CTR)
unlocked with HEITJE_KEYSTORE_PASSWORD. Production plugs a KMS, an HSM or Web3Signer in behind the same two
members; see docs/operations.md. A signer never exposes its private key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import Hash32
from eth_utils import to_checksum_address

from heitje.errors import ConfigurationError
from heitje.settings import DEV_MNEMONIC, Settings

Account.enable_unaudited_hdwallet_features()

#: Operational roles, in the order of the dev keys (anvil's mnemonic, index 0..5).
ROLE_NAMES = ("admin", "issuer", "registrar", "settler", "pauser", "recovery")


@runtime_checkable
class Signer(Protocol):
    """Signs transactions for one address. Implementations keep the key to themselves."""

    @property
    def address(self) -> str: ...

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        """Return the signed raw transaction (EIP-2718 envelope) for a complete `tx` dict."""
        ...


@runtime_checkable
class TypedDataSigner(Signer, Protocol):
    """A signer that can also sign an EIP-712 digest (needed only for off-chain authorizations)."""

    def sign_typed_hash(self, digest: bytes) -> tuple[int, bytes, bytes]: ...


class LocalKeySigner:
    """Holds a decrypted key in process memory: the local implementation of `Signer`."""

    __slots__ = ("_account",)

    def __init__(self, account: LocalAccount) -> None:
        self._account = account

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        return bytes(self._account.sign_transaction(tx).raw_transaction)

    def sign_typed_hash(self, digest: bytes) -> tuple[int, bytes, bytes]:
        """Sign an EIP-712 digest; returns (v, r, s)."""
        sig = self._account.unsafe_sign_hash(Hash32(digest))
        return sig.v, sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big")

    def __repr__(self) -> str:  # never print key material
        return f"LocalKeySigner({self.address})"

    @classmethod
    def from_keystore(cls, path: Path, password: str) -> LocalKeySigner:
        try:
            data = json.loads(path.read_text())
            key = Account.decrypt(data, password)
        except FileNotFoundError as exc:
            raise ConfigurationError(f"keystore not found: {path}") from exc
        except ValueError as exc:
            raise ConfigurationError(f"cannot unlock keystore {path.name}: wrong password or damaged file") from exc
        return cls(Account.from_key(key))


def dev_account(index: int) -> LocalAccount:
    """Key `index` of anvil's public development mnemonic. Development and tests only."""
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def keystore_path(settings: Settings, role: str) -> Path:
    return settings.keystore_dir / f"{role}.keystore.json"


def write_keystore(path: Path, account: LocalAccount, password: str, scrypt_n: int = 2**14) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encrypted = Account.encrypt(account.key, password, kdf="scrypt", iterations=scrypt_n)
    path.write_text(json.dumps(encrypted))
    path.chmod(0o600)


def ensure_dev_keystores(settings: Settings) -> None:
    """Write keystores for the dev keys (development only) if they are missing."""
    if not settings.is_dev:
        raise ConfigurationError("dev keys are refused outside development")
    password = settings.keystore_password.get_secret_value()
    for index, role in enumerate(ROLE_NAMES):
        path = keystore_path(settings, role)
        if not path.exists():
            write_keystore(path, dev_account(index), password)


def keystore_address(path: Path) -> str | None:
    """The address a keystore file declares, read without unlocking it (None if there is no file)."""
    if not path.exists():
        return None
    address = json.loads(path.read_text()).get("address")
    return str(to_checksum_address(address)) if address else None


def new_role_key(settings: Settings, role: str, private_key: bytes | None = None, force: bool = False) -> str:
    """Write a keystore for `role` holding a new random key (or `private_key`); returns the address.

    Refuses to overwrite an existing keystore unless `force`: a lost role key means a role hand-over.
    """
    if role not in ROLE_NAMES:
        raise ConfigurationError(f"unknown role {role!r}")
    path = keystore_path(settings, role)
    if path.exists() and not force:
        raise ConfigurationError(f"{path} exists; pass force to replace it")
    account = Account.from_key(private_key) if private_key is not None else Account.create()
    write_keystore(path, account, settings.keystore_password.get_secret_value())
    return str(account.address)


def load_signer(settings: Settings, role: str) -> LocalKeySigner:
    """The signer for an operational role, from its keystore; in development dev keystores are created."""
    if role not in ROLE_NAMES:
        raise ConfigurationError(f"unknown role {role!r}")
    path = keystore_path(settings, role)
    if settings.is_dev and not path.exists():
        ensure_dev_keystores(settings)
    return LocalKeySigner.from_keystore(path, settings.keystore_password.get_secret_value())
