"""The administrator exists from the first start, created programmatically and never with a default password."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hms import context
from hms.config import Settings
from hms.db.models import User
from hms.domain.enums import Role, SessionKind
from hms.domain.schemas import Credentials
from hms.services import accounts
from hms.services.bootstrap import ADMIN_CREDENTIALS_FILE, StartupError, ensure_admin, prepare


def admin_count(settings: Settings) -> int:
    with context.get().uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN)) or 0


def test_admin_is_created_once_with_a_random_password(hms_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv('HMS_ADMIN_PASSWORD')
    settings = Settings(_env_file=None)
    ctx = context.init(settings)
    first = prepare(settings, ctx.db)
    assert first is not None and len(first) >= 16
    credentials = hms_env / ADMIN_CREDENTIALS_FILE
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert f'password={first}' in credentials.read_text()
    assert prepare(settings, ctx.db) is None  # a second start creates nothing and prints nothing
    assert admin_count(settings) == 1
    with ctx.uow() as uow:
        result = accounts.login(
            uow, settings, Credentials(email=settings.admin_email, password=first), ip='127.0.0.1', kind=SessionKind.WEB
        )
    assert result.principal.role is Role.ADMIN


def test_random_passwords_differ_between_installations(hms_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv('HMS_ADMIN_PASSWORD')
    passwords = []
    for name in ('one', 'two'):
        settings = Settings(_env_file=None, data_dir=hms_env / name)
        passwords.append(prepare(settings, context.init(settings).db))
    assert passwords[0] != passwords[1]


def test_configured_admin_password_is_used(settings: Settings) -> None:
    ctx = context.init(settings)
    assert prepare(settings, ctx.db) is None
    assert not (settings.data_path / ADMIN_CREDENTIALS_FILE).exists()
    with ctx.uow() as uow:
        admin = uow.users.by_email(settings.admin_email)
    assert admin is not None and admin.role is Role.ADMIN


def test_weak_configured_admin_password_stops_the_start(hms_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HMS_ADMIN_PASSWORD', 'admin123')
    settings = Settings(_env_file=None)
    with pytest.raises(StartupError, match='HMS_ADMIN_PASSWORD'):
        ensure_admin(context.init(settings).db, settings)


def test_storage_secret_is_generated_once_into_the_data_folder(settings: Settings) -> None:
    secret = settings.effective_storage_secret()
    assert len(secret) >= 32
    assert settings.effective_storage_secret() == secret
    assert stat.S_IMODE((settings.data_path / 'storage_secret').stat().st_mode) == 0o600


def test_settings_defaults_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ('HMS_DATA_DIR', 'HMS_DATABASE_URL', 'HMS_ADMIN_EMAIL', 'HMS_ADMIN_PASSWORD'):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.port == 8080
    assert settings.data_dir == Path('./data')
    assert settings.effective_database_url == f'sqlite:///{Path("./data").resolve() / "hms.db"}'
    monkeypatch.setenv('HMS_TIMEZONE', 'Mars/Olympus_Mons')
    with pytest.raises(ValueError, match='time zone'):
        Settings(_env_file=None)
