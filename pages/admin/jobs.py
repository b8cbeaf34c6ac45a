"""The administrator's Jobs page at /admin/jobs: the last runs of each job, 'run now', the delivery log with retries,
the export jobs, the cache counters, and whether Redis and a worker answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from nicegui import events, ui

from hms import clock
from hms import context as app_context
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import Channel, DeliveryStatus, Role
from hms.domain.errors import DomainError
from hms.services import jobs_admin, notices
from hms.services.jobs_admin import DeliveryFilter, DeliveryView, ExportJobView, Health, RunView
from hms.services.principal import Principal
from hms.services.reports import Month
from hms.services.views import Page

from ..components import forms
from ..components.sections import heading, section
from ..components.tables import PagedTable, Sort, column, columns
from ..ui import theme
from ..ui.access import role_page
from ..ui.actions import acting, attempt
from ..ui.frame import frame
from ..ui.services import call, in_thread

PATH = '/admin/jobs'
PAGE_SIZE = 25
REFRESH_SECONDS = 10
JOB_LABELS = {
    'daily-reminders': 'Daily reminders',
    'monthly-reports': 'Monthly reports',
    'export-cleanup': 'Export clean-up',
}
STATUS_LABELS = {status.value: status.value.capitalize() for status in DeliveryStatus}
CHANNEL_LABELS = {Channel.EMAIL.value: 'Email', Channel.CHAT.value: 'Chat', Channel.SMS.value: 'SMS'}
KIND_LABELS = {kind: kind.capitalize() for kind in jobs_admin.KINDS}


RUN_COLUMNS = columns(
    ('job', 'Job'),
    ('started', 'Started'),
    ('took', 'Took'),
    ('status', 'Status'),
    ('sent', 'Sent'),
    ('failed', 'Failed'),
    ('skipped', 'Skipped'),
    ('covers', 'Covers'),
    ('by', 'Run by'),
)
DELIVERY_COLUMNS = [
    *columns(
        ('created', 'Created'),
        ('kind', 'Kind'),
        ('channel', 'Channel'),
        ('recipient', 'Recipient'),
        ('subject', 'Subject'),
        ('status', 'Status'),
        ('attempts', 'Attempts'),
        ('error', 'Last error'),
    ),
    column('actions', '', align='right', field='id'),
]
EXPORT_COLUMNS = columns(
    ('created', 'Requested'),
    ('kind', 'Kind'),
    ('owner', 'Owner'),
    ('status', 'Status'),
    ('rows', 'Rows'),
    ('error', 'Error'),
)
RETRY_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn v-if="props.row.failed" flat dense no-caps color="primary" icon="replay" label="Retry"
         :aria-label="'Retry the delivery to ' + props.row.recipient"
         @click="() => $parent.$emit('retry', props.row)" />
</q-td>
"""


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
    for _ in range(13):
        options[month.key] = month.label if month != Month.of(today) else f'{month.label} (so far)'
        month = Month.of(month.first - timedelta(days=1))
    return options


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def jobs_page(principal: Principal) -> None:
        first = await call(_snapshot, principal, DeliveryFilter(), 0, PAGE_SIZE)
        with frame(principal, 'Jobs', current_path=PATH):
            _JobsPanel(first)


def _when(moment: Any) -> str:
    return notices.when(moment, app_context.get().settings.zone) if moment else '–'


def _took(view: RunView) -> str:
    seconds = view.seconds
    if seconds is None:
        return 'running' if view.status == 'running' else '–'
    return f'{seconds:.1f} s' if seconds < 120 else f'{seconds / 60:.0f} min'


def _covers(view: RunView) -> str:
    detail = view.detail
    parts = []
    if 'month' in detail:
        month = Month.parse_or_none(str(detail['month']))
        parts.append(month.label if month else str(detail['month']))
    if 'day' in detail:
        parts.append(str(detail['day']))
    if detail.get('rerun'):
        parts.append('re-run')
    if detail.get('retry'):
        parts.append('retry')
    return ', '.join(parts) or '–'


