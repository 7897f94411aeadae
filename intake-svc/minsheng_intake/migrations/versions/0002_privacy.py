"""Privacy: the citizen's name (encrypted), closure and anonymisation times, which
unit holds each appeal, and the record of contact disclosures.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from minsheng_common.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("appeals", sa.Column("name_encrypted", sa.Text))
    op.add_column("appeals", sa.Column("closed_at", UTCDateTime()))
    op.add_column("appeals", sa.Column("anonymised_at", UTCDateTime()))
    op.create_index("ix_appeals_closed_at", "appeals", ["closed_at"])
    # A rejected appeal was closed when it was rejected.
    op.execute(
        "UPDATE appeals SET closed_at = decided_at "
        "WHERE status = 'rejected' AND closed_at IS NULL"
    )

    op.create_table(
        "appeal_units",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("unit_id", sa.String(50), nullable=False),
        sa.Column("work_order_id", sa.String(36), nullable=False),
        sa.Column("dispatched_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("appeal_id", "unit_id", name="uq_appeal_units_appeal_unit"),
    )
    op.create_table(
        "contact_disclosures",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("appeal_id", sa.String(36), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit_id", sa.String(50)),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_contact_disclosures_appeal", "contact_disclosures", ["appeal_id"]
    )


def downgrade() -> None:
    op.drop_table("contact_disclosures")
    op.drop_table("appeal_units")
    op.drop_index("ix_appeals_closed_at", table_name="appeals")
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("anonymised_at")
        batch.drop_column("closed_at")
        batch.drop_column("name_encrypted")
