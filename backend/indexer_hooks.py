# SPDX-License-Identifier: EUPL-1.2
"""Backend reactions to indexed pages, run by the indexer inside each page's transaction (see
`indexer.bootstrap.HOOK_MODULES`). Raising rolls the page back, so these must only fail on real errors.

Other backend parts add their own handler to `PAGE_HANDLERS` / `ROLLBACK_HANDLERS` (module, function)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

#: (module, function) called with (session, events) for every committed page.
PAGE_HANDLERS: tuple[tuple[str, str], ...] = (
    ("backend.services.tasks", "mark_paid"),
    ("backend.services.chain_sync", "on_page"),
)
#: (module, function) called with (session, ancestor_block) after a reorg rollback.
ROLLBACK_HANDLERS: tuple[tuple[str, str], ...] = (
    ("backend.services.tasks", "unmark_paid"),
    ("backend.services.chain_sync", "on_rollback"),
)


def _call(handlers: tuple[tuple[str, str], ...], session: Session, arg: Any) -> None:
    for module, function in handlers:
        getattr(importlib.import_module(module), function)(session, arg)


def on_page_committed(session: Session, events: Sequence[Any]) -> None:
    _call(PAGE_HANDLERS, session, events)


def on_rollback(session: Session, ancestor_block: int) -> None:
    _call(ROLLBACK_HANDLERS, session, ancestor_block)
