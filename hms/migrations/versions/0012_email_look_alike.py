"""how a non-ASCII address looks (users.email_look_alike): look-alikes of an existing address are refused

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-12 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from confusable_homoglyphs import confusables

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _look(address: str) -> str:
    """hms.domain.emails.look_alike_key as of this revision (a migration never follows later code)."""
    shown = []
    for character in address:
        found = (
            None
            if character.isascii()
            else confusables.is_confusable(character, greedy=True, preferred_aliases=['latin'])
        )
        latin = [g['c'] for g in found[0]['homoglyphs'] if g['c'].isascii() and g['c'].isalnum()] if found else []
        shown.append(latin[0] if latin else character)
    return ''.join(shown).lower()


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email_look_alike', sa.String(length=254), nullable=True))
        batch.create_index('ix_users_email_look_alike', ['email_look_alike'])
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('email', sa.String()),
                     sa.column('email_look_alike', sa.String()))  # fmt: skip
    connection = op.get_bind()
    for user_id, email in connection.execute(sa.select(users.c.id, users.c.email)).all():
        if not email.isascii():  # ASCII addresses look like themselves: nothing to store
            look = _look(email)
            if look != email:
                connection.execute(users.update().where(users.c.id == user_id).values(email_look_alike=look))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_index('ix_users_email_look_alike')
        batch.drop_column('email_look_alike')
