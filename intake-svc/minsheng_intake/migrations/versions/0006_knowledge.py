"""The knowledge base (Art. 43): entries, their versions, and the consultations
answered at once from them (Art. 44).

Revision ID: 0006
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_entries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("category_id", sa.String(50), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_to", UTCDateTime()),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime()),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_knowledge_entries_unit", "knowledge_entries", ["unit_id"])
    op.create_index(
        "ix_knowledge_entries_category", "knowledge_entries", ["category_id"]
    )

    op.create_table(
        "knowledge_entry_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("category_id", sa.String(50), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_to", UTCDateTime()),
        sa.Column("retired_at", UTCDateTime()),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("note", sa.String(200)),
        sa.UniqueConstraint("entry_id", "version", name="uq_knowledge_versions_entry"),
    )

    op.create_table(
        "instant_answers",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("entry_version", sa.Integer, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_instant_answers_answered_at", "instant_answers", ["answered_at"]
    )
    op.create_index("ix_instant_answers_entry", "instant_answers", ["entry_id"])


def downgrade() -> None:
    op.drop_table("instant_answers")
    op.drop_table("knowledge_entry_versions")
    op.drop_table("knowledge_entries")
