"""Hermetic fixtures: every test gets its own data folder, database and (when asked) a controllable clock."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _pytest.terminal import TerminalReporter
from argon2 import PasswordHasher

from hms import clock as hms_clock
from hms import context
from hms.clock import ManualClock
from hms.config import Settings
from hms.context import AppContext
from hms.db.migrate import upgrade
from hms.security import passwords
from hms.services.bootstrap import ensure_admin
from jobs.celery_app import open_queue

from .api_fixtures import api, people  # noqa: F401 - the API client and everyone signed in
from .celery_fixtures import celery_app, celery_worker, worker_context  # noqa: F401 - real worker thread
from .e2e.server import INSTALL_CHROMIUM, NO_CHROMIUM
from .factories import ADMIN_EMAIL, ADMIN_PASSWORD
from .peers import http_peer, mail_sink, mailbox  # noqa: F401 - mail and webhook peers in the test process
from .postgres_server import ON_POSTGRES, PostgresServer, find_bin_dir, start_with_template
from .redis_server import redis_server, redis_url  # noqa: F401 - fixtures shared by the tests that need Redis
from .scheduling_fixtures import clinic  # noqa: F401 - a fixture shared by the scheduling tests

HMS_VARIABLES = (
    'HMS_DATABASE_URL',
    'HMS_REDIS_URL',
    'HMS_STORAGE_SECRET',
    'HMS_SMTP_HOST',
    'HMS_TIMEZONE',
    'HMS_PORT',
    'HMS_HOST',
)


@pytest.fixture(scope='session', autouse=True)
def task_queue_plugged_in() -> None:
    """What the composition root does: the job system (Celery, from ``jobs``) plugged into ``hms.context``."""
    context.plug_task_queue(open_queue)


@pytest.fixture(scope='session', autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with minimal cost: hashing is exercised, not timed, and the suite hashes thousands of times."""
    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = production


# On PostgreSQL, test_postgres.py (the SQLite run's PostgreSQL smoke) would only repeat tests the whole run makes.
collect_ignore = ['test_postgres.py'] if ON_POSTGRES else []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line('markers', 'sqlite_only(reason): the test is about SQLite itself; skipped on PostgreSQL')
    if ON_POSTGRES and find_bin_dir() is None:
        raise pytest.UsageError('HMS_TEST_POSTGRES=1 needs PostgreSQL installed (apt-get install postgresql)')


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not ON_POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker('sqlite_only')
        if marker is not None:
            reason = marker.kwargs.get('reason') or (marker.args[0] if marker.args else 'SQLite only')
            item.add_marker(pytest.mark.skip(reason=f'HMS_TEST_POSTGRES=1: {reason}'))


def pytest_unconfigure(config: pytest.Config) -> None:
    """End loudly, after pytest's own summary, when the real-browser tests did not run: how many, and the command
    that makes them run."""
    reporter = config.pluginmanager.get_plugin('terminalreporter')
    if not isinstance(reporter, TerminalReporter):
        return
    skipped = [
        report
        for report in reporter.stats.get('skipped', [])
        if isinstance(report.longrepr, tuple) and NO_CHROMIUM in str(report.longrepr[2])
    ]
    if skipped:
        reporter.write_sep(
            '!',
            f'{len(skipped)} browser tests SKIPPED: Chromium is not installed; to run them: {INSTALL_CHROMIUM}',
            red=True,
            bold=True,
        )


@pytest.fixture(scope='session')
def postgres_server() -> Iterator[PostgresServer | None]:
    """In PostgreSQL mode, the session's server with the migrated template; stopped by PID however the run ends."""
    if not ON_POSTGRES:
        yield None
        return
    server = start_with_template()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='session')
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp('template') / 'hms.db'
    upgrade(f'sqlite:///{path}')  # also on PostgreSQL, for tests that build SQLite databases of their own
    return path


@pytest.fixture(autouse=True)
def hms_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template_database: Path, postgres_server: PostgresServer | None
) -> Iterator[Path]:
    """HMS_ settings pointing at a fresh data folder; main.py (user fixture) and Settings() both read them.

    On PostgreSQL, HMS_DATABASE_URL names a database cloned from the template, dropped after the test.
    """
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    for name in HMS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HMS_DATA_DIR', str(data_dir))
    monkeypatch.setenv('HMS_ADMIN_EMAIL', ADMIN_EMAIL)
    monkeypatch.setenv('HMS_ADMIN_PASSWORD', ADMIN_PASSWORD)
    monkeypatch.setenv('HMS_CLINIC_NAME', 'Riverside Clinic')
    if postgres_server is None:
        shutil.copy(template_database, data_dir / 'hms.db')
        yield data_dir
        return
    database = postgres_server.clone_template()
    monkeypatch.setenv('HMS_DATABASE_URL', postgres_server.url(database))
    try:
        yield data_dir
    finally:
        postgres_server.drop(database)


@pytest.fixture
def settings(hms_env: Path) -> Settings:
    return Settings(_env_file=None)


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
