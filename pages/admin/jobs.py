"""The administrator's Jobs page at /admin/jobs: the last runs of each job, 'run now', the delivery log with retries,
the export jobs, the cache counters, and whether Redis and a worker answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from typing import Any

from nicegui import events, ui

from hms import clock
from hms import context as app_context
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import Channel, DeliveryStatus, ExportStatus, Role
from hms.domain.errors import DomainError
from hms.i18n import N_, _
from hms.i18n.formats import format_date, format_month, format_number
from hms.services import jobs_admin
from hms.services.exports import KINDS as EXPORT_KINDS
from hms.services.exports import ExportKind
from hms.services.jobs_admin import DeliveryFilter, DeliveryView, ExportJobView, Health, RunView
from hms.services.principal import Principal
from hms.services.reports import Month
from hms.services.views import Page

from ..components.sections import heading, section
from ..components.tables import PagedTable, Paging, Sort, column, columns, translated
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting, attempt
from ..ui.address import Address
from ..ui.frame import frame
from ..ui.services import call, in_thread
from .filters import date_filter, period

PATH = '/admin/jobs'
PAGE_SIZE = 25
DEFAULT = Paging(rows=PAGE_SIZE, sort=Sort())
REFRESH_SECONDS = 10
JOB_LABELS = {
    'daily-reminders': N_('Daily reminders'),
    'monthly-reports': N_('Monthly reports'),
    'export-cleanup': N_('Export clean-up'),
    'waitlist-offers': N_('Waitlist offers'),
    'rescue-deadlines': N_('Rescue deadlines'),
    'recalls': N_('Follow-up recalls'),
}
# How a run, a delivery and an export job read (keys are the stored codes; an unknown code is shown as it is)
RUN_STATUS_LABELS = {'running': N_('Running'), 'done': N_('Done'), 'failed': N_('Failed')}
STATUS_LABELS = {
    DeliveryStatus.PENDING.value: N_('Pending'),
    DeliveryStatus.SENT.value: N_('Sent'),
    DeliveryStatus.FAILED.value: N_('Failed'),
}
CHANNEL_LABELS = {Channel.EMAIL.value: N_('Email'), Channel.CHAT.value: N_('Chat'), Channel.SMS.value: N_('SMS')}
KIND_LABELS = {
    'reminder': N_('Reminder'),
    'confirmation': N_('Confirmation'),
    'report': N_('Report'),
    'export': N_('Export ready'),
    'account': N_('Account email'),
    'recall': N_('Follow-up recall'),
}
COMPONENT_LABELS = {
    'redis': N_('Redis'),
    'worker': N_('Worker'),
    'scheduler': N_('Scheduler'),
    'outbox': N_('Outbox'),
}
COMPONENT_STATUS_LABELS = {'ok': N_('OK'), 'late': N_('LATE'), 'down': N_('DOWN')}
COMPONENT_STATUS_CLASSES = {'late': 'text-warning font-medium', 'down': 'text-negative font-medium'}
EXPORT_STATUS_LABELS = {
    ExportStatus.QUEUED.value: N_('Queued'),
    ExportStatus.RUNNING.value: N_('Running'),
    ExportStatus.DONE.value: N_('Done'),
    ExportStatus.FAILED.value: N_('Failed'),
}


def _label(labels: dict[str, str], code: str) -> str:
    """The translated label of a stored code, or the code itself when it has none."""
    return _(labels[code]) if code in labels else code


def _translated(labels: dict[str, str]) -> dict[str, str]:
    return {code: _(label) for code, label in labels.items()}


def _kinds() -> dict[str, str]:
    """The kinds of message the delivery log can be filtered by, labelled."""
    return {kind: _label(KIND_LABELS, kind) for kind in jobs_admin.KINDS}


RUN_COLUMNS = columns(
    ('job', N_('Job')),
    ('started', N_('Started')),
    ('took', N_('Took')),
    ('status', N_('Status')),
    ('sent', N_('Sent')),
    ('failed', N_('Failed')),
    ('skipped', N_('Skipped')),
    ('covers', N_('Covers')),
    ('by', N_('Run by')),
)
DELIVERY_COLUMNS = [
    *columns(
        ('created', N_('Created')),
        ('kind', N_('Kind')),
        ('channel', N_('Channel')),
        ('recipient', N_('Recipient')),
        ('subject', N_('Subject')),
        ('status', N_('Status')),
        ('attempts', N_('Attempts')),
        ('error', N_('Last error')),
    ),
    column('actions', '', align='right', field='id', sticky=True),
]
EXPORT_COLUMNS = columns(
    ('created', N_('Requested')),
    ('kind', N_('Kind')),
    ('owner', N_('Owner')),
    ('status', N_('Status')),
    ('rows', N_('Rows')),
    ('error', N_('Error')),
)
RETRY_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn v-if="props.row.failed" flat dense no-caps color="primary" icon="replay" label="{retry}"
         :aria-label="props.row.retry_label" @click="() => $parent.$emit('retry', props.row)" />
</q-td>
"""


