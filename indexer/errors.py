# SPDX-License-Identifier: EUPL-1.2
"""The indexer's exceptions: one root, one subclass per failure."""

from __future__ import annotations


class IndexerError(Exception):
    """Base of every error raised by the indexer."""


class NodeError(IndexerError):
    """The JSON-RPC node kept failing after the retries were spent."""


class InconsistentPageError(IndexerError):
    """The node returned logs and headers from different forks: the page is fetched again."""


class ReorgTooDeepError(IndexerError):
    """No common ancestor between the mirror and the chain was found in the stored blocks."""


class StateError(IndexerError):
    """The database does not match what the indexer expects (wrong contract, data beyond the cursor)."""


class ReconcileError(IndexerError):
    """Reconciliation could not run (it does not mean a difference was found)."""
