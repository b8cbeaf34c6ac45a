"""Celery tasks of the reports feature: the monthly activity report (beat: the 1st at 07:00, clinic time).

The task is a thin wrapper: hms.services.reports decides who gets what and claims each message exactly once; this
module sends the composed emails over SMTP and turns temporary failures into Celery retries with back-off.

The month's reports are spread over the worker's processes: the task (the coordinator) sends helpers
(``hms.monthly_reports_helper``), one fewer than the worker has processes, and all of them walk the recipients from
different places, each report going to whoever claims it first. A helper marks a report in Redis before claiming it
and writes its outcome there afterwards, so the coordinator, once through the list, waits only for the reports its
helpers are still building, and counts them in the run; a helper that never got to start finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import redis
from celery import shared_task

from hms import clock
from hms.notify.email import send_composed
from hms.notify.sink import sink_port
from hms.services import deliveries, job_runs, reports
from hms.services.reports import Month

from .autoscale import MAX_PROCESSES
from .worker import worker_context

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 60  # 1, 2, 4, 8, 16 minutes between attempts
RETRY_MAX_SECONDS = 3600
MAX_RETRIES = deliveries.MAX_ATTEMPTS  # a delivery fails for good after that many attempts anyway
# Claims found unfinished are looked at again once they count as abandoned (and taken over then); a few times at most.
FOLLOW_UP_SECONDS = deliveries.STALE_CLAIM.total_seconds() + 60
MAX_FOLLOW_UPS = 3
HELPER_TASK = 'hms.monthly_reports_helper'
MIN_PER_HELPER = 8  # fewer reports than this per process are not worth another task
PROGRESS_KEY = 'hms:reports:progress:{run_id}'  # delivery key -> 'claiming', or a helper's outcome
PROGRESS_TTL_SECONDS = 86_400
CLAIMING = 'claiming'
POLL_SECONDS = 0.2


def backoff(retries: int) -> int:
    return int(min(RETRY_BASE_SECONDS * 2**retries, RETRY_MAX_SECONDS))


@shared_task(name='hms.monthly_reports', bind=True, max_retries=MAX_RETRIES)
def monthly_reports(
    self: Any,
    run_id: int | None = None,
    month: str | None = None,
    rerun: bool = False,
    delivery_ids: list[int] | None = None,
    carried: list[int] | None = None,
    follow_up: int = 0,
    rerun_of: int | None = None,
) -> dict[str, Any]:
    """Send the month's reports (default: the previous month in the clinic's zone), each exactly once.

    ``rerun`` sends them again on purpose (keys get the suffix ':rerun:<run id>', of ``rerun_of`` for a follow-up);
    ``delivery_ids`` sends only those pending report deliveries (an admin's retry, or this task's own retry after
    temporary failures, which carries the counts so far in ``carried``). A run that finds reports claimed but
    unfinished (a worker died while sending them, or another run is at it) looks again once such claims count as
    abandoned, and takes those over (``follow_up`` counts these looks)."""
    ctx = worker_context()
    settings = ctx.settings
    target = Month.parse(month) if month else Month.previous(clock.now(), settings.zone)
    if carried is None or run_id is None:
        detail: dict[str, Any] = {'month': target.key, 'rerun': rerun}
        if delivery_ids:
            detail['retry'] = list(delivery_ids)
        if follow_up:
            detail['follow_up'] = follow_up
        with ctx.uow() as uow:
            run_id = job_runs.get_or_start(uow, reports.JOB, run_id, detail=detail)
    sent, failed, skipped = carried or (0, 0, 0)
    port = sink_port(settings.data_path) if settings.sends_through_sink else None

    def send(email: EmailMessage) -> None:
        send_composed(email, settings, sink_port=port)

    try:
        if delivery_ids:
            tally = reports.resend(ctx.uow, settings, target, send, delivery_ids)
        else:
            suffix = reports.rerun_suffix(rerun_of or run_id) if rerun else ''
            helpers = _send_helpers(self, run_id, target, suffix)
            tally = reports.send_reports(ctx.uow, settings, target, send, key_suffix=suffix)
            if helpers:
                count_helpers_work(run_id, tally)
    except Exception:
        with ctx.uow() as uow:
            job_runs.finish_run(uow, run_id, sent=sent, failed=failed, skipped=skipped, status='failed')
        raise
    sent, failed, skipped = sent + tally.sent, failed + tally.failed, skipped + tally.skipped
    if tally.in_flight and follow_up < MAX_FOLLOW_UPS:
        logger.info('monthly reports %s: %d claimed but unfinished; looking again later', target.key, tally.in_flight)
        self.app.send_task(
            self.name,
            kwargs={
                'month': target.key,
                'rerun': rerun,
                'rerun_of': (rerun_of or run_id) if rerun else None,
                'follow_up': follow_up + 1,
            },
            countdown=FOLLOW_UP_SECONDS,
            add_to_parent=False,
        )
    if tally.pending:
        if self.request.retries < MAX_RETRIES:
            logger.info('monthly reports %s: %d to retry', target.key, len(tally.pending))
            raise self.retry(
                kwargs={
                    'run_id': run_id,
                    'month': target.key,
                    'rerun': rerun,
                    'delivery_ids': tally.pending,
                    'carried': [sent, failed, skipped],
                },
                countdown=backoff(self.request.retries),
                add_to_parent=False,  # the retry is this same task again, not a child of it
            )
        with ctx.uow() as uow:
            reports.mark_given_up(uow, tally.pending, 'gave up after repeated temporary failures')
        failed += len(tally.pending)
    with ctx.uow() as uow:
        job_runs.finish_run(uow, run_id, sent=sent, failed=failed, skipped=skipped)
    return {'run_id': run_id, 'month': target.key, 'sent': sent, 'failed': failed, 'skipped': skipped}


def _progress(run_id: int) -> tuple[redis.Redis, str]:
    url = worker_context().settings.redis_url
    if url is None:
        raise RuntimeError('no Redis: the reports are not spread over processes')
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5), PROGRESS_KEY.format(run_id=run_id)


def _send_helpers(task: Any, run_id: int, month: Month, suffix: str) -> int:
    """Helpers for the other worker processes (none for a few reports, or without Redis); how many were sent."""
    ctx = worker_context()
    if ctx.settings.redis_url is None:
        return 0
    with ctx.uow() as uow:
        total = len(reports.recipients(uow))
    processes = MAX_PROCESSES  # the autoscaler starts the second process for the helper waiting
    helpers = min(processes - 1, total // MIN_PER_HELPER - 1)
    for index in range(1, helpers + 1):
        start = total * index // (helpers + 1)
        kwargs = {'run_id': run_id, 'month': month.key, 'key_suffix': suffix, 'start': start}
        task.app.send_task(HELPER_TASK, kwargs=kwargs, ignore_result=True)
    return max(0, helpers)


def count_helpers_work(run_id: int, tally: reports.Tally, limit_s: float | None = None) -> None:
    """Count in ``tally`` the reports this run's helpers sent (or tried), waiting for those they are still building;
    reports claimed by anyone else stay skipped or in flight (a follow-up looks at those later, as before)."""
    deadline = time.monotonic() + (limit_s if limit_s is not None else deliveries.STALE_CLAIM.total_seconds())
    client, progress = _progress(run_id)
    try:
        waiting = list(tally.skipped_keys)
        while waiting:
            marks = client.hmget(progress, waiting)
            still = []
            for key, mark in zip(waiting, marks, strict=True):
                text = mark.decode() if isinstance(mark, bytes) else mark
                if text == CLAIMING:
                    still.append(key)
                elif text is not None:
                    tally.take_over(key, text)
            if not still or time.monotonic() > deadline:
                return
            waiting = still
            time.sleep(POLL_SECONDS)
    except redis.RedisError as error:  # the helpers' reports stay skipped or in flight: the follow-up counts them
        logger.warning("monthly reports: could not read the helpers' progress (%s)", type(error).__name__)
    finally:
        client.close()


@shared_task(name=HELPER_TASK, bind=True, ignore_result=True, acks_late=True)
def monthly_reports_helper(self: Any, run_id: int, month: str, key_suffix: str = '', start: int = 0) -> int:
    """Send whichever of the month's reports nobody has claimed yet, beginning at ``start``; tell the coordinator
    (through Redis) about each one claimed. Returns how many this helper sent."""
    ctx = worker_context()
    settings = ctx.settings
    port = sink_port(settings.data_path) if settings.sends_through_sink else None
    client, progress = _progress(run_id)

    def send(email: EmailMessage) -> None:
        send_composed(email, settings, sink_port=port)

    def claiming(key: str) -> Callable[[str | None], None]:
        with contextlib.suppress(redis.RedisError):
            client.hset(progress, key, CLAIMING)
            client.expire(progress, PROGRESS_TTL_SECONDS)

        def told(outcome: str | None) -> None:
            with contextlib.suppress(redis.RedisError):
                if outcome is None:
                    client.hdel(progress, key)
                else:
                    client.hset(progress, key, outcome)

        return told

    try:
        tally = reports.send_reports(
            ctx.uow, settings, Month.parse(month), send, key_suffix=key_suffix, start=start, claiming=claiming
        )
    finally:
        client.close()
    return tally.sent
