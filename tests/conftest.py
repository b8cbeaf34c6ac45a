"""Hermetic fixtures: every test gets its own data folder, database and (when asked) a controllable clock."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from hms import clock as hms_clock
from hms import context
from hms.clock import ManualClock
from hms.config import Settings
from hms.context import AppContext
from hms.db.migrate import upgrade
from hms.security import passwords
from hms.services.bootstrap import ensure_admin

from .api_fixtures import api, people  # noqa: F401 - the API client and everyone signed in
from .celery_fixtures import celery_app, celery_worker, worker_context  # noqa: F401 - real worker thread
from .factories import ADMIN_EMAIL, ADMIN_PASSWORD
from .redis_server import redis_server, redis_url  # noqa: F401 - fixtures shared by the tests that need Redis
from .scheduling_fixtures import clinic  # noqa: F401 - a fixture shared by the scheduling tests

HMS_VARIABLES = (
    'HMS_DATABASE_URL', 'HMS_REDIS_URL', 'HMS_STORAGE_SECRET', 'HMS_SMTP_HOST', 'HMS_TIMEZONE', 'HMS_PORT', 'HMS_HOST',
)  # fmt: skip


@pytest.fixture(scope='session', autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with minimal cost: hashing is exercised, not timed, and the suite hashes thousands of times."""
    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = production


@pytest.fixture(scope='session')
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp('template') / 'hms.db'
    upgrade(f'sqlite:///{path}')
    return path


@pytest.fixture(autouse=True)
def hms_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template_database: Path) -> Path:
    """HMS_ settings pointing at a fresh data folder; main.py (user fixture) and Settings() both read them."""
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    shutil.copy(template_database, data_dir / 'hms.db')
    for name in HMS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HMS_DATA_DIR', str(data_dir))
    monkeypatch.setenv('HMS_ADMIN_EMAIL', ADMIN_EMAIL)
    monkeypatch.setenv('HMS_ADMIN_PASSWORD', ADMIN_PASSWORD)
    monkeypatch.setenv('HMS_CLINIC_NAME', 'Riverside Clinic')
    return data_dir


@pytest.fixture
def settings(hms_env: Path) -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    """The application context over the test's database, with the administrator created."""
    app_context = context.init(settings)
    ensure_admin(app_context.db, settings)
    yield app_context
    app_context.db.dispose()


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    """A clock that moves only when the test says so."""
    manual = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    previous = hms_clock.use_clock(manual)
    yield manual
    hms_clock.use_clock(previous)
