"""Unit assessment (Art. 32-35): the bonuses the center records, the appeals against
deductions with the orders they name and their decisions, and every version of a
score.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _time(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def _text(name: str, length: int, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "assessment_awards",
        _text("award_id", 36),
        _text("natural_key", 64),
        _text("kind", 20),
        _text("unit_id", 50),
        _text("level", 40),
        sa.Column("awarded_on", sa.Date, nullable=False),
        _text("work_order_id", 36, nullable=True),
        _text("reference", 100, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        _time("recorded_at"),
        _text("recorded_by", 200),
        sa.PrimaryKeyConstraint("award_id"),
        sa.UniqueConstraint("natural_key", name="uq_assessment_awards_natural_key"),
    )
    op.create_index(
        "ix_assessment_awards_awarded_on", "assessment_awards", ["awarded_on"]
    )
    op.create_index(
        "ix_assessment_awards_unit_id", "assessment_awards", ["unit_id", "awarded_on"]
    )

    op.create_table(
        "assessment_appeals",
        _text("appeal_id", 36),
        _text("natural_key", 64),
        _text("unit_id", 50),
        _text("period_key", 30),
        _text("deduction", 40),
        _text("indicator", 50),
        _text("article", 30),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        _text("status", 10),
        _time("filed_at"),
        _text("filed_by", 200),
        sa.Column("contested_version", sa.Integer, nullable=False),
        sa.Column("contested_points", sa.Float, nullable=False),
        _time("decided_at", nullable=True),
        _text("decided_by", 200, nullable=True),
        sa.Column("decision_reason", sa.Text, nullable=True),
        sa.Column("resulting_version", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("appeal_id"),
        sa.UniqueConstraint("natural_key", name="uq_assessment_appeals_natural_key"),
    )
    op.create_index(
        "ix_assessment_appeals_unit_period",
        "assessment_appeals",
        ["unit_id", "period_key"],
    )
    op.create_index(
        "ix_assessment_appeals_status", "assessment_appeals", ["status", "filed_at"]
    )

    op.create_table(
        "assessment_appeal_orders",
        _text("appeal_id", 36),
        _text("work_order_id", 36),
        _text("unit_id", 50),
        _text("indicator", 50),
        sa.Column("excluded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("appeal_id", "work_order_id"),
        sa.ForeignKeyConstraint(["appeal_id"], ["assessment_appeals.appeal_id"]),
        sa.UniqueConstraint(
            "unit_id",
            "indicator",
            "work_order_id",
            name="uq_assessment_appeal_orders_unit_indicator_order",
        ),
    )
    op.create_index(
        "ix_assessment_appeal_orders_order_indicator",
        "assessment_appeal_orders",
        ["work_order_id", "indicator"],
    )

    op.create_table(
        "assessment_scores",
        _text("unit_id", 50),
        _text("period_key", 30),
        sa.Column("version", sa.Integer, nullable=False, autoincrement=False),
        _text("edition_id", 50),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("deductions", sa.Float, nullable=False),
        sa.Column("bonuses", sa.Float, nullable=False),
        _text("fingerprint", 64),
        _text("trigger", 30),
        _text("trigger_ref", 64, nullable=True),
        _time("recorded_at"),
        _text("recorded_by", 200),
        sa.Column("score", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "period_key", "version"),
    )
    op.create_index(
        "ix_assessment_scores_period", "assessment_scores", ["period_key", "unit_id"]
    )


def downgrade() -> None:
    op.drop_table("assessment_scores")
    op.drop_table("assessment_appeal_orders")
    op.drop_table("assessment_appeals")
    op.drop_table("assessment_awards")
