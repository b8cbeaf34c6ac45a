"""First-start preparation: the schema and the one administrator (never created by registration)."""

from __future__ import annotations

import secrets

from hms import clock
from hms.config import Settings, write_private_file
from hms.db.migrate import upgrade
from hms.db.models import AdminProfile, User
from hms.db.uow import Database
from hms.domain.enums import Role
from hms.domain.passwords import password_problem
from hms.i18n import _
from hms.security.passwords import hash_password

from . import audit

ADMIN_CREDENTIALS_FILE = 'admin-credentials.txt'


class StartupError(RuntimeError):
    """A configuration problem that stops the start with a clear message."""


def ensure_admin(db: Database, settings: Settings) -> str | None:
    """Create the administrator if there is none. Returns the generated password when one was generated."""
    with db.uow() as uow:
        if uow.users.first_with_role(Role.ADMIN) is not None:
            return None
        generated = None
        if settings.admin_password is not None:
            password = settings.admin_password.get_secret_value()
            problem = password_problem(password, email=settings.admin_email)
            if problem:
                raise StartupError(_('HMS_ADMIN_PASSWORD is not acceptable: {problem}', problem=problem))
        else:
            password = generated = secrets.token_urlsafe(15)
        now = clock.now()
        admin = uow.users.add(
            User(
                email=settings.admin_email.strip().lower(),
                password_hash=hash_password(password),
                role=Role.ADMIN,
                name='Administrator',
                is_active=True,
                must_change_password=False,
                created_at=now,
                password_changed_at=now,
            )
        )
        uow.session.add(AdminProfile(user_id=admin.id))
        audit.record(uow, 'account.admin_created', object_type='user', object_id=admin.id, subject_user_id=admin.id)
        uow.commit()
    if generated is not None:
        path = settings.ensure_data_dir() / ADMIN_CREDENTIALS_FILE
        write_private_file(path, f'email={settings.admin_email}\npassword={generated}\n')
    return generated


def prepare(settings: Settings, db: Database) -> str | None:
    """Create the data folder, migrate the schema and make sure the admin exists."""
    settings.ensure_data_dir()
    upgrade(db.url)
    return ensure_admin(db, settings)
