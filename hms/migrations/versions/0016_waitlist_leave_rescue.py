"""waitlist and slot offers, doctors' leave and clinic closures, rescue of stranded appointments, freed slots

Revision ID: 0016
Revises: 0015
Create Date: 2027-02-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hms.db.types

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'clinic_closures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('created_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('first_day <= last_day', name=op.f('ck_clinic_closures_days_in_order')),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_clinic_closures_created_by_id_users'), ondelete='SET NULL'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_closures')),
    )
    with op.batch_alter_table('clinic_closures', schema=None) as batch_op:
        batch_op.create_index('ix_clinic_closures_days', ['first_day', 'last_day'], unique=False)

    op.create_table(
        'doctor_leaves',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('doctor_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('created_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('first_day <= last_day', name=op.f('ck_doctor_leaves_days_in_order')),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_doctor_leaves_created_by_id_users'), ondelete='SET NULL'
        ),
        sa.ForeignKeyConstraint(
            ['doctor_id'],
            ['doctor_profiles.user_id'],
            name=op.f('fk_doctor_leaves_doctor_id_doctor_profiles'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_doctor_leaves')),
    )
    with op.batch_alter_table('doctor_leaves', schema=None) as batch_op:
        batch_op.create_index('ix_doctor_leaves_doctor_days', ['doctor_id', 'first_day', 'last_day'], unique=False)

    op.create_table(
        'freed_slots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('doctor_id', sa.Integer(), nullable=False),
        sa.Column('start_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('freed_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['doctor_id'],
            ['doctor_profiles.user_id'],
            name=op.f('fk_freed_slots_doctor_id_doctor_profiles'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_freed_slots')),
        sa.UniqueConstraint('doctor_id', 'start_at', 'freed_at', name='uq_freed_slots_doctor_start_freed'),
    )
    with op.batch_alter_table('freed_slots', schema=None) as batch_op:
        batch_op.create_index('ix_freed_slots_freed_at', ['freed_at'], unique=False)

    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('doctor_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('times', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('created_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('closed_at', hms.db.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            '(doctor_id IS NULL) <> (department_id IS NULL)', name=op.f('ck_waitlist_entries_doctor_or_department')
        ),
        sa.CheckConstraint('first_day <= last_day', name=op.f('ck_waitlist_entries_days_in_order')),
        sa.ForeignKeyConstraint(
            ['department_id'],
            ['departments.id'],
            name=op.f('fk_waitlist_entries_department_id_departments'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['doctor_id'],
            ['doctor_profiles.user_id'],
            name=op.f('fk_waitlist_entries_doctor_id_doctor_profiles'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['patient_id'],
            ['patient_profiles.user_id'],
            name=op.f('fk_waitlist_entries_patient_id_patient_profiles'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_entries_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_waitlist_entries_state_created', ['state', 'created_at'], unique=False)

    op.create_table(
        'rescue_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('leave_id', sa.Integer(), nullable=True),
        sa.Column('closure_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('proposals', sa.JSON(), nullable=False),
        sa.Column('created_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('deadline_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('resolved_at', hms.db.types.UTCDateTime(), nullable=True),
        sa.Column('new_appointment_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['appointment_id'],
            ['appointments.id'],
            name=op.f('fk_rescue_cases_appointment_id_appointments'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['closure_id'],
            ['clinic_closures.id'],
            name=op.f('fk_rescue_cases_closure_id_clinic_closures'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['leave_id'], ['doctor_leaves.id'], name=op.f('fk_rescue_cases_leave_id_doctor_leaves'), ondelete='SET NULL'
        ),
        sa.ForeignKeyConstraint(
            ['new_appointment_id'],
            ['appointments.id'],
            name=op.f('fk_rescue_cases_new_appointment_id_appointments'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rescue_cases')),
        sa.UniqueConstraint('appointment_id', name=op.f('uq_rescue_cases_appointment_id')),
    )
    with op.batch_alter_table('rescue_cases', schema=None) as batch_op:
        batch_op.create_index('ix_rescue_cases_state_deadline', ['state', 'deadline_at'], unique=False)

    op.create_table(
        'slot_offers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('doctor_id', sa.Integer(), nullable=False),
        sa.Column('start_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('end_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('offered_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('expires_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('decided_at', hms.db.types.UTCDateTime(), nullable=True),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['appointment_id'],
            ['appointments.id'],
            name=op.f('fk_slot_offers_appointment_id_appointments'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['doctor_id'],
            ['doctor_profiles.user_id'],
            name=op.f('fk_slot_offers_doctor_id_doctor_profiles'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['entry_id'],
            ['waitlist_entries.id'],
            name=op.f('fk_slot_offers_entry_id_waitlist_entries'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['patient_id'],
            ['patient_profiles.user_id'],
            name=op.f('fk_slot_offers_patient_id_patient_profiles'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_slot_offers')),
    )
    with op.batch_alter_table('slot_offers', schema=None) as batch_op:
        batch_op.create_index('ix_slot_offers_patient', ['patient_id', 'offered_at'], unique=False)
        batch_op.create_index('ix_slot_offers_state_expires', ['state', 'expires_at'], unique=False)
        batch_op.create_index(
            'uq_slot_offers_doctor_start_held',
            ['doctor_id', 'start_at'],
            unique=True,
            sqlite_where=sa.text("state = 'held'"),
            postgresql_where=sa.text("state = 'held'"),
        )
        batch_op.create_index(
            'uq_slot_offers_entry_held',
            ['entry_id'],
            unique=True,
            sqlite_where=sa.text("state = 'held'"),
            postgresql_where=sa.text("state = 'held'"),
        )


def downgrade() -> None:
    with op.batch_alter_table('slot_offers', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_slot_offers_entry_held',
            sqlite_where=sa.text("state = 'held'"),
            postgresql_where=sa.text("state = 'held'"),
        )
        batch_op.drop_index(
            'uq_slot_offers_doctor_start_held',
            sqlite_where=sa.text("state = 'held'"),
            postgresql_where=sa.text("state = 'held'"),
        )
        batch_op.drop_index('ix_slot_offers_state_expires')
        batch_op.drop_index('ix_slot_offers_patient')

    op.drop_table('slot_offers')
    with op.batch_alter_table('rescue_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_rescue_cases_state_deadline')

    op.drop_table('rescue_cases')
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_waitlist_entries_state_created')
        batch_op.drop_index(batch_op.f('ix_waitlist_entries_patient_id'))

    op.drop_table('waitlist_entries')
    with op.batch_alter_table('freed_slots', schema=None) as batch_op:
        batch_op.drop_index('ix_freed_slots_freed_at')

    op.drop_table('freed_slots')
    with op.batch_alter_table('doctor_leaves', schema=None) as batch_op:
        batch_op.drop_index('ix_doctor_leaves_doctor_days')

    op.drop_table('doctor_leaves')
    with op.batch_alter_table('clinic_closures', schema=None) as batch_op:
        batch_op.drop_index('ix_clinic_closures_days')

    op.drop_table('clinic_closures')