def _retry_slot() -> str:
    """A failed delivery's Retry button; its accessible name (naming the recipient) comes with the row."""
    return RETRY_SLOT.format(retry=escape(_('Retry')))


@dataclass(frozen=True)
class _Snapshot:
    runs: dict[str, list[RunView]]
    deliveries: Page[DeliveryView]
    exports: list[ExportJobView]
    failed: int


def _snapshot(
    uow: UnitOfWork, settings: Settings, actor: Principal, criteria: DeliveryFilter, offset: int, limit: int
) -> _Snapshot:
    return _Snapshot(
        runs=jobs_admin.last_runs(uow, actor),
        deliveries=jobs_admin.find_deliveries(uow, settings, actor, criteria, limit=limit, offset=offset),
        exports=jobs_admin.recent_exports(uow, actor),
        failed=jobs_admin.failed_count(uow, actor),
    )


def _month_options(today: date) -> dict[str, str]:
    """The month so far and the twelve before it, newest first."""
    options, month = {}, Month.of(today)
    for _step in range(13):
        label = _month(month)
        options[month.key] = label if month != Month.of(today) else _('{month} (so far)', month=label)
        month = Month.of(month.first - timedelta(days=1))
    return options


def _month(month: Month) -> str:
    """'February 2026', 'Februar 2026', 'février 2026'."""
    return format_month(month.year, month.number)


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def jobs_page(principal: Principal) -> None:
        address = Address()
        criteria, paging = _read_filter(address), Paging.read(address, (), DEFAULT)  # the log reads newest first
        first = await call(_snapshot, principal, criteria, paging.offset, paging.rows)
        with frame(principal, N_('Jobs'), current_path=PATH):
            _JobsPanel(first, criteria)
            address.tell()


def _read_filter(address: Address) -> DeliveryFilter:
    """The delivery log's filters as the address keeps them: ?status=failed&kind=reminder&channel=email&from=…&to=…
    (an unknown code or a date that is no date is left out and named in the notice)."""
    status, channel = address.choice('status', list(STATUS_LABELS)), address.choice('channel', list(CHANNEL_LABELS))
    first, last = address.day('from'), address.day('to')
    if first and last and last < first:
        address.unreadable.append('to')
        last = None
    return DeliveryFilter(
        status=DeliveryStatus(status) if status else None,
        kind=address.choice('kind', list(jobs_admin.KINDS)),
        channel=Channel(channel) if channel else None,
        first=first,
        last=last,
    )


def _written(criteria: DeliveryFilter) -> dict[str, object]:
    status, channel = criteria.status, criteria.channel
    return {
        'status': status.value if status else None,
        'kind': criteria.kind,
        'channel': channel.value if channel else None,
        'from': criteria.first,
        'to': criteria.last,
    }


def _when(moment: Any) -> str:
    return formats.moment(moment) if moment else '–'


def _took(view: RunView) -> str:
    seconds = view.seconds
    if seconds is None:
        return _('running') if view.status == 'running' else '–'
    if seconds < 120:
        return _('{seconds} s', seconds=format_number(seconds, digits=1))
    return _('{minutes} min', minutes=format_number(seconds / 60, digits=0))


def _day(text: str) -> str:
    try:
        return format_date(date.fromisoformat(text))
    except ValueError:
        return text


