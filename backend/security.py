# SPDX-License-Identifier: EUPL-1.2
"""Secrets handling for the API: password and PIN hashes (argon2id), opaque tokens, login lookup hashes and
envelope encryption of personal data (AES-256-GCM data key per person, wrapped by a key derived from the
master key). Nothing here logs or returns plaintext secrets."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.errors import BackendError

_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)


class PersonalDataUnavailable(BackendError):
    status, code, title = 410, "personal-data-erased", "Personal data has been erased"


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored: str | None, candidate: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, candidate)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _derive(master_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"heitje", info=purpose).derive(master_key.encode())


def login_hash(master_key: str, login: str) -> str:
    """Stable lookup key for a login (e-mail), without keeping the address in clear."""
    key = _derive(master_key, b"heitje/login-lookup")
    return hmac.new(key, login.strip().lower().encode(), hashlib.sha256).hexdigest()


def seal_personal_data(master_key: str, data: dict[str, Any]) -> tuple[bytes, bytes]:
    """Encrypt `data` under a fresh data key; returns (wrapped data key, ciphertext)."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, json.dumps(data).encode(), b"heitje/pii")
    wrap_nonce = os.urandom(12)
    kek = _derive(master_key, b"heitje/pii-kek")
    wrapped = wrap_nonce + AESGCM(kek).encrypt(wrap_nonce, data_key, b"heitje/pii-key")
    return wrapped, ciphertext


def open_personal_data(master_key: str, wrapped: bytes | None, ciphertext: bytes | None) -> dict[str, Any]:
    if not wrapped or not ciphertext:
        raise PersonalDataUnavailable("personal data has been erased")
    kek = _derive(master_key, b"heitje/pii-kek")
    try:
        data_key = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], b"heitje/pii-key")
        plain = AESGCM(data_key).decrypt(ciphertext[:12], ciphertext[12:], b"heitje/pii")
    except InvalidTag as exc:
        raise BackendError("personal data cannot be decrypted with the configured master key") from exc
    result: dict[str, Any] = json.loads(plain)
    return result
