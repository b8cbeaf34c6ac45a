"""The Celery app: its configuration, and a real worker answering through the embedded Redis's unix socket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hms.config import Settings
from hms.runtime.redis_server import EmbeddedRedis
from jobs.celery_app import beat_argv, create_celery, worker_argv

from .processes import assert_gone, short_folder, stop_process

ROOT = Path(__file__).resolve().parents[1]


def make_settings(**values: object) -> Settings:
    """Settings from explicit values, ignoring any .env file in the working directory."""
    return Settings(_env_file=None, **values)


@pytest.fixture
def folder() -> Iterator[Path]:
    with short_folder() as path:
        yield path


def test_configuration_without_redis_never_fails(folder: Path) -> None:
    app = create_celery(make_settings(redis_url=None, data_dir=folder, timezone='Africa/Nairobi'))
    assert app.main == 'hms'
    assert app.conf.broker_url == 'memory://'
    assert app.conf.result_backend == 'cache+memory://'
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.timezone == 'Africa/Nairobi'
    assert app.conf.enable_utc is True
    assert app.conf.task_serializer == 'json'
    assert app.conf.result_serializer == 'json'
    assert list(app.conf.accept_content) == ['json']
    assert app.conf.result_expires == 3600
    assert app.conf.beat_schedule_filename == str(folder / 'celerybeat-schedule')
    assert app.conf.beat_schedule['daily-reminders']['task'] == 'hms.daily_reminders'
    assert 'jobs.tasks' in app.conf.include


def test_unix_socket_url_becomes_a_kombu_url(folder: Path) -> None:
    app = create_celery(make_settings(redis_url=f'unix://{folder}/redis.sock?db=1', data_dir=folder))
    assert app.conf.broker_url == f'redis+socket://{folder}/redis.sock?virtual_host=1'
    assert app.conf.result_backend == app.conf.broker_url


def test_worker_and_beat_arguments(folder: Path) -> None:
    settings = make_settings(data_dir=folder)
    schedule = str(folder / 'celerybeat-schedule')
    assert worker_argv(settings, beat=False) == ['worker', '--loglevel=INFO', '--autoscale=2,1', '--hostname=hms@%h']
    assert worker_argv(settings, beat=True)[-3:] == ['-B', '--schedule', schedule]
    assert beat_argv(settings) == ['beat', '--loglevel=INFO', '--schedule', schedule]
    # The pool grows from one process only when work waits (jobs/autoscale.py).
    app = create_celery(settings)
    assert app.conf.worker_autoscaler == 'jobs.autoscale:PatientAutoscaler'
    assert 100_000 < app.conf.worker_max_memory_per_child < 250_000  # KiB: a process grown by PDFs is replaced


def test_real_worker_answers_ping_over_the_embedded_redis(folder: Path) -> None:
    redis = EmbeddedRedis(folder / 'redis')
    redis.start()
    redis_pid = redis.pid
    assert redis_pid is not None
    worker: subprocess.Popen[bytes] | None = None
    worker_log = folder / 'worker.log'
    try:
        env = {**os.environ, 'HMS_REDIS_URL': redis.url, 'HMS_DATA_DIR': str(folder)}
        with worker_log.open('wb') as log:
            worker = subprocess.Popen(
                [sys.executable, '-m', 'celery', '-A', 'jobs.celery_app', 'worker', '--pool=solo', '--loglevel=INFO'],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        app = create_celery(make_settings(redis_url=redis.url, data_dir=folder))
        try:
            result = app.send_task('hms.ping')
            try:
                assert result.get(timeout=30) == 'pong'
            except Exception:
                print(worker_log.read_text(errors='replace'))
                raise
        finally:
            app.close()
    finally:
        if worker is not None:
            stop_process(worker, signal.SIGTERM, 60)  # warm shutdown
        redis.stop()

    assert worker is not None
    assert_gone(worker.pid)
    assert_gone(redis_pid)
    assert 'hms.ping' in worker_log.read_text(errors='replace')  # the worker registered our task
