"""Celery tasks of the reports feature: the monthly activity report (beat: the 1st at 07:00, clinic time).

The task is a thin wrapper: hms.services.reports decides who gets what and claims each message exactly once; this
module sends the composed emails over SMTP and turns temporary failures into Celery retries with back-off.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any

from celery import shared_task

from hms import clock
from hms.notify.email import send_composed
from hms.notify.sink import sink_port
from hms.services import deliveries, job_runs, reports
from hms.services.reports import Month

from .worker import worker_context

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 60  # 1, 2, 4, 8, 16 minutes between attempts
RETRY_MAX_SECONDS = 3600
MAX_RETRIES = deliveries.MAX_ATTEMPTS  # a delivery fails for good after that many attempts anyway
# Claims found unfinished are looked at again once they count as abandoned (and taken over then); a few times at most.
FOLLOW_UP_SECONDS = deliveries.STALE_CLAIM.total_seconds() + 60
MAX_FOLLOW_UPS = 3


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
            tally = reports.send_reports(ctx.uow, settings, target, send, key_suffix=suffix)
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
