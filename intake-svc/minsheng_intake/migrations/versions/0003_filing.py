"""Filing rules: the parsed address, the evidence and advice of each decision, the
rule edition, holds for on-site verification, grades and their history, and the
versions of the grading rules. Room on appeals for the earlier appeal a repeat
points to and the event cluster an appeal belongs to.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("address_parts", sa.JSON),
    ("reason_evidence", sa.JSON),
    ("advice", sa.Text),
    ("rules_edition", sa.String(40)),
    ("held_reason", sa.String(30)),
    ("held_at", UTCDateTime()),
    ("level", sa.Integer),
    ("grade_basis", sa.Text),
    ("repeat_of", sa.String(36)),
    ("cluster_id", sa.String(36)),
)


def upgrade() -> None:
    for name, kind in _COLUMNS:
        op.add_column("appeals", sa.Column(name, kind))
    # pending_verification and longer states may not fit 20 characters; SQLite
    # does not hold a text to its declared length.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "appeals",
            "status",
            existing_type=sa.String(20),
            type_=sa.String(30),
            existing_nullable=False,
        )
    op.create_index("ix_appeals_subdistrict_id", "appeals", ["subdistrict_id"])
    op.create_index("ix_appeals_community", "appeals", ["community"])

    op.create_table(
        "verifications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("verified_by", sa.String(200), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_verifications_appeal", "verifications", ["appeal_id"])
    op.create_table(
        "grade_changes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("previous_level", sa.Integer),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("graded_by", sa.String(200), nullable=False),
        sa.Column("graded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_grade_changes_appeal", "grade_changes", ["appeal_id"])
    op.create_table(
        "grading_rule_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("level_1", sa.JSON, nullable=False),
        sa.Column("level_2", sa.JSON, nullable=False),
        sa.Column("hypothetical_markers", sa.JSON, nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("grading_rule_versions")
    op.drop_table("grade_changes")
    op.drop_table("verifications")
    op.drop_index("ix_appeals_community", table_name="appeals")
    op.drop_index("ix_appeals_subdistrict_id", table_name="appeals")
    with op.batch_alter_table("appeals") as batch:
        for name, _kind in reversed(_COLUMNS):
            batch.drop_column(name)
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "appeals",
            "status",
            existing_type=sa.String(30),
            type_=sa.String(20),
            existing_nullable=False,
        )