def _run_row(run: RunView) -> dict[str, Any]:
    return {
        'id': run.id,
        'job': JOB_LABELS.get(run.job, run.job),
        'started': _when(run.started_at),
        'took': _took(run),
        'status': run.status,
        'sent': run.sent,
        'failed': run.failed,
        'skipped': run.skipped,
        'covers': _covers(run),
        'by': run.triggered_by or 'schedule',
    }


def _delivery_row(delivery: DeliveryView) -> dict[str, Any]:
    return {
        'id': delivery.id,
        'created': _when(delivery.created_at),
        'kind': delivery.kind,
        'channel': CHANNEL_LABELS[delivery.channel],
        'recipient': delivery.recipient,
        'subject': delivery.subject,
        'status': STATUS_LABELS[delivery.status],
        'attempts': delivery.attempts,
        'error': delivery.last_error or '',
        'failed': delivery.status == DeliveryStatus.FAILED.value,
    }


def _export_row(export: ExportJobView) -> dict[str, Any]:
    return {
        'id': export.id,
        'created': _when(export.created_at),
        'kind': export.kind,
        'owner': export.owner,
        'status': export.status,
        'rows': '–' if export.rows is None else export.rows,
        'error': export.error or '',
    }


class _JobsPanel:
    """One admin's Jobs page: reachability, run now, runs, the delivery log (filters, pages, retry) and exports."""

    def __init__(self, first: _Snapshot) -> None:
        configured = bool(app_context.get().settings.redis_url)
        self.quiet = False  # a periodic refresh is no activity: it must not keep an idle session alive
        self._health_card(configured)
        self._run_card(configured)
        with section():
            with ui.row().classes('w-full items-center justify-between'):
                heading('Last runs')
                ui.button('Refresh', icon='refresh', on_click=self.refresh).props('flat no-caps').mark('refresh')
            self.runs = ui.table(columns=RUN_COLUMNS, rows=[], row_key='id').classes('w-full')
            self.runs.props('flat bordered dense').mark('runs-table')
        self._deliveries_card(first.deliveries)
        with section('Export jobs'):
            self.no_exports = ui.label('No exports yet.').classes(theme.SUBTLE)
            self.exports = ui.table(columns=EXPORT_COLUMNS, rows=[], row_key='id').classes('w-full')
            self.exports.props('flat bordered dense').mark('exports-table')
        self.show(first)
        ui.timer(0.05, self.check_health, once=True)  # a worker ping takes up to a second: after the page is up
        ui.timer(REFRESH_SECONDS, self.refresh_quietly, immediate=False)

    def _health_card(self, configured: bool) -> None:
        with section('Background work', marker='health'):
            if not configured:
                ui.label(jobs_admin.NO_REDIS).classes(theme.ERROR_BANNER).props('role=alert').mark('no-redis')
            with ui.row().classes('w-full gap-6'):
                self.redis_state = ui.label('Redis: checking…').mark('redis-state')
                self.worker_state = ui.label('Worker: checking…').mark('worker-state')
                self.cache_state = ui.label('').mark('cache-state')
                self.failed_state = ui.label('').mark('failed-state')

    def _run_card(self, configured: bool) -> None:
        today = clock.now().astimezone(app_context.get().settings.zone).date()
        options = _month_options(today)
        with section('Run now'):
            with ui.row().classes('w-full items-center gap-4'):
                ui.label("Daily reminders for today's appointments").classes('min-w-[16rem]')
                reminders = ui.button(
                    'Run reminders now', icon='play_arrow', on_click=lambda: self.run_now('daily-reminders')
                )
                reminders.props('no-caps').mark('run-daily-reminders')
            with ui.row().classes('w-full items-center gap-4'):
                ui.label('Monthly activity reports').classes('min-w-[16rem]')
                self.month = ui.select(options, value=list(options)[1], label='Month').props('outlined dense')
                self.month.classes('min-w-[12rem]').mark('report-month')
                self.rerun = ui.checkbox('Send again to those who already received it').mark('report-rerun')
                reports = ui.button(
                    'Run reports now', icon='play_arrow', on_click=lambda: self.run_now('monthly-reports')
                )
                reports.props('no-caps').mark('run-monthly-reports')
            ui.label(
                'Each report and reminder is sent once; a report run for a month sends only what is missing, unless '
                'you ask to send again.'
            ).classes(theme.SUBTLE)
            for button in (reminders, reports):
                button.set_enabled(configured)

    def _deliveries_card(self, first: Page[DeliveryView]) -> None:
        with section('Delivery log'):
            ui.label(f'Dates are in the clinic time zone ({app_context.get().settings.timezone}).').classes(
                theme.SUBTLE
            )
            with ui.row().classes('w-full items-start gap-3').mark('delivery-filters'):
                self.status = ui.select(STATUS_LABELS, label='Status', clearable=True, on_change=self.search)
                self.kind = ui.select(KIND_LABELS, label='Kind', clearable=True, on_change=self.search)
                self.channel = ui.select(CHANNEL_LABELS, label='Channel', clearable=True, on_change=self.search)
                for element, marker in (
                    (self.status, 'filter-status'),
                    (self.kind, 'filter-kind'),
                    (self.channel, 'filter-channel'),
                ):
                    element.props('outlined dense').classes('min-w-[9rem]').mark(marker)
                self.first = forms.date_input('From date', self.search)
                self.last = forms.date_input('To date', self.search)
            self.deliveries = PagedTable(
                'deliveries',
                DELIVERY_COLUMNS,
                self._load,
                _delivery_row,
                first=first,
                empty='No delivery matches these filters.',
                rows_per_page=PAGE_SIZE,
                order='newest first',
            )
            self.deliveries.props('dense wrap-cells')
            self.deliveries.add_slot('body-cell-actions', RETRY_SLOT)
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
        self.failed_state.text = f'Failed deliveries: {snapshot.failed}'
        self.cache_state.text = _cache_text(app_context.get().cache.stats())

    def show_health(self, health: Health) -> None:
        if not health.redis_configured:
            self.redis_state.text, self.worker_state.text = 'Redis: not configured', 'Worker: cannot run'
            return
        self.redis_state.text = 'Redis: reachable' if health.redis_reachable else 'Redis: NOT reachable'
        self.worker_state.text = (
            f'Worker: {len(health.workers)} answering ({", ".join(health.workers)})'
            if health.worker_reachable
            else 'Worker: none answering'
        )

    # --- loading ---------------------------------------------------------------------------------------------------

    def criteria(self) -> DeliveryFilter | None:
        days = forms.period(self.first, self.last)
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
        return snapshot.deliveries

    async def search(self) -> None:
        await self.deliveries.reload()

    async def refresh(self) -> None:
        await self.deliveries.refresh()

    async def refresh_quietly(self) -> None:
        self.quiet = True
        try:
            await self.deliveries.refresh()
        finally:
            self.quiet = False

    async def check_health(self) -> None:
        self.show_health(await in_thread(jobs_admin.health, app_context.get().settings, app_context.get().open_queue))

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
        what = JOB_LABELS[job] + (f' for {Month.parse(month).label}' if month else '')
        ui.notify(f'{what}: queued as run {enqueued.run_id}.', type='positive')
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
        ui.notify(f'Sending to {row.get("recipient", "the recipient")} again.', type='positive')
        await self.refresh()


def _cache_text(stats: dict[str, Any]) -> str:
    """This process's cache counters in all, then per cached read (departments, doctors, slots, dashboard, ...)."""
    parts = [f'{name} {counts["hits"]}/{counts["misses"]}' for name, counts in stats.get('by_name', {}).items()]
    detail = f' (hits/misses: {", ".join(parts)})' if parts else ''
    return f'Cache: {stats["hits"]} hits, {stats["misses"]} misses{detail}'
