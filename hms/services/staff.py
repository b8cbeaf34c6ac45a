"""Staff accounts the administrator creates (doctors, receptionists): a one-time password shown once, to be changed
at the first sign-in; deactivating one (``accounts.set_active``) ends its sessions at once."""

from __future__ import annotations

import secrets

from hms import clock
from hms.db.errors import CONSTRAINT_VIOLATION
from hms.db.models import User
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role
from hms.domain.errors import EmailTaken
from hms.i18n import _
from hms.security.passwords import hash_password

from . import accounts


def new_staff_user(uow: UnitOfWork, *, role: Role, name: str, email: object) -> tuple[User, str]:
    """A new active account of ``role`` with a one-time password (flushed, not committed): the user and the password
    to show once. The address must be free (``accounts.available_email``; ``EmailTaken`` otherwise, also when a
    concurrent request took it a moment ago)."""
    address = accounts.available_email(uow, email)
    initial_password = secrets.token_urlsafe(12)
    now = clock.now()
    try:
        user = uow.users.add(
            User(
                email=address,
                password_hash=hash_password(initial_password),
                role=role,
                name=name,
                is_active=True,
                must_change_password=True,
                created_at=now,
                password_changed_at=now,
            )
        )
    except CONSTRAINT_VIOLATION as error:  # the unique index caught an account created at the same moment
        uow.rollback()
        message = _(accounts.EMAIL_TAKEN)
        raise EmailTaken(message, field_errors={'email': message}) from error
    return user, initial_password
