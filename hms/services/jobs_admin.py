"""The administrator's view of background work: the last runs of each job, the delivery log and retries of failed
deliveries, 'run now', the export jobs, whether Redis and a worker answer, and the development Outbox.

Celery stays out of this module: the page and the API pass the context's way to open the job system
(``hms.ports.OpenQueue``), used as a ``TaskQueue`` and closed after use.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import redis

from hms import clock
from hms.config import Settings
from hms.db.jobs import DeliveryCriteria
from hms.db.models import Delivery, JobRun
from hms.db.outbox import OutboxRepository
from hms.db.uow import UnitOfWork
from hms.domain.enums import Channel, DeliveryStatus, Role
from hms.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from hms.i18n import N_, _
from hms.notify.sink import OutboxMessage, read_outbox
from hms.ports import OpenQueue, TaskQueue
from hms.runtime import heartbeat

from . import deliveries, health_checks, job_runs, reports
from .health_checks import ComponentHealth
from .principal import Principal, require_role
from .views import Page

RUNNABLE = {'daily-reminders': 'hms.daily_reminders', 'monthly-reports': 'hms.monthly_reports'}
REDELIVER_TASK = 'hms.redeliver'  # sends a reopened reminder or confirmation again, by delivery id
EXPORT_EMAIL_TASK = 'hms.export_email'  # 'your export is ready', by export id (and delivery id on a retry)
KINDS = ('reminder', 'confirmation', 'report', 'export', 'account')
WORKER_PING_SECONDS = 1.0
REDIS_TIMEOUT_SECONDS = 1.0
NO_REDIS = N_('Redis not configured: jobs cannot run.')


class JobsUnavailable(DomainError):
    """Jobs cannot be queued: no Redis configured, or it does not answer."""

    status_code = 503
    title = N_('Service unavailable')
    code = 'jobs_unavailable'
    default_message = NO_REDIS


@contextmanager
def _opened(settings: Settings, open_queue: OpenQueue | None) -> Iterator[TaskQueue]:
    if not settings.redis_url or open_queue is None:
        raise JobsUnavailable(_(NO_REDIS))
    queue = open_queue()
    try:
        yield queue
    finally:
        queue.close()


# --- Reading ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunView:
    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    sent: int
    failed: int
    skipped: int
    detail: dict[str, Any]
    triggered_by: str | None  # None: the schedule

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None


@dataclass(frozen=True)
class DeliveryView:
    id: int
    key: str
    kind: str
    channel: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class ExportJobView:
    id: int
    kind: str
    owner: str
    status: str
    rows: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class DeliveryFilter:
    status: DeliveryStatus | None = None
    kind: str | None = None
    channel: Channel | None = None
    first: date | None = None  # local dates of creation, both included
    last: date | None = None


@dataclass(frozen=True)
class Health:
    redis_configured: bool
    redis_reachable: bool
    worker_reachable: bool
    workers: list[str]
    components: list[ComponentHealth]


def _names(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    return uow.patients_names(ids) if ids else {}


def _run_view(run: JobRun, names: dict[int, str]) -> RunView:
    return RunView(
        id=run.id,
        job=run.job,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=run.status,
        sent=run.sent,
        failed=run.failed,
        skipped=run.skipped,
        detail=dict(run.detail or {}),
        triggered_by=names.get(run.triggered_by_id, f'#{run.triggered_by_id}') if run.triggered_by_id else None,
    )


def last_runs(uow: UnitOfWork, actor: Principal, per_job: int = 5) -> dict[str, list[RunView]]:
    """The latest runs of each job, newest first."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to see the jobs.'))
    found = {job: job_runs.recent_runs(uow, job, limit=per_job) for job in job_runs.JOBS}
    names = _names(uow, {run.triggered_by_id for runs in found.values() for run in runs if run.triggered_by_id})
    return {job: [_run_view(run, names) for run in runs] for job, runs in found.items()}


