"""Appeal facts keep the level (Art. 9), the event cluster (Art. 18), the hold for
verification or classification (Art. 11) and the instant answer (Art. 44).

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

_COLUMNS = (
    ("level", sa.SmallInteger()),
    ("level_graded_at", UTCDateTime()),
    ("cluster_id", sa.String(64)),
    ("held_reason", sa.String(20)),
    ("held_at", UTCDateTime()),
    ("answered_at", UTCDateTime()),
)


def upgrade() -> None:
    for name, type_ in _COLUMNS:
        op.add_column("appeal_facts", sa.Column(name, type_))


def downgrade() -> None:
    # SQLite drops a column only by copying the table: batch mode does that.
    with op.batch_alter_table("appeal_facts") as batch:
        for name, _type in reversed(_COLUMNS):
            batch.drop_column(name)
