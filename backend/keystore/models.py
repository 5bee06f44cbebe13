# SPDX-License-Identifier: EUPL-1.2
"""The custodial keystore's table: one row per server-generated citizen or merchant key.

The private key is encrypted with its own AES-256-GCM data key; the data key is stored only wrapped by the
master key (envelope encryption). Shredding deletes both ciphertexts, so the key is gone for good.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from heitje.db import Base


class CustodialKey(Base):
    __tablename__ = "keystore_accounts"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: AES-256-GCM(data key, private key), 12-byte nonce prepended; NULL once shredded.
    encrypted_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: AES-256-GCM(master key, data key), 12-byte nonce prepended; NULL once shredded.
    wrapped_data_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Fingerprint of the master key that wrapped the data key (not secret; tells a wrong key apart).
    master_key_id: Mapped[str] = mapped_column(String(16))
    #: Next EIP-712 authorization nonce (the contract's nonces are a bitmap: sequential is cheapest).
    next_auth_nonce: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    shredded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:  # never show ciphertexts either
        return f"CustodialKey({self.address}, {self.kind}, shredded={self.shredded_at is not None})"
