"""the clinic day: arrival, call and completion times, ticket codes, front-desk double-bookings and walk-ins (the
one-booking-per-slot guarantee leaves explicit double-bookings out), waiting-room boards

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-19 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hms.db.types

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_BEFORE = "status != 'cancelled'"
ACTIVE_NOW = "status != 'cancelled' AND overbooked = false"


def _one_per_slot(where: str) -> None:
    op.create_index(
        'uq_appointments_doctor_start_active',
        'appointments',
        ['doctor_id', 'start_at'],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    with op.batch_alter_table('appointments') as batch:
        batch.add_column(sa.Column('arrived_at', hms.db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('called_at', hms.db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('completed_at', hms.db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('ticket', sa.String(length=12), nullable=True))
        batch.add_column(sa.Column('overbooked', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch.add_column(sa.Column('override_reason', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('walk_in', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.drop_index('uq_appointments_doctor_start_active', table_name='appointments')
    _one_per_slot(ACTIVE_NOW)
    op.create_table(
        'waiting_room_boards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', hms.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['department_id'],
            ['departments.id'],
            name=op.f('fk_waiting_room_boards_department_id_departments'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_waiting_room_boards_created_by_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waiting_room_boards')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_waiting_room_boards_secret_hash')),
    )
    op.create_index(
        op.f('ix_waiting_room_boards_department_id'), 'waiting_room_boards', ['department_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_waiting_room_boards_department_id'), table_name='waiting_room_boards')
    op.drop_table('waiting_room_boards')
    op.drop_index('uq_appointments_doctor_start_active', table_name='appointments')
    _one_per_slot(ACTIVE_BEFORE)
    with op.batch_alter_table('appointments') as batch:
        for column in ('walk_in', 'override_reason', 'overbooked', 'ticket', 'completed_at', 'called_at', 'arrived_at'):
            batch.drop_column(column)
