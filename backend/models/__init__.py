# SPDX-License-Identifier: EUPL-1.2
"""The backend's tables. Each module owns its tables and its Alembic branch."""

from backend.models import accounts, audit, idempotency, money, participants, tasks  # noqa: F401
