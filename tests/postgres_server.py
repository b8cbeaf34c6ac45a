"""A throwaway PostgreSQL server for tests: its own cluster in a temporary folder, on a unix socket only."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg


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
    """initdb + postgres as a child process; root runs it as the ``postgres`` user, as PostgreSQL demands."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix='hms-pg-', dir='/tmp'))
        self.data = self.folder / 'data'
        self.port = _free_port()  # names the socket file; no TCP listener is opened
        self.process: subprocess.Popen[bytes] | None = None
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
            [*self._as_user, str(self.bin_dir / 'initdb'), '-D', str(self.data), '-U', 'hms', '--auth=trust',
             '--encoding=UTF8', '--no-sync'],
            check=True, capture_output=True,
        )  # fmt: skip
        log = (self.folder / 'postgres.log').open('ab')
        self.process = subprocess.Popen(
            [*self._as_user, str(self.bin_dir / 'postgres'), '-D', str(self.data), '-k', str(self.folder),
             '-p', str(self.port), '-c', 'listen_addresses=', '-c', 'fsync=off', '-c', 'max_connections=100'],
            stdout=log, stderr=log, start_new_session=True,  # its own group: stop() signals runuser and postgres
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self._conninfo(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError((self.folder / 'postgres.log').read_text(errors='replace')) from None
                time.sleep(0.2)

    def execute(self, statement: str) -> None:
        with psycopg.connect(self._conninfo(), autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # SIGINT is PostgreSQL's fast shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
