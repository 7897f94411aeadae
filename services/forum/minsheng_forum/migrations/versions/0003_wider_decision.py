"""Intake's decisions up to 40 characters: pending_classification has 22.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In a batch: SQLite rebuilds the table, PostgreSQL alters the column in place.
    with op.batch_alter_table("forum_items") as batch:
        batch.alter_column(
            "decision",
            existing_type=sa.String(20),
            type_=sa.String(40),
            existing_nullable=True,
        )


def downgrade() -> None:
    # Fails on PostgreSQL while a longer decision is stored, rather than cut it.
    with op.batch_alter_table("forum_items") as batch:
        batch.alter_column(
            "decision",
            existing_type=sa.String(40),
            type_=sa.String(20),
            existing_nullable=True,
        )
