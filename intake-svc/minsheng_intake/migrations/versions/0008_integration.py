"""Filing pipeline: whether an appeal's type was read from its text (the channel did
not say it).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "appeals",
        sa.Column(
            "type_inferred", sa.Boolean, nullable=False, server_default=sa.false()
        ),
    )


def downgrade() -> None:
    op.drop_column("appeals", "type_inferred")
