"""Celery tasks of the exports feature (pages and the API start one through ``hms.services.exports.start_export``).

``hms.run_export`` builds one export's CSV (idempotent: a finished export is never redone, a re-delivered one after
a worker died is simply run again); ``hms.export_email`` tells the owner it is ready, exactly once (a delivery claimed
by key); ``hms.cleanup_exports`` (hourly, from beat) removes expired files.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from hms.context import AppContext
from hms.domain.enums import ExportStatus
from hms.services import exports, job_runs

from .sending import EMAIL_RETRIES, claim_email, send_email
from .worker import worker_context

logger = logging.getLogger(__name__)

RUN_EXPORT = exports.RUN_EXPORT_TASK
EXPORT_EMAIL = 'hms.export_email'
CLEANUP_EXPORTS = 'hms.cleanup_exports'
EMAIL_BACKOFF_SECONDS = 30  # the export is ready for days: no hurry


# --- The tasks --------------------------------------------------------------------------------------------------------


@shared_task(name=RUN_EXPORT, bind=True, acks_late=True)
def run_export(self: Any, export_id: int) -> str:
    """Build, write and announce one export; returns its final status."""
    ctx = worker_context()
    settings = ctx.settings
    with ctx.uow() as uow:
        job = exports.begin(uow, export_id)
        status = exports.status_of(uow, export_id) if job is None else None
    if job is None:  # done before (a re-delivered task), failed, or unknown: never redone
        if status is ExportStatus.DONE:
            self.app.send_task(EXPORT_EMAIL, kwargs={'export_id': export_id})  # the claim keeps it to one email
        return status.value if status else 'unknown'
    try:
        with ctx.uow() as uow:
            content, rows = exports.build_csv(uow, settings, job)
    except Exception:
        logger.exception('export %s (%s): building the rows failed', export_id, job.kind.value)
        _fail(ctx, export_id, exports.BUILD_FAILED)
        return ExportStatus.FAILED.value
    try:
        file_name = exports.store_file(settings, content)
    except OSError as error:
        logger.error('export %s: writing the file failed (%s)', export_id, type(error).__name__)
        _fail(ctx, export_id, exports.WRITE_FAILED)
        return ExportStatus.FAILED.value
    with ctx.uow() as uow:
        finished = exports.finish(uow, export_id, file_name, rows)
    if not finished:  # another delivery of this task finished first: keep its file
        exports.discard_file(settings, file_name)
        return ExportStatus.DONE.value
    logger.info('export %s (%s): %s rows', export_id, job.kind.value, rows)
    self.app.send_task(EXPORT_EMAIL, kwargs={'export_id': export_id})
    return ExportStatus.DONE.value


def _fail(ctx: AppContext, export_id: int, message: str) -> None:
    with ctx.uow() as uow:
        exports.fail(uow, export_id, message)


@shared_task(name=EXPORT_EMAIL, bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def export_email(self: Any, export_id: int, delivery_id: int | None = None) -> str:
    """'Your export is ready', sent once; temporary failures are retried with exponential back-off."""
    ctx = worker_context()
    settings = ctx.settings
    with ctx.uow() as uow:
        ready = exports.ready_message(uow, settings, export_id)
        if ready is None:
            return 'nothing to send'
        owner_id, message = ready
        key = f'export:{export_id}:email'
        claim = claim_email(uow, key, kind='export', user_id=owner_id, message=message, delivery_id=delivery_id)
    if claim is None:
        return 'already sent'
    kwargs = {'export_id': export_id}
    return send_email(
        self, claim.delivery_id, message, kwargs, what=f'export {export_id}', backoff_seconds=EMAIL_BACKOFF_SECONDS
    )


@shared_task(name=CLEANUP_EXPORTS, acks_late=True)
def cleanup_exports() -> dict[str, int]:
    """Remove expired export files (hourly); recorded as a run of the 'export-cleanup' job."""
    ctx = worker_context()
    with ctx.uow() as uow:
        run_id = job_runs.start_run(uow, 'export-cleanup')
    try:
        with ctx.uow() as uow:
            result = exports.cleanup(uow, ctx.settings)
    except Exception:
        logger.exception('export cleanup failed')
        with ctx.uow() as uow:
            job_runs.finish_run(uow, run_id, sent=0, failed=1, skipped=0, status='failed')
        raise
    counts = {
        'expired': result.expired,
        'orphans': result.orphans,
        'abandoned': result.abandoned,
        'errors': result.errors,
    }
    with ctx.uow() as uow:
        job_runs.finish_run(
            uow,
            run_id,
            sent=result.expired + result.orphans,
            failed=result.errors,
            skipped=0,
            status='failed' if result.errors else 'done',
            detail=dict(counts),
        )
    return counts
