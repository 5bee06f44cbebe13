"""backend: citizens, merchants and merchant members

Revision ID: backend_0002
Revises: backend_0001
Create Date: 2026-11-29
"""

# SPDX-License-Identifier: EUPL-1.2
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "backend_0002"
down_revision: str | None = "backend_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "citizens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("citizen_id", sa.String(length=66), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=True),
        sa.Column("personal_data_id", sa.Integer(), nullable=False),
        sa.Column("postcode4", sa.String(length=4), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["personal_data_id"], ["personal_data.id"], name=op.f("fk_citizens_personal_data_id_personal_data")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_citizens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizens")),
        sa.UniqueConstraint("address", name=op.f("uq_citizens_address")),
        sa.UniqueConstraint("citizen_id", name=op.f("uq_citizens_citizen_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_citizens_user_id")),
    )
    op.create_index(op.f("ix_citizens_postcode4"), "citizens", ["postcode4"], unique=False)
    op.create_index(op.f("ix_citizens_status"), "citizens", ["status"], unique=False)
    op.create_table(
        "merchants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("business_name", sa.String(length=120), nullable=False),
        sa.Column("kvk_number", sa.String(length=8), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("street_address", sa.String(length=200), nullable=False),
        sa.Column("postcode4", sa.String(length=4), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner_user_id"], ["users.id"], name=op.f("fk_merchants_owner_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchants")),
        sa.UniqueConstraint("address", name=op.f("uq_merchants_address")),
    )
    op.create_index(op.f("ix_merchants_owner_user_id"), "merchants", ["owner_user_id"], unique=False)
    op.create_index(op.f("ix_merchants_postcode4"), "merchants", ["postcode4"], unique=False)
    op.create_index(op.f("ix_merchants_status"), "merchants", ["status"], unique=False)
    op.create_table(
        "merchant_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_merchant_members_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_merchant_members_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant_members")),
        sa.UniqueConstraint("user_id", name=op.f("uq_merchant_members_user_id")),
    )
    op.create_index(op.f("ix_merchant_members_merchant_id"), "merchant_members", ["merchant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_merchant_members_merchant_id"), table_name="merchant_members")
    op.drop_table("merchant_members")
    op.drop_index(op.f("ix_merchants_status"), table_name="merchants")
    op.drop_index(op.f("ix_merchants_postcode4"), table_name="merchants")
    op.drop_index(op.f("ix_merchants_owner_user_id"), table_name="merchants")
    op.drop_table("merchants")
    op.drop_index(op.f("ix_citizens_status"), table_name="citizens")
    op.drop_index(op.f("ix_citizens_postcode4"), table_name="citizens")
    op.drop_table("citizens")
