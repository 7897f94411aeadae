"""A recipient's contact can be erased after the retention period: the column may be
empty, and the erasure is dated.

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
    with op.batch_alter_table("recipients") as batch:
        batch.alter_column("contact_encrypted", existing_type=sa.Text(), nullable=True)
        batch.add_column(sa.Column("contact_erased_at", UTCDateTime()))
    op.create_index("ix_recipients_filed_at", "recipients", ["filed_at"])


def downgrade() -> None:
    # Erased contacts cannot come back; their rows keep an empty string.
    op.drop_index("ix_recipients_filed_at", table_name="recipients")
    op.execute(
        "UPDATE recipients SET contact_encrypted = '' WHERE contact_encrypted IS NULL"
    )
    with op.batch_alter_table("recipients") as batch:
        batch.drop_column("contact_erased_at")
        batch.alter_column("contact_encrypted", existing_type=sa.Text(), nullable=False)
