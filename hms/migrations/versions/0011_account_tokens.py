"""single-use account links (password reset, email verification) and accounts waiting for verification

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hms.db.types

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'account_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('expires_at', hms.db.types.UTCDateTime(), nullable=False),
        sa.Column('used_at', hms.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash')),
    )
    op.create_index('ix_account_tokens_user_created', 'account_tokens', ['user_id', 'created_at'], unique=False)
    with op.batch_alter_table('users') as batch:
        batch.add_column(
            sa.Column('verification_pending', sa.Boolean(), server_default=sa.text('false'), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('verification_pending')
    op.drop_index('ix_account_tokens_user_created', table_name='account_tokens')
    op.drop_table('account_tokens')
