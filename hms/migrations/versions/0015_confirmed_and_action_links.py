"""one-tap links: appointments.confirmed_at, and the record of used action links (single use)

Revision ID: 0015
Revises: 0014
Create Date: 2027-02-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hms.db.types

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('appointments') as batch:
        batch.add_column(sa.Column('confirmed_at', hms.db.types.UTCDateTime(), nullable=True))
    op.create_table(
        'action_link_uses',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('used_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_action_link_uses')),
    )
    op.create_index('ix_action_link_uses_used_at', 'action_link_uses', ['used_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_action_link_uses_used_at', table_name='action_link_uses')
    op.drop_table('action_link_uses')
    with op.batch_alter_table('appointments') as batch:
        batch.drop_column('confirmed_at')
