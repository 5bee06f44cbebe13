# SPDX-License-Identifier: EUPL-1.2
"""Proof photos: the type is taken from the file's own bytes (never from the name or the client's header),
the image must decode, and it is stored outside the database under its SHA-256."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.errors import PayloadTooLarge, UnsupportedMedia, ValidationFailed
from backend.models.tasks import Claim
from heitje.settings import Settings

MAX_PIXELS = 50_000_000  # well above any phone camera, well below a decompression bomb
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def sniff(data: bytes) -> str | None:
    """The media type by magic bytes: JPEG, PNG or WebP, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(data: bytes, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the photo is larger than {max_bytes // 1024} kB")
    if not data:
        raise ValidationFailed("the photo is empty", field="photo")
    media_type = sniff(data)
    if media_type is None:
        raise UnsupportedMedia("a photo must be a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format != PIL_FORMATS[media_type]:
                    raise ValidationFailed("the photo's content does not match its type", field="photo")
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise ValidationFailed("the photo has too many pixels", field="photo")
                img.verify()
    except ValidationFailed:
        raise
    except Exception as exc:  # Pillow raises many types for broken files
        raise ValidationFailed("the photo cannot be read as an image", field="photo") from exc
    return media_type


def upload_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def path_for(settings: Settings, digest: str) -> Path:
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise ValueError("not a SHA-256 hex digest")
    return upload_dir(settings) / digest[:2] / digest


def store(settings: Settings, data: bytes) -> str:
    """Write the bytes under their SHA-256 (atomically, once); returns the digest."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(settings, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def read(settings: Settings, digest: str) -> bytes:
    return path_for(settings, digest).read_bytes()


def delete_if_unused(session: Session, settings: Settings, digest: str) -> None:
    """Remove a photo file that no claim refers to any more (GDPR erasure)."""
    users = session.scalar(select(func.count()).select_from(Claim).where(Claim.photo_sha256 == digest))
    if not users:
        path_for(settings, digest).unlink(missing_ok=True)
