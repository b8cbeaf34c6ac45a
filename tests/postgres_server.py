"""A throwaway PostgreSQL server for tests: its own cluster in a temporary folder, on a unix socket only.

The server runs as the current user. PostgreSQL refuses to run as root, so only when the tests run as root
(containers, CI images) it runs as the ``postgres`` user that Debian's package creates, through ``runuser``.
It is stopped by PID at the end of the session, at interpreter exit, and by a watchdog if pytest itself is killed.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from hms.db.migrate import upgrade

from .processes import stop_process

TEMPLATE = 'hms_template'
# HMS_TEST_POSTGRES=1 runs the whole suite on PostgreSQL: one server per session, a fresh database per test.
ON_POSTGRES = os.environ.get('HMS_TEST_POSTGRES') == '1'

# Runs beside pytest: once pytest is gone (even killed), stops the server's process group and removes its folder.
_WATCHDOG = """
import os, shutil, signal, sys, time
parent, group, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
while alive(parent) and alive(group):
    time.sleep(1)
if alive(group):
    os.killpg(group, signal.SIGINT)
    for _ in range(150):
        if not alive(group):
            break
        time.sleep(0.2)
    else:
        os.killpg(group, signal.SIGKILL)
shutil.rmtree(folder, ignore_errors=True)
"""


def find_bin_dir() -> Path | None:
    """The folder holding initdb and postgres (Debian keeps them out of PATH)."""
    on_path = shutil.which('initdb')
    if on_path:
        return Path(on_path).parent
    candidates = sorted(Path('/usr/lib/postgresql').glob('*/bin/initdb'), reverse=True)
    return candidates[0].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """initdb + postgres as a child process of the current user (of ``postgres`` when that user is root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix='hms-pg-', dir='/tmp'))
        self.data = self.folder / 'data'
        self.port = _free_port()  # names the socket file; no TCP listener is opened
        self.process: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._numbers = itertools.count()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam('postgres')
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as_user = ['runuser', '-u', 'postgres', '--']

    def url(self, database: str) -> str:
        return f'postgresql+psycopg://hms@/{database}?host={self.folder}&port={self.port}'

    def _conninfo(self, database: str = 'postgres') -> str:
        return f'host={self.folder} port={self.port} user=hms dbname={database}'

    def start(self, timeout: float = 30.0) -> None:
        subprocess.run(
            [
                *self._as_user,
                str(self.bin_dir / 'initdb'),
                '-D',
                str(self.data),
                '-U',
                'hms',
                '--auth=trust',
                '--encoding=UTF8',
                '--no-sync',
            ],
            check=True,
            capture_output=True,
        )
        log = (self.folder / 'postgres.log').open('ab')
        # fsync off and no full-page writes: a test cluster never needs to survive a crash.
        self.process = subprocess.Popen(
            [
                *self._as_user,
                str(self.bin_dir / 'postgres'),
                '-D',
                str(self.data),
                '-k',
                str(self.folder),
                '-p',
                str(self.port),
                '-c',
                'listen_addresses=',
                '-c',
                'fsync=off',
                '-c',
                'synchronous_commit=off',
                '-c',
                'full_page_writes=off',
                '-c',
                'max_connections=200',
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own group: stop() signals runuser and postgres
        )
        log.close()
        atexit.register(self.stop)
        self._watchdog = subprocess.Popen(
            [sys.executable, '-c', _WATCHDOG, str(os.getpid()), str(self.process.pid), str(self.folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self._conninfo(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log_text = (self.folder / 'postgres.log').read_text(errors='replace')
                    self.stop()
                    raise RuntimeError(log_text) from None
                time.sleep(0.2)

    def execute(self, statement: str) -> None:
        with psycopg.connect(self._conninfo(), autocommit=True) as connection:
            connection.execute(statement)

    def create_template(self) -> None:
        """The migrated database every test database is cloned from (migrating once keeps the suite fast)."""
        self.execute(f'CREATE DATABASE {TEMPLATE}')
        upgrade(self.url(TEMPLATE))

    def clone_template(self) -> str:
        """A fresh database copied from the template; returns its name."""
        name = f'hms_test_{next(self._numbers)}'
        self.execute(f'CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY')  # fast for small databases
        return name

    def drop(self, name: str) -> None:
        """Drop a database, first ending the connections a test left open (pools, servers it started)."""
        self.execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            stop_process(process, signal.SIGINT, 30, group=True)  # SIGINT is PostgreSQL's fast shutdown
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            with contextlib.suppress(ProcessLookupError):
                watchdog.kill()
            watchdog.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
        atexit.unregister(self.stop)


def start_with_template() -> PostgresServer:
    """A running server holding the migrated template; raises if PostgreSQL is not installed."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError('PostgreSQL is not installed (apt-get install postgresql)')
    server = PostgresServer(bin_dir)
    server.start()
    try:
        server.create_template()
    except BaseException:
        server.stop()
        raise
    return server
