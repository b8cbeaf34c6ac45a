"""The beat scheduler as its own process (``python main.py beat``): it writes its heartbeat from its own loop, and a
daily or monthly job whose time passed while it was down is sent exactly once when it is back, even when it is
killed (SIGKILL) right after sending it. No worker runs here: the tasks beat sends are read from Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from redbeat.decoder import RedBeatJSONDecoder, RedBeatJSONEncoder  # type: ignore[import-untyped]

from hms.runtime import heartbeat
from jobs.celery_app import REDBEAT_KEY_PREFIX

from .fault_fixtures import wait_until
from .processes import alive, descendants, short_folder

ROOT = Path(__file__).resolve().parents[1]
CAUGHT_UP = ('daily-reminders', 'monthly-reports')


class Beat:
    """``python main.py beat`` in ``folder``; every start is a new process, each one killed by PID at the end."""

    def __init__(self, folder: Path, redis_url: str) -> None:
        self.folder = folder
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(('HMS_', 'PYTEST_'))}
        self.env.update({'HMS_DATA_DIR': str(folder), 'HMS_REDIS_URL': redis_url, 'HMS_LOG_LEVEL': 'INFO'})
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with (self.folder / 'beat.log').open('ab') as log:
            process = subprocess.Popen(
                [sys.executable, str(ROOT / 'main.py'), 'beat'],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def log(self) -> str:
        return (self.folder / 'beat.log').read_text(errors='replace')

    def kill_all(self) -> None:
        for process in self.processes:
            for pid in descendants(process.pid) | {process.pid}:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture
def beat(redis_url: str) -> Iterator[Beat]:
    with short_folder('hms-b-') as folder:
        found = Beat(folder, redis_url)
        try:
            yield found
        finally:
            found.kill_all()


def heartbeat_pid(client: redis.Redis) -> int | None:
    raw = client.get(heartbeat.KEY)
    return json.loads(raw)['pid'] if raw else None


def sent_tasks(client: redis.Redis) -> list[str]:
    """The names of the tasks waiting in the default queue, oldest first."""
    return [json.loads(item)['headers']['task'] for item in reversed(client.lrange('celery', 0, -1))]


def count(client: redis.Redis, task: str) -> int:
    return sent_tasks(client).count(task)


def wait_for_heartbeat_of(client: redis.Redis, process: subprocess.Popen[bytes], beat: Beat) -> None:
    def written() -> bool:
        assert process.poll() is None, beat.log()
        return heartbeat_pid(client) == process.pid

    wait_until(written, f'the heartbeat of beat {process.pid}')


def move_last_runs_back(client: redis.Redis, days: int) -> None:
    """As if beat had been down for ``days``: the last run of each caught-up job (RedBeat's, in Redis) moves back."""
    for name in CAUGHT_UP:
        key = f'{REDBEAT_KEY_PREFIX}{name}'
        meta = json.loads(client.hget(key, 'meta') or '{}', cls=RedBeatJSONDecoder)
        meta['last_run_at'] = datetime.now(UTC) - timedelta(days=days)
        client.hset(key, 'meta', json.dumps(meta, cls=RedBeatJSONEncoder))


def test_a_job_missed_while_beat_was_down_runs_once_when_it_is_back(beat: Beat, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        first = beat.start()
        wait_for_heartbeat_of(client, first, beat)  # the scheduler process itself wrote it: no worker runs
        assert count(client, 'hms.daily_reminders') == 0  # a new schedule: nothing is overdue
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0, beat.log()

        move_last_runs_back(client, days=40)  # beat was 'down' across a 1st of the month and many mornings
        second = beat.start()
        wait_for_heartbeat_of(client, second, beat)  # written once nothing is due any more
        assert count(client, 'hms.daily_reminders') == 1
        assert count(client, 'hms.monthly_reports') == 1

        os.kill(second.pid, signal.SIGKILL)  # killed right after sending: no clean shutdown, no final sync
        second.wait(timeout=30)
        third = beat.start()
        wait_for_heartbeat_of(client, third, beat)
        assert count(client, 'hms.daily_reminders') == 1, beat.log()  # not sent again
        assert count(client, 'hms.monthly_reports') == 1, beat.log()
    finally:
        client.close()
