"""stored email addresses in their one normal form (IDN domains in ASCII, NFKC and lower-cased local parts)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:40:00

Registration, sign-in and the admin forms normalise addresses through hms.domain.emails.normalise_email; rows written
before that (a Unicode domain, a fullwidth or upper-case local part) are rewritten here the same way, so that their
owners sign in with any form of the address and a look-alike cannot register. The rule is copied, not imported: a
migration must keep doing what it did when the application changes. A row is left as it is when the address is not
valid for email-validator, or when two rows would end up with one address (the administrator resolves those).
"""

import unicodedata
from collections import Counter
from collections.abc import Sequence

import email_validator
import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _normal_form(address: str) -> str | None:
    """The address as hms.domain.emails.normalise_email stored it at this revision; None when it is no address."""
    try:
        # No DNS, and no refusal of internal domains (clinic.local, .test) that clinics use for staff mail.
        parts = email_validator.validate_email(address.strip(), check_deliverability=False, globally_deliverable=False)
        local = unicodedata.normalize('NFKC', parts.local_part).lower()
        normal = f'{local}@{parts.ascii_domain.lower()}'
        email_validator.validate_email(normal, check_deliverability=False, globally_deliverable=False)
    except email_validator.EmailNotValidError:
        return None
    return normal


def upgrade() -> None:
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('email', sa.String))
    rows = connection.execute(sa.select(users.c.id, users.c.email)).all()
    targets = {row.id: _normal_form(row.email) or row.email for row in rows}
    taken = Counter(targets.values())
    for row in rows:
        target = targets[row.id]
        if target != row.email and taken[target] == 1:
            connection.execute(sa.update(users).where(users.c.id == row.id).values(email=target))


def downgrade() -> None:
    pass  # the normal form is a valid address of the same mailbox: nothing to undo
