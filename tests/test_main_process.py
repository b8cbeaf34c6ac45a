"""`python main.py` as an operator runs it: Redis, a worker, beat and the web server come up, each its own supervised
process with a PID file; Ctrl-C ends all."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from hms.config import Settings
from jobs.celery_app import create_celery

from .processes import alive, descendants, free_port

ROOT = Path(__file__).resolve().parents[1]
STARTUP_LIMIT = 90.0  # generous: CI machines are slow; this is a liveness bound, not a performance assertion


@pytest.fixture
def system(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[subprocess.Popen[str], Path, int]]:
    data_dir = Path(tempfile.mkdtemp(prefix='hms-', dir='/tmp'))  # short: unix socket paths are limited
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(('HMS_', 'PYTEST_', 'NICEGUI_'))  # a child must not think it runs under pytest
    }
    env.update({'HMS_DATA_DIR': str(data_dir), 'HMS_PORT': str(port), 'HMS_HOST': '127.0.0.1'})
    if 'HMS_DATABASE_URL' in os.environ:  # HMS_TEST_POSTGRES=1: the test's PostgreSQL database
        env['HMS_DATABASE_URL'] = os.environ['HMS_DATABASE_URL']
    env.pop('HMS_ADMIN_PASSWORD', None)
    log = (data_dir / 'main.log').open('w')
    process = subprocess.Popen(
        [sys.executable, str(ROOT / 'main.py')],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so the test can send Ctrl-C to all of it like a terminal
    )
    try:
        yield process, data_dir, port
    finally:
        for pid in descendants(process.pid) | {process.pid}:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)
        log.close()


def wait_for_login_page(port: int, process: subprocess.Popen[str], data_dir: Path) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        assert process.poll() is None, (data_dir / 'main.log').read_text()
        try:
            if httpx.get(f'http://127.0.0.1:{port}/login', timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f'the login page did not come up:\n{(data_dir / "main.log").read_text()}')


def test_one_command_starts_everything_and_ctrl_c_stops_it(system: tuple[subprocess.Popen[str], Path, int]) -> None:
    process, data_dir, port = system
    wait_for_login_page(port, process, data_dir)

    # Redis: started by the app on a unix socket inside the data folder, no TCP port.
    socket_path = data_dir / 'redis' / 'redis.sock'
    client = redis.Redis(unix_socket_path=str(socket_path))
    assert client.ping()
    assert client.config_get('port')['port'] == '0'
    client.close()

    # Each part is its own supervised process, its PID in <data>/run/<name>.pid.
    pids = {name: int((data_dir / 'run' / f'{name}.pid').read_text()) for name in ('redis', 'worker', 'beat', 'web')}
    assert len(set(pids.values())) == 4 and all(alive(pid) for pid in pids.values())

    # The worker answers a task over that Redis.
    settings = Settings(_env_file=None, data_dir=data_dir, redis_url=f'unix://{socket_path}')
    celery = create_celery(settings)
    assert celery.send_task('hms.ping').get(timeout=60) == 'pong'
    celery.close()

    # The administrator exists with a generated password, printed once and kept in a private file.
    credentials = dict(
        line.split('=', 1) for line in (data_dir / 'admin-credentials.txt').read_text().splitlines() if '=' in line
    )
    assert credentials['password'] in (data_dir / 'main.log').read_text()
    login = httpx.post(
        f'http://127.0.0.1:{port}/api/login',
        json={'email': credentials['email'], 'password': credentials['password']},
        timeout=10,
    )
    assert login.status_code == 200 and login.json()['role'] == 'admin'

    # No SMTP server configured: a local sink answers a real SMTP conversation and keeps mail for the Outbox.
    port = int((data_dir / 'smtp-sink.port').read_text())
    with smtplib.SMTP('127.0.0.1', port, timeout=10) as smtp:
        assert smtp.noop()[0] == 250

    children = descendants(process.pid)
    assert len(children) >= 3  # redis-server, the worker (and its pool), the web server
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    assert process.wait(timeout=60) == 0
    time.sleep(0.5)  # let the kernel finish reaping grandchildren adopted by init
    left = [pid for pid in children if alive(pid)]
    assert left == [], f'still running: {left}'
    assert not socket_path.exists()
    assert not (data_dir / 'smtp-sink.port').exists()  # the sink stopped with its owner

    # A quiet start: no migration steps, no Celery banners; the credentials come once, framed, after 'ready'.
    log = (data_dir / 'main.log').read_text()
    assert 'Running upgrade' not in log and '[tasks]' not in log and 'celery beat v' not in log
    lines = log.splitlines()
    assert log.count(credentials['password']) == 1
    framed = next(index for index, line in enumerate(lines) if credentials['password'] in line)
    assert lines[framed].startswith('│') and lines[framed].endswith('│')
    ready = next(index for index, line in enumerate(lines) if f'ready: http://127.0.0.1:{system[2]}' in line)
    started = [index for index, line in enumerate(lines) if 'hms.supervisor: started ' in line]
    assert max(started) < ready < framed
