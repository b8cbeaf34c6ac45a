"""transactional outbox, and the node holding each delivery claim

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 06:40:12.657448
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hms.db.types

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task', sa.String(length=100), nullable=False),
        sa.Column('kwargs', sa.JSON(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.Column('created_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('claimed_at', hms.db.types.UTCDateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('dispatched_at', hms.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['appointment_id'],
            ['appointments.id'],
            name=op.f('fk_outbox_appointment_id_appointments'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['dispatched_at', 'id'], unique=False)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
