"""Work orders learn their sign-off deadline (Art. 13) from sla's deadline.set.

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
    # Both nullable: orders dispatched before this revision, and orders whose
    # deadline.set has not arrived yet, have no known sign-off deadline.
    op.add_column("work_orders", sa.Column("sign_off_due_at", UTCDateTime()))
    op.add_column("work_orders", sa.Column("sign_off_set_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("sign_off_set_at")
        batch.drop_column("sign_off_due_at")
