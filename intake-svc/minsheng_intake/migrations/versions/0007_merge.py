"""Merge of the issue-4 branches: filing rules (0003), triage (0004), sameness
(0005) and the knowledge base (0006), each of which branched from 0002.

Revision ID: 0007
Revises: 0003, 0004, 0005, 0006
"""

revision = "0007"
down_revision = ("0003", "0004", "0005", "0006")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
