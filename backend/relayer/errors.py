# SPDX-License-Identifier: EUPL-1.2
"""Failures of the relayer (transaction manager)."""

from __future__ import annotations

from backend.errors import BackendError


class RelayerError(BackendError):
    """Base of every relayer failure."""

    status, code, title = 500, "relayer-error", "Transaction manager failure"


class DuplicateIntentError(RelayerError):
    """The business key is already used by an intent with another action or other arguments."""

    status, code, title = 409, "duplicate-intent", "The business key was used for a different request"


class InvalidIntentError(RelayerError):
    """Unknown action, or arguments that do not fit the contract function."""

    status, code, title = 422, "invalid-intent", "The requested chain action is not valid"


class NotLeaderError(RelayerError):
    """Another relayer holds the leader lock for this chain."""

    code, title = "not-leader", "Another relayer is the leader for this chain"
