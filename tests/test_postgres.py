"""The same rules on PostgreSQL: the account and scheduling service suites and the booking race, re-run here
against a throwaway PostgreSQL server (skipped only off CI when PostgreSQL is not installed)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from hms import context
from hms.config import Settings
from hms.context import AppContext
from hms.db.migrate import upgrade
from hms.services.bootstrap import ensure_admin

from .postgres_server import PostgresServer, find_bin_dir
from .test_accounts_service import *  # noqa: F403 - re-run these tests on PostgreSQL
from .test_booking_race import *  # noqa: F403
from .test_records_service import *  # noqa: F403
from .test_scheduling_service import *  # noqa: F403
from .test_stats import *  # noqa: F403

TEMPLATE = 'hms_template'
_numbers = itertools.count()


@pytest.fixture(scope='module')
def postgres() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get('CI'):
            pytest.fail('PostgreSQL is required on CI (.ci/run installs it)')
        pytest.skip('PostgreSQL is not installed (apt-get install postgresql)')
    server = PostgresServer(bin_dir)
    server.start()
    try:
        server.execute(f'CREATE DATABASE {TEMPLATE}')
        upgrade(server.url(TEMPLATE))
        yield server
    finally:
        server.stop()


@pytest.fixture
def ctx(settings: Settings, postgres: PostgresServer) -> Iterator[AppContext]:
    """Overrides the SQLite context: a fresh database cloned from the migrated template."""
    name = f'hms_test_{next(_numbers)}'
    postgres.execute(f'CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY')  # fast for small databases
    app_context = context.init(settings.model_copy(update={'database_url': postgres.url(name)}))
    ensure_admin(app_context.db, app_context.settings)
    yield app_context
    app_context.db.dispose()
    postgres.execute(f'DROP DATABASE {name}')
