"""The Celery application: broker and result backend on the Redis named by ``HMS_REDIS_URL``.

``celery -A jobs.celery_app worker`` finds ``celery_app`` below. Without ``HMS_REDIS_URL`` the app falls back to
in-memory transports so that importing this module (from the web process, tests, tooling) never fails, but a
worker started that way only sees its own process: a real worker needs ``HMS_REDIS_URL`` (``python main.py`` sets it to
its embedded Redis).
"""

from __future__ import annotations

from pathlib import Path

from celery import Celery

from hms.config import Settings
from hms.runtime import heartbeat
from hms.runtime.dispatch import BROKER_TIMEOUTS
from hms.runtime.redis_server import celery_broker_url

from .autoscale import MAX_PROCESSES, MIN_PROCESSES, WORKER_MEMORY_LIMIT_KIB
from .schedule import beat_schedule

BEAT_SCHEDULE_NAME = 'celerybeat-schedule'
# What a worker imports before it starts (and before Celery's ``worker_init`` signal): the task modules, and
# ``jobs.recovery``, which connects the node's start-up recovery to the worker's signals. Named, not imported here:
# those modules import the worker's context, which imports this module.
TASK_MODULES = [
    'jobs.tasks',
    'jobs.reminders',
    'jobs.exports',
    'jobs.accounts',
    'jobs.reports',
    'jobs.outbox',
    'jobs.waitlist',
    'jobs.rescue',
    'jobs.recalls',
    'jobs.recovery',
]


REDBEAT_KEY_PREFIX = 'hms:beat:'
REDBEAT_LOCK_SECONDS = int(3 * heartbeat.INTERVAL_SECONDS)


def _beat_schedule_path(settings: Settings) -> Path:
    return settings.data_path / BEAT_SCHEDULE_NAME


def create_celery(settings: Settings | None = None) -> Celery:
    """Build the ``hms`` Celery app for ``settings`` (read from the environment when not given)."""
    settings = settings or Settings()
    if settings.redis_url:
        broker = backend = celery_broker_url(settings.redis_url)
    else:
        broker, backend = 'memory://', 'cache+memory://'
    app = Celery('hms', broker=broker, backend=backend, include=TASK_MODULES)
    app.conf.update(
        # A task is acknowledged only once it has run, so a worker killed mid-task hands it back to the queue.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_autoscaler='jobs.autoscale:PatientAutoscaler',
        # A pool process starts at ~100 MB; one that built PDFs or charts (reports, documents) holds twice that, so
        # it is replaced by a fresh one once its task is done.
        worker_max_memory_per_child=WORKER_MEMORY_LIMIT_KIB,
        timezone=settings.timezone,
        enable_utc=True,
        task_serializer='json',
        result_serializer='json',
        accept_content=['json'],
        broker_connection_retry_on_startup=True,
        result_expires=3600,
        beat_schedule_filename=str(_beat_schedule_path(settings)),
        beat_schedule=beat_schedule(settings),
        # The scheduler writes its heartbeat from its own loop, which therefore never sleeps longer than its interval.
        beat_scheduler='jobs.heartbeat:HeartbeatScheduler',
        beat_max_loop_interval=heartbeat.INTERVAL_SECONDS,
        # RedBeat (jobs.heartbeat): the schedule and last run times live in Redis, under a lock that one beat holds
        # at a time; any other beat waits for it, so beat may run on several machines and each job is sent once.
        # The lock outlives a killed holder by this long (it is extended on every tick, at least every 10 s).
        redbeat_redis_url=settings.redis_url,
        redbeat_key_prefix=REDBEAT_KEY_PREFIX,
        redbeat_lock_timeout=REDBEAT_LOCK_SECONDS,
        redbeat_redis_options={'socket_connect_timeout': 2, 'socket_timeout': 10},
        # Last run times reach the schedule file after every task sent (Celery's default: every 3 minutes), so a
        # beat killed right after sending the daily reminders does not send them again when it is restarted.
        beat_sync_every=1,
        # Keep root-logger handlers installed by HMS itself; Celery still adds its own for --loglevel.
        worker_hijack_root_logger=False,
        # A dead Redis must fail a connection attempt quickly, never freeze a web request or a task for long. A task
        # a SIGKILLed worker held unacknowledged is handed out again after HMS_TASK_REDELIVERY_SECONDS, looked for
        # every 10 s (Kombu's default sweep is every 100 s); delivery claims keep a redelivered send from repeating.
        broker_transport_options={
            'socket_connect_timeout': 2,
            'visibility_timeout': settings.task_redelivery_seconds,
            'unacked_restore_interval': 10,
            'unacked_restore_throttle': 1,
        },
        redis_socket_connect_timeout=2,
    )
    return app


def open_queue(settings: Settings) -> Celery:
    """This package's implementation of ``hms.ports.QueueFactory``: a Celery app to send tasks by name, that waits a
    few seconds at most on a Redis that is down or hangs (the caller then hears why)."""
    app = create_celery(settings)
    app.conf.broker_transport_options = {**(app.conf.broker_transport_options or {}), **BROKER_TIMEOUTS}
    return app


def worker_argv(settings: Settings, *, beat: bool, name: str = 'hms@%h') -> list[str]:
    """Arguments for ``celery_app.worker_main``; with ``beat`` the worker also runs the scheduler (its lock in Redis
    keeps it to one process in the deployment). ``name`` is the node name; each running worker needs its own.

    The data folder must exist before a worker with beat starts (``settings.ensure_data_dir()``).
    """
    argv = ['worker', '--loglevel=INFO', f'--autoscale={MAX_PROCESSES},{MIN_PROCESSES}', f'--hostname={name}']
    if beat:
        argv += ['-B', '--schedule', str(_beat_schedule_path(settings))]
    return argv


def beat_argv(settings: Settings) -> list[str]:
    """Arguments for a standalone ``celery beat`` (when workers run elsewhere or on several machines)."""
    return ['beat', '--loglevel=INFO', '--schedule', str(_beat_schedule_path(settings))]


celery_app = create_celery()
