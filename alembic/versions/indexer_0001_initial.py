"""indexer: raw event mirror, blocks, cursor and projections

Revision ID: indexer_0001
Revises:
Create Date: 2026-11-29
"""

# SPDX-License-Identifier: EUPL-1.2
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "indexer_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("indexer",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idx_balances",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("balance", sa.Numeric(78, 0), nullable=False),
        sa.Column("transfers", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_idx_balances")),
    )
    op.create_table(
        "idx_blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_idx_blocks")),
    )
    op.create_table(
        "idx_contract_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("yearly_cap", sa.Numeric(78, 0), nullable=False),
        sa.Column("pending_admin", sa.String(length=42), nullable=True),
        sa.Column("pending_admin_schedule", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idx_contract_state")),
    )
    op.create_table(
        "idx_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("start_block", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("reorgs", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idx_cursor")),
    )
    op.create_table(
        "idx_earnings",
        sa.Column("citizen_id", sa.String(length=66), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount", sa.Numeric(78, 0), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id", "year", name=op.f("pk_idx_earnings")),
    )
    op.create_table(
        "idx_events",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("topic0", sa.String(length=66), nullable=False),
        sa.Column("topic1", sa.String(length=66), nullable=True),
        sa.Column("topic2", sa.String(length=66), nullable=True),
        sa.Column("topic3", sa.String(length=66), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_idx_events")),
    )
    op.create_index("uq_idx_events_tx_hash_log_index", "idx_events", ["tx_hash", "log_index"], unique=True)
    op.create_table(
        "idx_merchant_receipts",
        sa.Column("merchant", sa.String(length=42), nullable=False),
        sa.Column("payments", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.Numeric(78, 0), nullable=False),
        sa.Column("refunds", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.Numeric(78, 0), nullable=False),
        sa.Column("redemptions", sa.BigInteger(), nullable=False),
        sa.Column("redeemed", sa.Numeric(78, 0), nullable=False),
        sa.Column("settled", sa.Numeric(78, 0), nullable=False),
        sa.Column("rejected", sa.Numeric(78, 0), nullable=False),
        sa.PrimaryKeyConstraint("merchant", name=op.f("pk_idx_merchant_receipts")),
    )
    op.create_table(
        "idx_participants",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("citizen_id", sa.String(length=66), nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("enrolled_block", sa.BigInteger(), nullable=False),
        sa.Column("enrolled_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_tx_hash", sa.String(length=66), nullable=False),
        sa.Column("recovered_from", sa.String(length=42), nullable=True),
        sa.Column("recovered_to", sa.String(length=42), nullable=True),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_idx_participants")),
    )
    op.create_index(op.f("ix_idx_participants_citizen_id"), "idx_participants", ["citizen_id"], unique=False)
    op.create_table(
        "idx_payments",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("from_address", sa.String(length=42), nullable=False),
        sa.Column("to_address", sa.String(length=42), nullable=False),
        sa.Column("citizen", sa.String(length=42), nullable=False),
        sa.Column("merchant", sa.String(length=42), nullable=False),
        sa.Column("amount", sa.Numeric(78, 0), nullable=False),
        sa.Column("payment_ref", sa.String(length=66), nullable=False),
        sa.Column("nonce", sa.String(length=78), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_idx_payments")),
    )
    op.create_index(op.f("ix_idx_payments_citizen"), "idx_payments", ["citizen"], unique=False)
    op.create_index(op.f("ix_idx_payments_merchant"), "idx_payments", ["merchant"], unique=False)
    op.create_index(op.f("ix_idx_payments_payment_ref"), "idx_payments", ["payment_ref"], unique=False)
    op.create_index("uq_idx_payments_tx_hash_log_index", "idx_payments", ["tx_hash", "log_index"], unique=True)
    op.create_table(
        "idx_redemptions",
        sa.Column("payout_id", sa.String(length=66), nullable=False),
        sa.Column("merchant", sa.String(length=42), nullable=False),
        sa.Column("amount", sa.Numeric(78, 0), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("bank_reference", sa.String(length=66), nullable=True),
        sa.Column("reason", sa.String(length=66), nullable=True),
        sa.Column("returned_to", sa.String(length=42), nullable=True),
        sa.Column("requested_block", sa.BigInteger(), nullable=False),
        sa.Column("requested_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_tx_hash", sa.String(length=66), nullable=False),
        sa.Column("settled_block", sa.BigInteger(), nullable=True),
        sa.Column("settled_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_tx_hash", sa.String(length=66), nullable=True),
        sa.PrimaryKeyConstraint("payout_id", name=op.f("pk_idx_redemptions")),
    )
    op.create_index(op.f("ix_idx_redemptions_merchant"), "idx_redemptions", ["merchant"], unique=False)
    op.create_index(op.f("ix_idx_redemptions_status"), "idx_redemptions", ["status"], unique=False)
    op.create_table(
        "idx_roles",
        sa.Column("role", sa.String(length=66), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("role_name", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.String(length=42), nullable=False),
        sa.Column("granted_block", sa.BigInteger(), nullable=False),
        sa.Column("granted_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("role", "account", name=op.f("pk_idx_roles")),
    )
    op.create_table(
        "idx_supply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minted", sa.Numeric(78, 0), nullable=False),
        sa.Column("burned", sa.Numeric(78, 0), nullable=False),
        sa.Column("escrow", sa.Numeric(78, 0), nullable=False),
        sa.Column("outstanding", sa.Numeric(78, 0), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idx_supply")),
    )
    op.create_table(
        "idx_task_rewards",
        sa.Column("task_id", sa.String(length=78), nullable=False),
        sa.Column("citizen", sa.String(length=42), nullable=False),
        sa.Column("citizen_id", sa.String(length=66), nullable=True),
        sa.Column("amount", sa.Numeric(78, 0), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_idx_task_rewards")),
    )
    op.create_index(op.f("ix_idx_task_rewards_citizen"), "idx_task_rewards", ["citizen"], unique=False)
    op.create_table(
        "idx_transfers",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_address", sa.String(length=42), nullable=False),
        sa.Column("to_address", sa.String(length=42), nullable=False),
        sa.Column("amount", sa.Numeric(78, 0), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_idx_transfers")),
    )
    op.create_index(
        "ix_idx_transfers_from", "idx_transfers", ["from_address", "block_number", "log_index"], unique=False
    )
    op.create_index("ix_idx_transfers_to", "idx_transfers", ["to_address", "block_number", "log_index"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_idx_transfers_to", table_name="idx_transfers")
    op.drop_index("ix_idx_transfers_from", table_name="idx_transfers")
    op.drop_table("idx_transfers")
    op.drop_index(op.f("ix_idx_task_rewards_citizen"), table_name="idx_task_rewards")
    op.drop_table("idx_task_rewards")
    op.drop_table("idx_supply")
    op.drop_table("idx_roles")
    op.drop_index(op.f("ix_idx_redemptions_status"), table_name="idx_redemptions")
    op.drop_index(op.f("ix_idx_redemptions_merchant"), table_name="idx_redemptions")
    op.drop_table("idx_redemptions")
    op.drop_index("uq_idx_payments_tx_hash_log_index", table_name="idx_payments")
    op.drop_index(op.f("ix_idx_payments_payment_ref"), table_name="idx_payments")
    op.drop_index(op.f("ix_idx_payments_merchant"), table_name="idx_payments")
    op.drop_index(op.f("ix_idx_payments_citizen"), table_name="idx_payments")
    op.drop_table("idx_payments")
    op.drop_index(op.f("ix_idx_participants_citizen_id"), table_name="idx_participants")
    op.drop_table("idx_participants")
    op.drop_table("idx_merchant_receipts")
    op.drop_index("uq_idx_events_tx_hash_log_index", table_name="idx_events")
    op.drop_table("idx_events")
    op.drop_table("idx_earnings")
    op.drop_table("idx_cursor")
    op.drop_table("idx_contract_state")
    op.drop_table("idx_blocks")
    op.drop_table("idx_balances")
