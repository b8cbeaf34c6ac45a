"""patients without an email address (registered at the front desk): users.email becomes optional

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-20 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Addresses under the reserved .invalid domain (RFC 2606) reach no one: a downgrade gives one to each account without.
FILL_IN = "UPDATE users SET email = 'no-email-' || id || '@hms.invalid' WHERE email IS NULL"


def upgrade() -> None:
    # The unique constraint stays: any number of accounts may have no address, no two the same one.
    with op.batch_alter_table('users') as batch:
        batch.alter_column('email', existing_type=sa.String(length=254), nullable=True)


def downgrade() -> None:
    op.execute(FILL_IN)
    with op.batch_alter_table('users') as batch:
        batch.alter_column('email', existing_type=sa.String(length=254), nullable=False)