def get_run(uow: UnitOfWork, actor: Principal, run_id: int) -> RunView:
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to see the jobs.'))
    run = uow.jobs.run(run_id)
    if run is None:
        raise NotFound(_('No such job run.'))
    return _run_view(run, _names(uow, {run.triggered_by_id} if run.triggered_by_id else set()))


def _delivery_view(delivery: Delivery) -> DeliveryView:
    return DeliveryView(
        id=delivery.id,
        key=delivery.key,
        kind=delivery.kind,
        channel=Channel(delivery.channel).value,
        recipient=delivery.recipient,
        subject=delivery.subject,
        status=DeliveryStatus(delivery.status).value,
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        sent_at=delivery.sent_at,
    )


def find_deliveries(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    criteria: DeliveryFilter,
    *,
    limit: int = 25,
    offset: int = 0,
) -> Page[DeliveryView]:
    """The delivery log, newest first."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to see the delivery log.'))
    if criteria.first and criteria.last and criteria.last < criteria.first:
        message = _('The end date is before the start date.')
        raise InvalidInput(message, field_errors={'to': message})
    zone = settings.zone
    where = DeliveryCriteria(
        status=criteria.status,
        kind=criteria.kind,
        channel=criteria.channel,
        created_from=datetime.combine(criteria.first, time.min, zone) if criteria.first else None,
        created_before=datetime.combine(criteria.last + timedelta(days=1), time.min, zone) if criteria.last else None,
    )
    rows, total = uow.jobs.deliveries(where, limit=limit, offset=offset)
    return Page(items=[_delivery_view(row) for row in rows], total=total, limit=limit, offset=offset)


def failed_count(uow: UnitOfWork, actor: Principal) -> int:
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to see the delivery log.'))
    return uow.jobs.delivery_count(DeliveryCriteria(status=DeliveryStatus.FAILED))


def recent_exports(uow: UnitOfWork, actor: Principal, limit: int = 20) -> list[ExportJobView]:
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to see the export jobs.'))
    return [
        ExportJobView(
            id=export.id,
            kind=export.kind,
            owner=name,
            status=str(export.status.value),
            rows=export.rows,
            error=export.error,
            created_at=export.created_at,
            finished_at=export.finished_at,
        )
        for export, name in uow.exports.recent_with_owners(limit)
    ]


def health(
    uow_factory: Callable[[], UnitOfWork], settings: Settings, actor: Principal, open_queue: OpenQueue | None
) -> Health:
    """Each component's state from a real signal: Redis answers PING, a worker answers Celery's ping (about a second
    each), the scheduler's heartbeat is recent, and nothing waits long in the outbox. Call it off the event loop."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to see the jobs.'))
    with uow_factory() as uow:
        oldest, waiting = outbox_backlog(uow)
    outbox_state = health_checks.outbox(oldest, waiting, settings.zone)
    if not settings.redis_url:
        unknown = _(NO_REDIS)
        return Health(
            redis_configured=False,
            redis_reachable=False,
            worker_reachable=False,
            workers=[],
            components=[
                ComponentHealth('redis', 'down', None, None, unknown),
                ComponentHealth('worker', 'down', None, None, unknown),
                ComponentHealth('scheduler', 'down', None, None, unknown),
                outbox_state,
            ],
        )
    reachable, last_beat = _redis_and_heartbeat(settings.redis_url)
    workers = _ping_workers(settings, open_queue) if reachable else []
    return Health(
        redis_configured=True,
        redis_reachable=reachable,
        worker_reachable=bool(workers),
        workers=workers,
        components=[
            health_checks.redis(reachable),
            health_checks.worker(workers, WORKER_PING_SECONDS),
            health_checks.scheduler(last_beat, reachable, settings.zone),
            outbox_state,
        ],
    )


def outbox_backlog(uow: UnitOfWork) -> tuple[datetime | None, int]:
    """When the oldest confirmation not handed to the broker yet was written, and how many wait."""
    repository = OutboxRepository(uow.session)
    return repository.oldest_pending_at(), repository.pending_count()


