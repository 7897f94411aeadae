"""Routing administration: rule kinds and communities, retired units and categories,
the history of changes, the project registry (Art. 43), the dispatch queue (Art. 12)
and named responsibilities (Art. 25, 26).

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_rule_details",
        sa.Column(
            "rule_id",
            sa.Integer,
            sa.ForeignKey("routing_rules.id"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("community", sa.String(50)),
    )
    # A territorial category's district-wide default only catches appeals whose
    # place is unknown: in a store seeded before this revision it becomes the
    # fallback rule it always was, so those appeals wait for an operator.
    op.execute(
        "INSERT INTO routing_rule_details (rule_id, kind, community) "
        "SELECT r.id, 'fallback', NULL FROM routing_rules r "
        "JOIN categories c ON c.id = r.category_id "
        "WHERE c.territorial AND r.subdistrict_id IS NULL AND r.keyword IS NULL"
    )
    op.create_table(
        "retirements",
        sa.Column("subject", sa.String(20), primary_key=True),
        sa.Column("subject_id", sa.String(50), primary_key=True),
        sa.Column("retired_at", UTCDateTime(), nullable=False),
        sa.Column("retired_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "registry_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(50), nullable=False),
        sa.Column("change", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_registry_changes_subject",
        "registry_changes",
        ["subject", "subject_id", "id"],
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("builder", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("subdistrict_id", sa.String(50), nullable=False),
        sa.Column("community", sa.String(50)),
        sa.Column("road", sa.String(100)),
        sa.Column("person_in_charge", sa.String(100), nullable=False),
        sa.Column("contact", sa.String(100), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("category_ids", sa.JSON, nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("urgent_reason", sa.Text),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime()),
        sa.Column("withdrawn_by", sa.String(200)),
    )
    op.create_index("ix_projects_unit", "projects", ["unit_id"])
    op.create_table(
        "dispatch_queue",
        sa.Column("appeal_id", sa.String(36), primary_key=True),
        sa.Column("tracking_code", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(50), nullable=False),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("suggested_unit_id", sa.String(50), nullable=False),
        sa.Column("category_id", sa.String(50)),
        sa.Column("subdistrict_id", sa.String(50)),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.Column("appeal", sa.JSON, nullable=False),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("unit_id", sa.String(50)),
        sa.Column("resolve_reason", sa.Text),
        sa.Column("first_asked", sa.Boolean, nullable=False),
        sa.Column("work_order_id", sa.String(36)),
        sa.Column("dispatch_seconds", sa.Float),
    )
    op.create_index(
        "ix_dispatch_queue_open", "dispatch_queue", ["resolved_at", "queued_at"]
    )
    op.create_table(
        "responsibility_assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("work_order_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("rule_id", sa.Integer),
        sa.Column("named_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("work_order_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("responsibility_assignments")
    op.drop_table("dispatch_queue")
    op.drop_table("projects")
    op.drop_table("registry_changes")
    op.drop_table("retirements")
    op.drop_table("routing_rule_details")
