"""The same rules on PostgreSQL in the ordinary (SQLite) run: the account, records, scheduling and stats service
suites and the booking race, re-run here against a throwaway PostgreSQL server (skipped only off CI when PostgreSQL is
not installed). With HMS_TEST_POSTGRES=1 the whole suite runs on PostgreSQL, so this module skips itself."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from hms import context
from hms.config import Settings
from hms.context import AppContext
from hms.services.bootstrap import ensure_admin

from .postgres_server import ON_POSTGRES, PostgresServer, find_bin_dir, start_with_template
from .test_accounts_service import *  # noqa: F403 - re-run these tests on PostgreSQL
from .test_booking_race import *  # noqa: F403
from .test_records_service import *  # noqa: F403
from .test_scheduling_service import *  # noqa: F403
from .test_stats import *  # noqa: F403

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason='HMS_TEST_POSTGRES=1 already runs every test on PostgreSQL')


@pytest.fixture(scope='module')
def postgres() -> Iterator[PostgresServer]:
    if find_bin_dir() is None:
        if os.environ.get('CI'):
            pytest.fail('PostgreSQL is required on CI (.ci/run installs it)')
        pytest.skip('PostgreSQL is not installed (apt-get install postgresql)')
    server = start_with_template()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ctx(settings: Settings, postgres: PostgresServer) -> Iterator[AppContext]:
    """Overrides the SQLite context: a fresh database cloned from the migrated template."""
    name = postgres.clone_template()
    app_context = context.init(settings.model_copy(update={'database_url': postgres.url(name)}))
    ensure_admin(app_context.db, app_context.settings)
    yield app_context
    app_context.db.dispose()
    postgres.drop(name)
