# SPDX-License-Identifier: EUPL-1.2
"""Envelope encryption for custodial keys: AES-256-GCM with a fresh data key per account, the data key
wrapped by the master key. Key bytes stay inside this package; nothing here logs or prints them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eth_keys import keys

from backend.keystore.errors import InvalidMasterKeyError, KeystoreError, WrongMasterKeyError

NONCE_BYTES = 12
#: Fixed, public salt: a passphrase master key must map to the same 32 bytes in every process.
_PASSPHRASE_SALT = b"heitje/keystore/master-key/v1"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


@dataclass(frozen=True)
class MasterKey:
    """A 32-byte key-encryption key. `key_id` is a public fingerprint stored next to every wrapped key."""

    _key: bytes = field(repr=False)
    key_id: str

    def __repr__(self) -> str:
        return f"MasterKey(id={self.key_id})"

    @classmethod
    def from_secret(cls, secret: str) -> MasterKey:
        """`base64:<44 chars>` (32 random bytes, recommended) or a passphrase stretched with scrypt."""
        if not secret:
            raise InvalidMasterKeyError("HEITJE_MASTER_KEY is empty")
        if secret.startswith("base64:"):
            try:
                raw = base64.b64decode(secret.removeprefix("base64:"), validate=True)
            except binascii.Error as exc:
                raise InvalidMasterKeyError("HEITJE_MASTER_KEY is not valid base64") from exc
            if len(raw) != 32:
                raise InvalidMasterKeyError("a base64 master key must decode to exactly 32 bytes")
            return cls.from_bytes(raw)
        raw = hashlib.scrypt(
            secret.encode(), salt=_PASSPHRASE_SALT, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, maxmem=2**26, dklen=32
        )
        return cls.from_bytes(raw)

    @classmethod
    def from_bytes(cls, raw: bytes) -> MasterKey:
        if len(raw) != 32:
            raise InvalidMasterKeyError("a master key is 32 bytes")
        key_id = hmac.new(raw, b"heitje/keystore/master-key-id", hashlib.sha256).hexdigest()[:16]
        return cls(raw, key_id)

    @staticmethod
    def generate() -> str:
        """A new random master key in the `base64:` form the settings accept."""
        return "base64:" + base64.b64encode(os.urandom(32)).decode()

    def wrap(self, data_key: bytes, address: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self._key).encrypt(nonce, data_key, _aad("data-key", address))

    def unwrap(self, wrapped: bytes, address: str, stored_key_id: str) -> bytes:
        if stored_key_id != self.key_id:
            raise WrongMasterKeyError(
                f"account {address} is wrapped by master key {stored_key_id}, but the configured master key "
                f"is {self.key_id}: set HEITJE_MASTER_KEY to the key in use (or finish the rotation)"
            )
        try:
            return AESGCM(self._key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad("data-key", address))
        except InvalidTag as exc:
            raise WrongMasterKeyError(f"the data key of {address} does not open with the master key") from exc


def _aad(purpose: str, address: str) -> bytes:
    # Binding ciphertexts to their address stops a swapped row from signing for another account.
    return f"heitje/keystore/{purpose}/{address.lower()}".encode()


@dataclass(frozen=True)
class SealedKey:
    address: str
    encrypted_key: bytes
    wrapped_data_key: bytes
    master_key_id: str


def generate_sealed_key(master: MasterKey) -> SealedKey:
    """Create a secp256k1 key and seal it; only the address and ciphertexts leave this function."""
    while True:
        secret = os.urandom(32)
        try:
            private = keys.PrivateKey(secret)
        except Exception:  # noqa: S112 - out of the curve order (probability ~2^-128): draw again
            continue
        break
    address = private.public_key.to_checksum_address()
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    encrypted = nonce + AESGCM(data_key).encrypt(nonce, secret, _aad("private-key", address))
    return SealedKey(address, encrypted, master.wrap(data_key, address), master.key_id)


def sign_with_sealed_key(
    master: MasterKey, address: str, encrypted_key: bytes, wrapped_data_key: bytes, master_key_id: str, digest: bytes
) -> tuple[int, bytes, bytes]:
    """Open the key just long enough to sign a 32-byte digest; returns (v, r, s) with v in {27, 28}."""
    if len(digest) != 32:
        raise KeystoreError("a digest to sign is 32 bytes")
    data_key = master.unwrap(wrapped_data_key, address, master_key_id)
    try:
        secret = AESGCM(data_key).decrypt(
            encrypted_key[:NONCE_BYTES], encrypted_key[NONCE_BYTES:], _aad("private-key", address)
        )
    except InvalidTag as exc:
        raise KeystoreError(f"the stored key of {address} is damaged") from exc
    private = keys.PrivateKey(secret)
    if private.public_key.to_checksum_address() != address:
        raise KeystoreError(f"the stored key does not belong to {address}")
    sig = private.sign_msg_hash(digest)
    del secret, private, data_key
    return sig.v + 27, sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big")


def rewrap(old: MasterKey, new: MasterKey, wrapped: bytes, address: str, stored_key_id: str) -> bytes:
    return new.wrap(old.unwrap(wrapped, address, stored_key_id), address)
