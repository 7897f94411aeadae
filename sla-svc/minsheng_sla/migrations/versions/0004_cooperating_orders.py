"""The orders cooperating units hold in parallel groups (Art. 20, 22), so their
closure with the lead stops their handling clock.

Revision ID: 0004_cooperating
Revises: 0003_urging
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_cooperating"
down_revision = "0003_urging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cooperating_orders",
        sa.Column("work_order_id", sa.String(36), primary_key=True),
        sa.Column("parallel_group_id", sa.String(36)),
    )


def downgrade() -> None:
    op.drop_table("cooperating_orders")