def _redis_and_heartbeat(redis_url: str) -> tuple[bool, datetime | None]:
    client = redis.Redis.from_url(
        redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        reachable = bool(client.ping())
    except redis.RedisError:
        return False, None
    finally:
        client.close()
    try:
        return reachable, heartbeat.last(redis_url)
    except redis.RedisError:
        return reachable, None


def _ping_workers(settings: Settings, open_queue: OpenQueue | None) -> list[str]:
    try:
        with _opened(settings, open_queue) as queue:
            replies = queue.control.ping(timeout=WORKER_PING_SECONDS) or []
    except Exception:  # any broker trouble means: no worker to be seen
        replies = []
    return sorted(name for reply in replies for name in reply)


# --- Acting ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enqueued:
    task: str
    kwargs: dict[str, Any]
    run_id: int | None = None
    job: str | None = None


def known_tasks(queue: TaskQueue) -> set[str]:
    """The task names the project's task modules register (imported here as a worker imports them)."""
    queue.loader.import_default_modules()
    return set(queue.tasks)


def retry_plan(delivery: DeliveryView, tasks: Collection[str], today: date) -> tuple[str, dict[str, Any], str] | None:
    """Which task sends a failed delivery again, with which arguments, under which job's run ('' for none):

    - reminder, confirmation: ``hms.redeliver`` with the delivery's id (jobs/reminders.py), when the worker has it;
      without it, a reminder of today is sent by re-running today's reminders (they take the reopened claim over),
      and nothing resends a confirmation or an older reminder;
    - report: ``hms.monthly_reports`` for the key's month, limited to this delivery;
    - export ('your export is ready'): ``hms.export_email`` for the key's export, with the delivery's id;
    - anything else: nothing (the retry is refused, the delivery stays failed).
    """
    parts = delivery.key.split(':')
    if delivery.kind in ('reminder', 'confirmation'):
        if REDELIVER_TASK in tasks:
            return REDELIVER_TASK, {'delivery_id': delivery.id}, ''
        if delivery.kind == 'reminder' and len(parts) > 1 and parts[1] == today.isoformat():
            return RUNNABLE['daily-reminders'], {}, 'daily-reminders'
        return None
    if delivery.kind == reports.KIND:
        month = reports.month_of_key(delivery.key)
        if month is None:
            return None
        return RUNNABLE['monthly-reports'], {'month': month.key, 'delivery_ids': [delivery.id]}, 'monthly-reports'
    if delivery.kind == 'export' and EXPORT_EMAIL_TASK in tasks and len(parts) > 1 and parts[1].isdecimal():
        return EXPORT_EMAIL_TASK, {'export_id': int(parts[1]), 'delivery_id': delivery.id}, ''
    return None


def _send(queue: TaskQueue, enqueued: Enqueued, *, undo: Callable[[], None]) -> None:
    try:
        queue.send_task(enqueued.task, kwargs=enqueued.kwargs)
    except Exception as error:
        undo()
        raise JobsUnavailable(
            _('The job could not be queued: Redis does not answer ({error}).', error=type(error).__name__)
        ) from error


def run_now(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    actor: Principal,
    open_queue: OpenQueue | None,
    job: str,
    *,
    month: str | None = None,
    rerun: bool = False,
) -> Enqueued:
    """Start a job at once: a run row (so the page shows it at once), then the task, given the run's id.

    The reminder run covers today in the clinic's zone; the report run the given month (default: the previous
    one), sending only what was not sent yet unless ``rerun`` asks to send everything again."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to run jobs.'))
    task = RUNNABLE.get(job)
    if task is None:
        raise NotFound(_('No job named {job}; jobs that can run now: {jobs}.', job=repr(job), jobs=', '.join(RUNNABLE)))
    if job == 'monthly-reports':
        target = reports.requested_month(month, settings)
        detail: dict[str, Any] = {'month': target.key, 'rerun': rerun}
        kwargs: dict[str, Any] = {'month': target.key, 'rerun': rerun}
    else:
        if month or rerun:
            message = _('The daily reminders take no month: they cover today.')
            raise InvalidInput(message, field_errors={'month': message})
        detail, kwargs = {'day': clock.now().astimezone(settings.zone).date().isoformat()}, {}
    with _opened(settings, open_queue) as queue:
        with uow_factory() as uow:
            run_id = job_runs.start_run(uow, job, detail=detail, triggered_by=actor.user_id)

        def undo() -> None:
            with uow_factory() as uow:
                job_runs.finish_run(uow, run_id, sent=0, failed=0, skipped=0, status='failed')

        enqueued = Enqueued(task, {'run_id': run_id, **kwargs}, run_id, job)
        _send(queue, enqueued, undo=undo)
    return enqueued


def retry_delivery(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    actor: Principal,
    open_queue: OpenQueue | None,
    delivery_id: int,
) -> Enqueued:
    """An admin's retry of a failed delivery: reopened, then handed to the task that sends it (see retry_plan)."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to retry deliveries.'))
    with uow_factory() as uow:
        delivery = uow.jobs.delivery(delivery_id)
        if delivery is None:
            raise NotFound(_('No such delivery.'))
        view = _delivery_view(delivery)
    if view.status != DeliveryStatus.FAILED.value:
        raise Conflict(_('Only a failed delivery can be retried.'))
    with _opened(settings, open_queue) as queue:
        plan = retry_plan(view, known_tasks(queue), clock.now().astimezone(settings.zone).date())
        if plan is None:
            raise Conflict(_('No job sends this message again.'))
        task, kwargs, job = plan
        with uow_factory() as uow:
            if deliveries.reopen(uow, delivery_id) is None:
                raise Conflict(_('Only a failed delivery can be retried.'))
            run_id = (
                job_runs.start_run(uow, job, detail={'retry': [delivery_id]}, triggered_by=actor.user_id)
                if job
                else None
            )

        def undo() -> None:
            with uow_factory() as uow:
                deliveries.mark_failed(uow, delivery_id, view.last_error or 'retry not queued', permanent=True)
                if run_id is not None:
                    job_runs.finish_run(uow, run_id, sent=0, failed=0, skipped=0, status='failed')

        enqueued = Enqueued(task, {**kwargs, 'run_id': run_id} if run_id else kwargs, run_id, job or None)
        _send(queue, enqueued, undo=undo)
    return enqueued


