"""Background jobs for the administrator: runs, reachability of Redis and the worker, 'run now', the delivery log
and retries of failed deliveries."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from hms.api.deps import AdminUser, Context
from hms.api.params import IdPath, check_days
from hms.api.problems import ProblemFamily
from hms.api.schemas import (
    CacheStatsOut,
    ComponentOut,
    DeliveryPage,
    DeliveryRetryOut,
    JobOut,
    JobRunOut,
    JobsOut,
    JobStartedOut,
    ReachabilityOut,
)
from hms.domain.enums import Channel, DeliveryStatus
from hms.services import jobs_admin
from hms.services.jobs_admin import DeliveryFilter

router = APIRouter(prefix='/admin', tags=['jobs'])

_responses = ProblemFamily(
    401,
    403,
    described={403: 'Only the administrator', 503: 'Redis is not configured or does not answer: jobs cannot run'},
)
Month = Annotated[str | None, Query(description='YYYY-MM (monthly-reports only; default: the previous month)')]


@router.get('/jobs', summary='Jobs, their last runs, Redis and worker', responses=_responses())
def jobs_overview(principal: AdminUser, ctx: Context) -> JobsOut:
    """The last runs of each job (daily-reminders, monthly-reports, export-cleanup), whether Redis answers PING and a
    worker answers a ping (about a second each), the number of failed deliveries and this process's cache counters."""
    zone = ctx.settings.zone
    with ctx.uow() as uow:
        runs = jobs_admin.last_runs(uow, principal)
        failed = jobs_admin.failed_count(uow, principal)
    health = jobs_admin.health(ctx.uow, ctx.settings, principal, ctx.open_queue)
    return JobsOut(
        jobs=[
            JobOut(name=job, can_run_now=job in jobs_admin.RUNNABLE, runs=JobRunOut.from_views(found, zone))
            for job, found in runs.items()
        ],
        reachability=ReachabilityOut.from_view(health),
        components=ComponentOut.from_views(health.components, zone),
        failed_deliveries=failed,
        cache=CacheStatsOut(**ctx.cache.stats()),
    )


@router.post(
    '/jobs/{name}/run',
    status_code=status.HTTP_202_ACCEPTED,
    summary='Run a job now',
    responses=_responses(404, 422, 503),
)
def run_job(
    name: str,
    principal: AdminUser,
    ctx: Context,
    month: Month = None,
    rerun: Annotated[bool, Query(description='monthly-reports: send again what was sent already')] = False,
) -> JobStartedOut:
    """`daily-reminders` (today, in the clinic's zone) or `monthly-reports` (`month`, default the previous month;
    each report once, unless `rerun=true`). Answers at once with the run's id; the worker does the rest."""
    enqueued = jobs_admin.run_now(ctx.uow, ctx.settings, principal, ctx.open_queue, name, month=month, rerun=rerun)
    assert enqueued.run_id is not None
    with ctx.uow() as uow:
        run = jobs_admin.get_run(uow, principal, enqueued.run_id)
    return JobStartedOut(id=run.id, job=run.job, task=enqueued.task, detail=run.detail)


@router.get('/jobs/runs/{run_id}', summary='One job run', responses=_responses(404, 422))
def get_run(run_id: IdPath, principal: AdminUser, ctx: Context) -> JobRunOut:
    with ctx.uow() as uow:
        return JobRunOut.from_view(jobs_admin.get_run(uow, principal, run_id), ctx.settings.zone)


@router.get('/deliveries', summary='The delivery log', responses=_responses(422))
def list_deliveries(
    principal: AdminUser,
    ctx: Context,
    status_: Annotated[DeliveryStatus | None, Query(alias='status')] = None,
    kind: Annotated[Literal['reminder', 'confirmation', 'report', 'export'] | None, Query()] = None,
    channel: Channel | None = None,
    first: Annotated[date | None, Query(alias='from', description='created on or after this local date')] = None,
    last: Annotated[date | None, Query(alias='to', description='created on or before this local date')] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> DeliveryPage:
    """Every message sent or tried (newest first); `last_error` is technical, never message text."""
    check_days(first, last)
    criteria = DeliveryFilter(status=status_, kind=kind, channel=channel, first=first, last=last)
    with ctx.uow() as uow:
        page = jobs_admin.find_deliveries(uow, ctx.settings, principal, criteria, limit=limit, offset=offset)
    return DeliveryPage.from_view(page, ctx.settings.zone)


@router.post(
    '/deliveries/{delivery_id}/retry',
    status_code=status.HTTP_202_ACCEPTED,
    summary='Retry a failed delivery',
    responses=_responses(404, 409, 422, 503),
)
def retry_delivery(delivery_id: IdPath, principal: AdminUser, ctx: Context) -> DeliveryRetryOut:
    """Reopen a failed delivery and hand it to the task that sends it (409 when it did not fail, or when no task
    sends that kind of message again)."""
    enqueued = jobs_admin.retry_delivery(ctx.uow, ctx.settings, principal, ctx.open_queue, delivery_id)
    return DeliveryRetryOut(delivery_id=delivery_id, task=enqueued.task, run_id=enqueued.run_id)
