"""Answers for citizens, carried as updates, and the signatures they came with.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from minsheng_common.adapters import answer_store, receipts

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    receipts.create_table(op)
    answer_store.create_table(op)


def downgrade() -> None:
    op.drop_table(answer_store.TABLE)
    op.drop_table(receipts.TABLE)
