"""Runs of the scheduled jobs: started, counted and finished, for the admin's Jobs page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hms import clock
from hms.db.job_runs import JobRunRepository
from hms.db.models import JobRun
from hms.db.uow import UnitOfWork

JOBS = ('daily-reminders', 'monthly-reports', 'export-cleanup', 'waitlist-offers', 'rescue-deadlines', 'recalls')


def start_run(
    uow: UnitOfWork, job: str, *, detail: dict[str, Any] | None = None, triggered_by: int | None = None
) -> int:
    run = JobRunRepository(uow.session).add(
        JobRun(
            job=job,
            started_at=clock.now(),
            status='running',
            sent=0,
            failed=0,
            skipped=0,
            detail=detail or {},
            triggered_by_id=triggered_by,
        )
    )
    uow.commit()
    return run.id


def get_or_start(
    uow: UnitOfWork, job: str, run_id: int | None, *, detail: dict[str, Any], triggered_by: int | None = None
) -> int:
    """The run created by 'run now' (``run_id``), or a new one for a scheduled run."""
    run = JobRunRepository(uow.session).get(run_id) if run_id is not None else None
    if run is not None:
        run.detail = {**(run.detail or {}), **detail}
        run.status, run.started_at = 'running', clock.now()
        uow.commit()
        return run.id
    return start_run(uow, job, detail=detail, triggered_by=triggered_by)


def finish_run(
    uow: UnitOfWork,
    run_id: int,
    *,
    sent: int,
    failed: int,
    skipped: int,
    status: str = 'done',
    detail: dict[str, Any] | None = None,
) -> None:
    """Record the run's outcome (and add ``detail`` to what its row tells the admin)."""
    run = JobRunRepository(uow.session).get(run_id)
    if run is None:
        return
    run.sent, run.failed, run.skipped, run.status, run.finished_at = sent, failed, skipped, status, clock.now()
    if detail:
        run.detail = {**(run.detail or {}), **detail}
    uow.commit()


def fail_interrupted(
    uow: UnitOfWork, job: str, *, node: str, started_before: datetime, error: str
) -> list[dict[str, Any]]:
    """Mark failed the runs of ``job`` that worker ``node`` left running before it (re)started; their details."""
    interrupted = []
    for run in JobRunRepository(uow.session).running_started_before(job, started_before):
        if (run.detail or {}).get('node') == node:
            run.status, run.finished_at = 'failed', clock.now()
            run.detail = {**(run.detail or {}), 'error': error}
            interrupted.append(dict(run.detail))
    uow.commit()
    return interrupted


def recent_runs(uow: UnitOfWork, job: str | None = None, limit: int = 50) -> list[JobRun]:
    return JobRunRepository(uow.session).recent(job, limit)
