# SPDX-License-Identifier: EUPL-1.2
"""The relayer (transaction manager): the outbox API services call, and the worker that sends intents.

from backend.relayer import enqueue, get_intent
enqueue(session, business_key=f"task:{task_id}", action="mintForTask",
        args={"citizen": address, "amount": 250, "taskId": task_id})
"""

from backend.relayer.actions import ACTION_ROLES
from backend.relayer.errors import DuplicateIntentError, InvalidIntentError, NotLeaderError, RelayerError
from backend.relayer.models import FAILED, INTENT_STATUSES, MINED, QUEUED, SENT, SIGNED, Intent
from backend.relayer.outbox import enqueue, get_intent

__all__ = [
    "ACTION_ROLES",
    "FAILED",
    "INTENT_STATUSES",
    "MINED",
    "QUEUED",
    "SENT",
    "SIGNED",
    "DuplicateIntentError",
    "Intent",
    "InvalidIntentError",
    "NotLeaderError",
    "RelayerError",
    "enqueue",
    "get_intent",
]
