"""A second contact of another kind (e.g. an email besides a phone number), encrypted
like the first: notify falls back to it when the first cannot be reached.

Revision ID: 0010_second_contact
Revises: 0009_follow_up
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_second_contact"
down_revision = "0009_follow_up"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("appeals", sa.Column("second_contact_kind", sa.String(20)))
    op.add_column("appeals", sa.Column("second_contact_encrypted", sa.Text))
    op.add_column("appeals", sa.Column("second_contact_masked", sa.String(100)))


def downgrade() -> None:
    op.drop_column("appeals", "second_contact_masked")
    op.drop_column("appeals", "second_contact_encrypted")
    op.drop_column("appeals", "second_contact_kind")
