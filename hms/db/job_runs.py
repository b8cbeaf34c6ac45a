"""Queries of the job runs (a scheduled job's run: when, how many sent, failed, skipped)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import JobRun


class JobRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, run: JobRun) -> JobRun:
        self.session.add(run)
        self.session.flush()
        return run

    def get(self, run_id: int) -> JobRun | None:
        return self.session.get(JobRun, run_id)

    def fresh(self, run_id: int) -> JobRun | None:
        """The row as the database has it now (counts other tasks added since this session last read it)."""
        return self.session.scalar(select(JobRun).where(JobRun.id == run_id).execution_options(populate_existing=True))

    def recent(self, job: str | None = None, limit: int = 50) -> list[JobRun]:
        query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
        if job is not None:
            query = query.where(JobRun.job == job)
        return list(self.session.scalars(query))

    def running_started_before(self, job: str, before: datetime) -> list[JobRun]:
        query = select(JobRun).where(JobRun.job == job, JobRun.status == 'running', JobRun.started_at < before)
        return list(self.session.scalars(query))

    def count_outcome(self, run_id: int, *, sent: bool) -> None:
        """Add one to the run's sent or failed count (an atomic increment: deliveries finish concurrently)."""
        column = JobRun.sent if sent else JobRun.failed
        self.session.execute(update(JobRun).where(JobRun.id == run_id).values({column: column + 1}))
