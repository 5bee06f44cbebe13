"""relayer: intents (outbox), transactions and their signed variants, nonces; custodial keystore

Revision ID: relayer_0001
Revises:
Create Date: 2026-11-29
"""

# SPDX-License-Identifier: EUPL-1.2
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "relayer_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("relayer",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keystore_accounts",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("encrypted_key", sa.LargeBinary(), nullable=True),
        sa.Column("wrapped_data_key", sa.LargeBinary(), nullable=True),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        sa.Column("next_auth_nonce", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_keystore_accounts")),
    )
    op.create_table(
        "relayer_nonces",
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sender", name=op.f("pk_relayer_nonces")),
    )
    op.create_table(
        "relayer_transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("gas", sa.BigInteger(), nullable=False),
        sa.Column("max_fee_per_gas", sa.BigInteger(), nullable=False),
        sa.Column("max_priority_fee_per_gas", sa.BigInteger(), nullable=False),
        sa.Column("intent_count", sa.Integer(), nullable=False),
        sa.Column("broadcasts", sa.Integer(), nullable=False),
        sa.Column("replacements", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("error_name", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relayer_transactions")),
        sa.UniqueConstraint("sender", "nonce", name=op.f("uq_relayer_transactions_sender_nonce")),
    )
    op.create_index("ix_relayer_transactions_status", "relayer_transactions", ["status"], unique=False)
    op.create_table(
        "relayer_intents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("args_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("tx_id", sa.Integer(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("error_name", sa.String(length=80), nullable=True),
        sa.Column("error_args", sa.JSON(), nullable=True),
        sa.Column("batch_limit", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tx_id"],
            ["relayer_transactions.id"],
            name=op.f("fk_relayer_intents_tx_id_relayer_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relayer_intents")),
        sa.UniqueConstraint("business_key", name=op.f("uq_relayer_intents_business_key")),
    )
    op.create_index("ix_relayer_intents_status_id", "relayer_intents", ["status", "id"], unique=False)
    op.create_index(op.f("ix_relayer_intents_tx_id"), "relayer_intents", ["tx_id"], unique=False)
    op.create_table(
        "relayer_tx_variants",
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_id", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tx_id"],
            ["relayer_transactions.id"],
            name=op.f("fk_relayer_tx_variants_tx_id_relayer_transactions"),
        ),
        sa.PrimaryKeyConstraint("tx_hash", name=op.f("pk_relayer_tx_variants")),
    )
    op.create_index(op.f("ix_relayer_tx_variants_tx_id"), "relayer_tx_variants", ["tx_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_relayer_tx_variants_tx_id"), table_name="relayer_tx_variants")
    op.drop_table("relayer_tx_variants")
    op.drop_index(op.f("ix_relayer_intents_tx_id"), table_name="relayer_intents")
    op.drop_index("ix_relayer_intents_status_id", table_name="relayer_intents")
    op.drop_table("relayer_intents")
    op.drop_index("ix_relayer_transactions_status", table_name="relayer_transactions")
    op.drop_table("relayer_transactions")
    op.drop_table("relayer_nonces")
    op.drop_table("keystore_accounts")