def _covers(view: RunView) -> str:
    detail = view.detail
    parts = []
    if 'month' in detail:
        month = Month.parse_or_none(str(detail['month']))
        parts.append(_month(month) if month else str(detail['month']))
    if 'day' in detail:
        parts.append(_day(str(detail['day'])))
    if detail.get('rerun'):
        parts.append(_('re-run'))
    if detail.get('retry'):
        parts.append(_('retry'))
    return ', '.join(parts) or '–'


def _export_kind(code: str) -> str:
    try:
        return _(str(EXPORT_KINDS[ExportKind(code)].label))
    except (KeyError, ValueError):
        return code


def _run_row(run: RunView) -> dict[str, Any]:
    return {
        'id': run.id,
        'job': _label(JOB_LABELS, run.job),
        'started': _when(run.started_at),
        'took': _took(run),
        'status': _label(RUN_STATUS_LABELS, run.status),
        'sent': run.sent,
        'failed': run.failed,
        'skipped': run.skipped,
        'covers': _covers(run),
        'by': run.triggered_by or _('schedule'),
    }


def _delivery_row(delivery: DeliveryView) -> dict[str, Any]:
    return {
        'id': delivery.id,
        'created': _when(delivery.created_at),
        'kind': _label(KIND_LABELS, delivery.kind),
        'channel': _label(CHANNEL_LABELS, delivery.channel),
        'recipient': delivery.recipient,
        'subject': delivery.subject,
        'status': _label(STATUS_LABELS, delivery.status),
        'attempts': delivery.attempts,
        'error': delivery.last_error or '',
        'failed': delivery.status == DeliveryStatus.FAILED.value,
        'retry_label': _('Retry the delivery to {recipient}', recipient=delivery.recipient),
    }


def _export_row(export: ExportJobView) -> dict[str, Any]:
    return {
        'id': export.id,
        'created': _when(export.created_at),
        'kind': _export_kind(export.kind),
        'owner': export.owner,
        'status': _label(EXPORT_STATUS_LABELS, export.status),
        'rows': '–' if export.rows is None else export.rows,
        'error': export.error or '',
    }


