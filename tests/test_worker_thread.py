"""The in-process Celery worker used by the job tests answers over the real Redis."""

from celery import Celery


def test_worker_thread_runs_the_projects_tasks(celery_worker: Celery) -> None:
    assert celery_worker.send_task('hms.ping').get(timeout=30) == 'pong'
    assert {'daily-reminders', 'monthly-reports', 'export-cleanup'} <= set(celery_worker.conf.beat_schedule)
