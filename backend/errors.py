# SPDX-License-Identifier: EUPL-1.2
"""The backend's root exception and its failures. HTTP status is chosen only at the API edge
(`backend.api.problems`), from the `status` class attribute."""

from __future__ import annotations

from typing import Any


class BackendError(Exception):
    """Base of every business failure. `code` names the problem type; `detail` is safe to show to users."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)


class ValidationFailed(BackendError):
    status, code, title = 422, "validation-failed", "The request is not valid"


class Unauthenticated(BackendError):
    status, code, title = 401, "unauthenticated", "Authentication required"


class Forbidden(BackendError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(BackendError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(BackendError):
    status, code, title = 409, "conflict", "Conflicts with the current state"


class IdempotencyMismatch(Conflict):
    code, title = "idempotency-key-reused", "Idempotency-Key was used with a different request"


class RateLimited(BackendError):
    status, code, title = 429, "rate-limited", "Too many attempts"


class Locked(BackendError):
    status, code, title = 423, "locked", "Temporarily locked after repeated failures"


class PayloadTooLarge(BackendError):
    status, code, title = 413, "payload-too-large", "The request body is too large"


class UnsupportedMedia(BackendError):
    status, code, title = 415, "unsupported-media-type", "Unsupported file type"


class ServiceUnavailable(BackendError):
    status, code, title = 503, "unavailable", "Temporarily unavailable"


class LedgerPaused(ServiceUnavailable):
    code, title = (
        "ledger-paused",
        "The ledger is paused by the municipality; payments and payouts are on hold",
    )
