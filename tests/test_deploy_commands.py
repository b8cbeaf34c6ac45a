"""The commands a multi-machine deployment runs, without the topology (tests/test_scale_out.py starts that): `web
--host/--port`, worker names, the schema check a web instance makes, RedBeat for the scheduler, the all-in-one
command's file-based browser storage, and deploy/haproxy.cfg as HAProxy reads it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from redbeat import RedBeatScheduler  # type: ignore[import-untyped]
from sqlalchemy import create_engine, text

from hms import cli, context
from hms.config import Settings
from hms.db.migrate import upgrade
from hms.runtime.schema import schema_state
from hms.runtime.supervisor import ChildSpec
from hms.services.bootstrap import StartupError
from jobs.celery_app import REDBEAT_KEY_PREFIX, REDBEAT_LOCK_SECONDS, create_celery, worker_argv
from jobs.heartbeat import HeartbeatScheduler

from .processes import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_web_port_and_host_options_become_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Settings] = []
    monkeypatch.setattr(cli, 'run_web', seen.append)
    monkeypatch.setenv('HMS_PORT', '8080')  # restored after the test, whatever main() sets
    monkeypatch.setenv('HMS_HOST', '127.0.0.1')
    assert cli.main(['web', '--host', '0.0.0.0', '--port', '8123']) == 0  # noqa: S104 - only parsed here
    assert (seen[0].host, seen[0].port) == ('0.0.0.0', 8123)  # noqa: S104
    assert os.environ['HMS_PORT'] == '8123'  # the process's own Settings() agree


def test_a_bad_port_is_refused_by_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(['web', '--port', 'eighty'])
    assert stopped.value.code == 2
    assert 'invalid int value' in capsys.readouterr().err


def test_each_worker_has_a_name_of_its_own_unless_given_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.worker_name(None) == f'hms-worker-{os.getpid()}@%h'
    assert cli.worker_name('hms-2@%h') == 'hms-2@%h'
    calls: list[list[str]] = []

    class Celery:
        def worker_main(self, argv: list[str]) -> None:
            calls.append(argv)

    monkeypatch.setattr('jobs.celery_app.create_celery', lambda settings: Celery())
    monkeypatch.setattr(cli, 'compose', lambda settings: None)
    assert cli.main(['worker', '--hostname', 'hms-7@%h']) == 0
    assert '--hostname=hms-7@%h' in calls[0]
    assert cli.main(['worker']) == 0
    assert f'--hostname=hms-worker-{os.getpid()}@%h' in calls[1]


def test_the_beat_is_redbeat_with_its_lock_in_redis(settings: Settings) -> None:
    assert issubclass(HeartbeatScheduler, RedBeatScheduler)
    app = create_celery(settings.model_copy(update={'redis_url': 'redis://127.0.0.1:1/0'}))
    assert app.conf.beat_scheduler == 'jobs.heartbeat:HeartbeatScheduler'
    assert app.conf.redbeat_redis_url == 'redis://127.0.0.1:1/0'
    assert app.conf.redbeat_key_prefix == REDBEAT_KEY_PREFIX
    assert app.conf.redbeat_lock_timeout == REDBEAT_LOCK_SECONDS
    assert app.conf.beat_max_loop_interval < REDBEAT_LOCK_SECONDS  # extended on every tick before it runs out
    assert worker_argv(settings, beat=False, name='hms-3@%h')[-1] == '--hostname=hms-3@%h'


def test_the_schema_check_says_what_to_do(tmp_path: Path) -> None:
    url = f'sqlite:///{tmp_path / "check.db"}'
    empty = schema_state(url)
    assert not empty.up_to_date and empty.problem() is not None
    assert 'run python main.py migrate' in (empty.problem() or '')
    upgrade(url)
    assert schema_state(url).problem() is None
    engine = create_engine(url)
    with engine.begin() as connection:
        head = connection.execute(text('SELECT version_num FROM alembic_version')).scalar_one()
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    ahead = schema_state(url)
    assert ahead.ahead and 'newer than this version knows' in (ahead.problem() or '')
    with engine.begin() as connection:
        connection.execute(text('UPDATE alembic_version SET version_num = :head'), {'head': head})
    engine.dispose()
    behind = schema_state(url)
    assert behind.up_to_date


def test_a_web_instance_on_a_shared_database_refuses_an_old_schema(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    called: list[str] = []
    monkeypatch.setattr(cli, 'prepare_database', lambda s: called.append('migrated'))
    state = schema_state(settings.effective_database_url)
    behind = type(state)(current=frozenset({'0001'}), head=state.head, known=state.known)
    monkeypatch.setattr('hms.runtime.schema.schema_state', lambda url: behind)
    shared = settings.model_copy(update={'database_url': 'postgresql+psycopg://hms@/nowhere'})
    with pytest.raises(StartupError, match=r'behind this version .*: run python main.py migrate'):
        cli.check_database(shared)
    assert called == []  # never migrated by a web instance
    on_sqlite = settings.model_copy(update={'database_url': None})  # the data folder's file, as by default
    assert cli.check_database(on_sqlite) is None and called == ['migrated']  # prepared as before


def test_the_all_in_one_command_keeps_browser_storage_in_files(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    children: list[ChildSpec] = []

    class Supervisor:
        def __init__(self, specs: list[ChildSpec], **options: Any) -> None:
            children.extend(specs)

        def run(self, **options: Any) -> int:
            return 0

    monkeypatch.setattr('hms.runtime.supervisor.Supervisor', Supervisor)
    monkeypatch.setattr(cli, 'prepare_database', lambda s: None)
    monkeypatch.setattr(context, 'get', lambda: type('C', (), {'db': type('D', (), {'dispose': lambda: None})}))
    assert cli.run_all(settings.model_copy(update={'smtp_host': 'mail.example.org'})) == 0
    by_name = {child.name: child for child in children}
    assert (by_name['web'].env or {})['NICEGUI_REDIS_URL'] == ''  # one instance: NiceGUI's files
    assert by_name['worker'].argv[-2:] == ['--hostname', 'hms@%h']  # one name across the supervisor's restarts


@pytest.mark.skipif(shutil.which('haproxy') is None, reason='haproxy is not installed (apt-get install haproxy)')
def test_the_shipped_haproxy_configuration_is_valid(tmp_path: Path) -> None:
    pem = tmp_path / 'hms.pem'
    subprocess.run(
        [
            *('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'),
            *('-keyout', str(pem), '-out', str(tmp_path / 'cert.pem')),
        ],
        check=True,
        capture_output=True,
    )
    pem.write_bytes((tmp_path / 'cert.pem').read_bytes() + pem.read_bytes())
    env = {
        **os.environ,
        'HMS_PROXY_HTTP': f'127.0.0.1:{free_port()}',
        'HMS_PROXY_HTTPS': f'127.0.0.1:{free_port()}',
        'HMS_TLS_CERT': str(pem),
        'HMS_WEB1': f'127.0.0.1:{free_port()}',
        'HMS_WEB2': f'127.0.0.1:{free_port()}',
    }
    checked = subprocess.run(
        ['haproxy', '-c', '-f', str(ROOT / 'deploy' / 'haproxy.cfg')],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = (ROOT / 'deploy' / 'haproxy.cfg').read_text()
    for rule in ('cookie HMSNODE insert', 'uri /api/health', 'timeout tunnel', 'Strict-Transport-Security'):
        assert rule in config
    assert re.search(r'del-header X-Forwarded-For\n\s+option forwardfor', config)
