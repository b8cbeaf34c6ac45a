"""a user's language is optional: without a choice of their own, pages follow the browser's Accept-Language

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 08:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=8), nullable=True, server_default=None)
    # 'en' was everyone's default and cannot be told from a choice: those accounts now follow their browser.
    op.execute("UPDATE users SET language = NULL WHERE language = 'en'")


def downgrade() -> None:
    op.execute("UPDATE users SET language = 'en' WHERE language IS NULL")
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=8), nullable=False, server_default='en')
