"""calendar subscription feeds of doctors: only the secret's hash, at most one active feed per doctor

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-14 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hms.db.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('doctor_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', hms.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['doctor_id'],
            ['doctor_profiles.user_id'],
            name=op.f('fk_calendar_feeds_doctor_id_doctor_profiles'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_calendar_feeds_secret_hash')),
    )
    op.create_index(
        'uq_calendar_feeds_doctor_active',
        'calendar_feeds',
        ['doctor_id'],
        unique=True,
        sqlite_where=sa.text('revoked_at IS NULL'),
        postgresql_where=sa.text('revoked_at IS NULL'),
    )


def downgrade() -> None:
    op.drop_index('uq_calendar_feeds_doctor_active', table_name='calendar_feeds')
    op.drop_table('calendar_feeds')
