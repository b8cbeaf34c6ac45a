"""outbox rows acknowledged by the worker that ran their task (a task the broker lost is handed over again)

Revision ID: 0017
Revises: 0016
Create Date: 2027-02-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hms.db.types

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_at', hms.db.types.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_outbox_unfinished', ['done_at', 'dispatched_at'], unique=False)
    # Rows handed over before this version were never acknowledged: count them as done.
    op.execute(sa.text('UPDATE outbox SET done_at = dispatched_at WHERE dispatched_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unfinished')
        batch_op.drop_column('done_at')
