# SPDX-License-Identifier: EUPL-1.2
"""EIP-712 digests of the contract's signed authorizations, and helpers that have a custodial account sign
one with a fresh sequential nonce, ready to `enqueue`.

Domain: name "Heerlens Heitje", version "1", the chain id and the token's address.
"""

from __future__ import annotations

import time
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from sqlalchemy.orm import Session

from backend import keystore

DOMAIN_NAME = "Heerlens Heitje"
DOMAIN_VERSION = "1"
_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
TRANSFER_TYPEHASH = keccak(
    text="TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,"
    "uint256 validBefore,uint256 nonce,bytes32 paymentRef)"
)
REDEMPTION_TYPEHASH = keccak(
    text="RedemptionWithAuthorization(address merchant,uint256 value,uint256 validAfter,"
    "uint256 validBefore,uint256 nonce,bytes32 payoutId)"
)
#: Default validity of an authorization: long enough to survive a relayer or node restart.
DEFAULT_VALID_FOR = 24 * 3600


def domain_separator(chain_id: int, contract: str) -> bytes:
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                _DOMAIN_TYPEHASH,
                keccak(text=DOMAIN_NAME),
                keccak(text=DOMAIN_VERSION),
                chain_id,
                to_checksum_address(contract),
            ],
        )
    )


def _digest(chain_id: int, contract: str, struct_hash: bytes) -> bytes:
    return keccak(b"\x19\x01" + domain_separator(chain_id, contract) + struct_hash)


def _b32(value: bytes | str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else value
    if len(raw) != 32:
        raise ValueError("a bytes32 value is exactly 32 bytes")
    return raw


def transfer_digest(
    chain_id: int,
    contract: str,
    *,
    from_: str,
    to: str,
    value: int,
    valid_after: int,
    valid_before: int,
    nonce: int,
    payment_ref: bytes | str,
) -> bytes:
    """The EIP-712 digest a payer (citizen, or merchant for a refund) signs for transferWithAuthorization."""
    struct_hash = keccak(
        encode(
            ["bytes32", "address", "address", "uint256", "uint256", "uint256", "uint256", "bytes32"],
            [
                TRANSFER_TYPEHASH,
                to_checksum_address(from_),
                to_checksum_address(to),
                value,
                valid_after,
                valid_before,
                nonce,
                _b32(payment_ref),
            ],
        )
    )
    return _digest(chain_id, contract, struct_hash)


def redemption_digest(
    chain_id: int,
    contract: str,
    *,
    merchant: str,
    value: int,
    valid_after: int,
    valid_before: int,
    nonce: int,
    payout_id: bytes | str,
) -> bytes:
    """The EIP-712 digest a merchant signs for requestRedemptionWithAuthorization."""
    struct_hash = keccak(
        encode(
            ["bytes32", "address", "uint256", "uint256", "uint256", "uint256", "bytes32"],
            [
                REDEMPTION_TYPEHASH,
                to_checksum_address(merchant),
                value,
                valid_after,
                valid_before,
                nonce,
                _b32(payout_id),
            ],
        )
    )
    return _digest(chain_id, contract, struct_hash)


def _window(valid_for: int, now: int | None) -> tuple[int, int]:
    now = int(time.time()) if now is None else now
    # validAfter is exclusive and block time can trail the wall clock a little.
    return now - 120, now + valid_for


def sign_transfer(
    session: Session,
    chain_id: int,
    contract: str,
    *,
    from_: str,
    to: str,
    value: int,
    payment_ref: bytes | str,
    valid_for: int = DEFAULT_VALID_FOR,
    now: int | None = None,
) -> dict[str, Any]:
    """Allocate the payer's next nonce, sign with its custodial key and return the `args` for
    `enqueue(action="transferWithAuthorization")`. Runs in the caller's transaction."""
    valid_after, valid_before = _window(valid_for, now)
    nonce = keystore.allocate_nonce(session, from_)
    ref = "0x" + _b32(payment_ref).hex()
    digest = transfer_digest(
        chain_id,
        contract,
        from_=from_,
        to=to,
        value=value,
        valid_after=valid_after,
        valid_before=valid_before,
        nonce=nonce,
        payment_ref=ref,
    )
    v, r, s = keystore.sign_digest(session, from_, digest)
    return {
        "from": to_checksum_address(from_),
        "to": to_checksum_address(to),
        "value": value,
        "validAfter": valid_after,
        "validBefore": valid_before,
        "nonce": nonce,
        "paymentRef": ref,
        "v": v,
        "r": "0x" + r.hex(),
        "s": "0x" + s.hex(),
    }


def sign_redemption(
    session: Session,
    chain_id: int,
    contract: str,
    *,
    merchant: str,
    value: int,
    payout_id: bytes | str,
    valid_for: int = DEFAULT_VALID_FOR,
    now: int | None = None,
) -> dict[str, Any]:
    """As `sign_transfer`, for `enqueue(action="requestRedemptionWithAuthorization")`."""
    valid_after, valid_before = _window(valid_for, now)
    nonce = keystore.allocate_nonce(session, merchant)
    pid = "0x" + _b32(payout_id).hex()
    digest = redemption_digest(
        chain_id,
        contract,
        merchant=merchant,
        value=value,
        valid_after=valid_after,
        valid_before=valid_before,
        nonce=nonce,
        payout_id=pid,
    )
    v, r, s = keystore.sign_digest(session, merchant, digest)
    return {
        "merchant": to_checksum_address(merchant),
        "value": value,
        "validAfter": valid_after,
        "validBefore": valid_before,
        "nonce": nonce,
        "payoutId": pid,
        "v": v,
        "r": "0x" + r.hex(),
        "s": "0x" + s.hex(),
    }