# --- The development Outbox ------------------------------------------------------------------------------------------

_OUTBOX_NAME = re.compile(r'^\d+-[0-9a-f]{8}\.eml$')
_CID = re.compile(r'cid:([^"\'\s>)]+)')


def outbox(settings: Settings, actor: Principal, limit: int = 200) -> list[OutboxMessage]:
    """The messages the development sink kept, newest first."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to read the outbox.'))
    return read_outbox(settings.outbox_path, limit=limit)


def outbox_html(settings: Settings, actor: Principal, name: str) -> str:
    """The HTML of one message of the Outbox, its inline images (cid:) turned into data: URLs so that a sandboxed
    frame can show them. Only names the sink writes are read (never a path)."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to read the outbox.'))
    if not _OUTBOX_NAME.match(name):
        raise NotFound(_('No such message.'))
    path = settings.outbox_path / name
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise NotFound(_('No such message.')) from error
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=('html',))
    if body is None:
        return ''
    images = {
        str(part['Content-ID']).strip().strip('<>'): part
        for part in parsed.walk()
        if part.get_content_maintype() == 'image' and part['Content-ID']
    }

    def inline(match: re.Match[str]) -> str:
        part = images.get(match.group(1))
        if part is None:
            return match.group(0)
        payload = part.get_payload(decode=True)
        data = base64.b64encode(payload if isinstance(payload, bytes) else b'').decode('ascii')
        return f'data:{part.get_content_type()};base64,{data}'

    return _CID.sub(inline, str(body.get_content()))
