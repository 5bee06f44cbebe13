"""backend_tasks: tasks, claims, platform settings; leaderboard consent on citizens

Revision ID: backend_1001
Revises:
Create Date: 2026-11-29
"""

# SPDX-License-Identifier: EUPL-1.2
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "backend_1001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("backend_tasks",)
depends_on: str | Sequence[str] | None = "backend_0002"


def upgrade() -> None:
    with op.batch_alter_table("citizens") as batch:
        batch.add_column(sa.Column("leaderboard_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("neighbourhood", sa.String(length=4), nullable=False),
        sa.Column("lat", sa.Numeric(9, 6), nullable=False),
        sa.Column("lon", sa.Numeric(9, 6), nullable=False),
        sa.Column("reward_cents", sa.Numeric(12, 0), nullable=False),
        sa.Column("estimated_minutes", sa.Integer(), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("claim_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_hours", sa.Integer(), nullable=False),
        sa.Column("kit_note", sa.String(length=500), nullable=False),
        sa.Column("extra_work", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_tasks_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_category"), "tasks", ["category"], unique=False)
    op.create_index(op.f("ix_tasks_neighbourhood"), "tasks", ["neighbourhood"], unique=False)
    op.create_index(op.f("ix_tasks_status"), "tasks", ["status"], unique=False)
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("photo_type", sa.String(length=16), nullable=True),
        sa.Column("photo_bytes", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.String(length=500), nullable=True),
        sa.Column("reward_cents", sa.Numeric(12, 0), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_tx_hash", sa.String(length=66), nullable=True),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_claims_citizen_id_citizens")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_claims_decided_by_users")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_claims_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    op.create_index(op.f("ix_claims_citizen_id"), "claims", ["citizen_id"], unique=False)
    op.create_index(op.f("ix_claims_status"), "claims", ["status"], unique=False)
    op.create_index("ix_claims_task_id_status", "claims", ["task_id", "status"], unique=False)
    op.create_table(
        "platform_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_platform_settings")),
    )


def downgrade() -> None:
    op.drop_table("platform_settings")
    op.drop_index("ix_claims_task_id_status", table_name="claims")
    op.drop_index(op.f("ix_claims_status"), table_name="claims")
    op.drop_index(op.f("ix_claims_citizen_id"), table_name="claims")
    op.drop_table("claims")
    op.drop_index(op.f("ix_tasks_status"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_neighbourhood"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_category"), table_name="tasks")
    op.drop_table("tasks")
    with op.batch_alter_table("citizens") as batch:
        batch.drop_column("leaderboard_opt_in")
