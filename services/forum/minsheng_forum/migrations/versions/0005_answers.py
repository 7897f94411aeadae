"""Answers for citizens, carried as reply posts on their forum.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from minsheng_common.adapters import answer_store

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    answer_store.create_table(op)


def downgrade() -> None:
    op.drop_table(answer_store.TABLE)
