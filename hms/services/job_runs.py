"""Runs of the scheduled jobs: started, counted and finished, for the admin's Jobs page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hms import clock
from hms.db.models import JobRun
from hms.db.uow import UnitOfWork

JOBS = ('daily-reminders', 'monthly-reports', 'export-cleanup')


def start_run(
    uow: UnitOfWork, job: str, *, detail: dict[str, Any] | None = None, triggered_by: int | None = None
) -> int:
    run = JobRun(job=job, started_at=clock.now(), status='running', sent=0, failed=0, skipped=0, detail=detail or {},
                 triggered_by_id=triggered_by)  # fmt: skip
    uow.session.add(run)
    uow.commit()
    return run.id


def get_or_start(
    uow: UnitOfWork, job: str, run_id: int | None, *, detail: dict[str, Any], triggered_by: int | None = None
) -> int:
    """The run created by 'run now' (``run_id``), or a new one for a scheduled run."""
    if run_id is not None and uow.session.get(JobRun, run_id) is not None:
        run = uow.session.get(JobRun, run_id)
        assert run is not None
        run.detail = {**(run.detail or {}), **detail}
        run.status, run.started_at = 'running', clock.now()
        uow.commit()
        return run_id
    return start_run(uow, job, detail=detail, triggered_by=triggered_by)


def finish_run(uow: UnitOfWork, run_id: int, *, sent: int, failed: int, skipped: int, status: str = 'done') -> None:
    run = uow.session.get(JobRun, run_id)
    if run is None:
        return
    run.sent, run.failed, run.skipped, run.status, run.finished_at = sent, failed, skipped, status, clock.now()
    uow.commit()


def recent_runs(uow: UnitOfWork, job: str | None = None, limit: int = 50) -> list[JobRun]:
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRun.job == job)
    return list(uow.session.scalars(query))