class _JobsPanel:
    """One admin's Jobs page: reachability, run now, runs, the delivery log (filters, pages, retry) and exports."""

    def __init__(self, first: _Snapshot, criteria: DeliveryFilter) -> None:
        configured = bool(app_context.get().settings.redis_url)
        self.quiet = False  # a periodic refresh is no activity: it must not keep an idle session alive
        self._health_card(configured)
        self._run_card(configured)
        with section():
            with ui.row().classes('w-full items-center justify-between'):
                heading(_('Last runs'))
                ui.button(_('Refresh'), icon='refresh', on_click=self.refresh).props('flat no-caps').mark('refresh')
            self.runs = ui.table(columns=translated(RUN_COLUMNS), rows=[], row_key='id').classes('w-full')
            self.runs.props('flat bordered dense').mark('runs-table')
        self.shown = criteria  # the delivery log's filters on show, for the address
        self._deliveries_card(first.deliveries, criteria)
        with section(_('Export jobs')):
            self.no_exports = ui.label(_('No exports yet.')).classes(theme.SUBTLE)
            self.exports = ui.table(columns=translated(EXPORT_COLUMNS), rows=[], row_key='id').classes('w-full')
            self.exports.props('flat bordered dense').mark('exports-table')
        self.show(first)
        ui.timer(0.05, self.check_health, once=True)  # a worker ping takes up to a second: after the page is up
        ui.timer(REFRESH_SECONDS, self.refresh_quietly, immediate=False)

    def _health_card(self, configured: bool) -> None:
        with section(_('Background work'), marker='health'):
            if not configured:
                ui.label(_(jobs_admin.NO_REDIS)).classes(theme.ERROR_BANNER).props('role=alert').mark('no-redis')
            with ui.column().classes('w-full gap-1').props('role=list'):
                self.component_states = {
                    name: ui.label(_('{component}: checking…', component=_(COMPONENT_LABELS[name])))
                    .props('role=listitem')
                    .mark(f'{name}-state')
                    for name in COMPONENT_LABELS
                }
            with ui.row().classes('w-full gap-6'):
                self.cache_state = ui.label('').mark('cache-state')
                self.failed_state = ui.label('').mark('failed-state')

    def _run_card(self, configured: bool) -> None:
        today = clock.now().astimezone(app_context.get().settings.zone).date()
        options = _month_options(today)
        with section(_('Run now')):
            with ui.row().classes('w-full items-center gap-4'):
                ui.label(_("Daily reminders for today's appointments")).classes('min-w-[16rem]')
                reminders = ui.button(
                    _('Run reminders now'), icon='play_arrow', on_click=lambda: self.run_now('daily-reminders')
                )
                reminders.props('no-caps').mark('run-daily-reminders')
            with ui.row().classes('w-full items-center gap-4'):
                ui.label(_('Monthly activity reports')).classes('min-w-[16rem]')
                self.month = ui.select(options, value=list(options)[1], label=_('Month')).props('outlined dense')
                self.month.classes('min-w-[12rem]').mark('report-month')
                self.rerun = ui.checkbox(_('Send again to those who already received it')).mark('report-rerun')
                reports = ui.button(
                    _('Run reports now'), icon='play_arrow', on_click=lambda: self.run_now('monthly-reports')
                )
                reports.props('no-caps').mark('run-monthly-reports')
            ui.label(
                _(
                    'Each report and reminder is sent once; a report run for a month sends only what is missing, '
                    'unless you ask to send again.'
                )
            ).classes(theme.SUBTLE)
            for button in (reminders, reports):
                button.set_enabled(configured)

    def _deliveries_card(self, first: Page[DeliveryView], asked: DeliveryFilter) -> None:
        """The delivery log; the filters given (from the address) read nothing again."""
        with section(_('Delivery log')):
            ui.label(
                _('Dates are in the clinic time zone ({zone}).', zone=app_context.get().settings.timezone)
            ).classes(theme.SUBTLE)
            with ui.row().classes('w-full items-start gap-3').mark('delivery-filters'):
                status = asked.status.value if asked.status else None
                self.status = ui.select(
                    _translated(STATUS_LABELS), label=_('Status'), value=status, clearable=True, on_change=self.search
                )
                self.kind = ui.select(
                    _kinds(), label=_('Kind'), value=asked.kind, clearable=True, on_change=self.search
                )
                channel = asked.channel.value if asked.channel else None
                self.channel = ui.select(
                    _translated(CHANNEL_LABELS),
                    label=_('Channel'),
                    value=channel,
                    clearable=True,
                    on_change=self.search,
                )
                for element, marker in (
                    (self.status, 'filter-status'),
                    (self.kind, 'filter-kind'),
                    (self.channel, 'filter-channel'),
                ):
                    element.props('outlined dense').classes('min-w-[9rem]').mark(marker)
                self.first = date_filter(_('From date'), self.search, value=asked.first)
                self.last = date_filter(_('To date'), self.search, value=asked.last)
            self.deliveries = PagedTable(
                'deliveries',
                DELIVERY_COLUMNS,
                self._load,
                _delivery_row,
                first=first,
                empty=_('No delivery matches these filters.'),
                order=_('newest first'),
            )
            self.deliveries.props('dense wrap-cells')
            self.deliveries.keep_in_address(PATH, lambda: _written(self.shown), DEFAULT)
            self.deliveries.add_slot('body-cell-actions', _retry_slot())
            self.deliveries.on('retry', self.retry)

    # --- showing ---------------------------------------------------------------------------------------------------

    def show(self, snapshot: _Snapshot) -> None:
        """The runs, the export jobs and the counters (the delivery log shows its own page)."""
        runs = [run for runs in snapshot.runs.values() for run in runs]
        self.runs.rows = [_run_row(run) for run in sorted(runs, key=lambda run: -run.id)]
        self.runs.update()
        self.exports.rows = [_export_row(export) for export in snapshot.exports]
        self.exports.update()
        self.exports.set_visibility(bool(snapshot.exports))
        self.no_exports.set_visibility(not snapshot.exports)
        self.failed_state.text = _('Failed deliveries: {count}', count=snapshot.failed)
        self.cache_state.text = _cache_text(app_context.get().cache.stats())

    def show_health(self, health: Health) -> None:
        """Each component in words (the status is text, never colour alone), with what it rests on."""
        for component in health.components:
            label = self.component_states.get(component.name)
            if label is None:
                continue
            label.text = _(
                '{component}: {status}. {evidence}',
                component=_(COMPONENT_LABELS[component.name]),
                status=_label(COMPONENT_STATUS_LABELS, component.status),
                evidence=component.evidence,
            )
            label.classes(replace=COMPONENT_STATUS_CLASSES.get(component.status, ''))

    # --- loading ---------------------------------------------------------------------------------------------------

    def criteria(self) -> DeliveryFilter | None:
        days = period(self.first, self.last)
        if days is None:
            return None
        return DeliveryFilter(
            status=DeliveryStatus(self.status.value) if self.status.value else None,
            kind=self.kind.value or None,
            channel=Channel(self.channel.value) if self.channel.value else None,
            first=days[0],
            last=days[1],
        )

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[DeliveryView] | None:
        """A page of the delivery log, read with the rest of the page (runs, exports, counters) in one go."""
        criteria = self.criteria()
        actor = await acting(PATH, touch=not self.quiet)
        if criteria is None or actor is None:
            return None
        try:
            snapshot = await call(_snapshot, actor, criteria, offset, limit)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return None
        self.show(snapshot)
        self.shown = criteria
        return snapshot.deliveries

    async def search(self) -> None:
        await self.deliveries.reload()

    async def refresh(self) -> None:
        await self.deliveries.refresh()

    async def refresh_quietly(self) -> None:
        self.quiet = True
        try:
            await self.deliveries.refresh()
            await self.check_health()
        finally:
            self.quiet = False

    async def check_health(self) -> None:
        actor = await acting(PATH, touch=not self.quiet)
        if actor is None:
            return
        ctx = app_context.get()
        try:
            health = await in_thread(jobs_admin.health, ctx.uow, ctx.settings, actor, ctx.open_queue)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        self.show_health(health)

    # --- acting ----------------------------------------------------------------------------------------------------

    async def run_now(self, job: str) -> None:
        month = self.month.value if job == 'monthly-reports' else None
        rerun = bool(self.rerun.value) if job == 'monthly-reports' else False
        ctx = app_context.get()
        enqueued = await attempt(
            lambda actor: in_thread(
                jobs_admin.run_now, ctx.uow, ctx.settings, actor, ctx.open_queue, job, month=month, rerun=rerun
            ),
            path=PATH,
        )
        if enqueued is None:
            return
        if month:
            queued = _(
                '{job} for {month}: queued as run {run}.',
                job=_(JOB_LABELS[job]),
                month=_month(Month.parse(month)),
                run=enqueued.run_id,
            )
        else:
            queued = _('{job}: queued as run {run}.', job=_(JOB_LABELS[job]), run=enqueued.run_id)
        ui.notify(queued, type='positive')
        await self.refresh()

    async def retry(self, event: events.GenericEventArguments) -> None:
        row = event.args if isinstance(event.args, dict) else {}
        if not row.get('id'):
            return
        ctx = app_context.get()
        retried = await attempt(
            lambda actor: in_thread(
                jobs_admin.retry_delivery, ctx.uow, ctx.settings, actor, ctx.open_queue, int(row['id'])
            ),
            path=PATH,
        )
        if retried is None:
            return
        recipient = row.get('recipient')
        if recipient:
            ui.notify(_('Sending to {recipient} again.', recipient=recipient), type='positive')
        else:
            ui.notify(_('Sending again.'), type='positive')
        await self.refresh()


def _cache_text(stats: dict[str, Any]) -> str:
    """This process's cache counters in all, then per cached read (departments, doctors, slots, dashboard, ...)."""
    parts = [f'{name} {counts["hits"]}/{counts["misses"]}' for name, counts in stats.get('by_name', {}).items()]
    if parts:
        return _(
            'Cache: {hits} hits, {misses} misses (hits/misses: {detail})',
            hits=stats['hits'],
            misses=stats['misses'],
            detail=', '.join(parts),
        )
    return _('Cache: {hits} hits, {misses} misses', hits=stats['hits'], misses=stats['misses'])
