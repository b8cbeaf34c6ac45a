"""The administrator's Jobs page at /admin/jobs: the last runs of each job, 'run now', the delivery log with retries,
the export jobs, the cache counters, and whether Redis and a worker answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import events, run, ui

from hms import clock
from hms import context as app_context
from hms.domain.enums import Channel, DeliveryStatus, Role
from hms.domain.errors import DomainError
from hms.ports import OpenQueue
from hms.services import jobs_admin, notices
from hms.services.jobs_admin import DeliveryFilter, DeliveryView, ExportJobView, Health, RunView
from hms.services.principal import Principal
from hms.services.reports import Month
from hms.services.views import Page

from ..components import forms
from ..ui import theme
from ..ui.frame import forbidden, frame
from ..ui.session import current_principal, page_access

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


def _columns(*names: tuple[str, str]) -> list[dict[str, str]]:
    return [{'name': name, 'label': label, 'field': name, 'align': 'left'} for name, label in names]


RUN_COLUMNS = _columns(
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
    *_columns(
        ('created', 'Created'),
        ('kind', 'Kind'),
        ('channel', 'Channel'),
        ('recipient', 'Recipient'),
        ('subject', 'Subject'),
        ('status', 'Status'),
        ('attempts', 'Attempts'),
        ('error', 'Last error'),
    ),
    {'name': 'actions', 'label': '', 'field': 'id', 'align': 'right'},
]
EXPORT_COLUMNS = _columns(
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


def _open_queue() -> OpenQueue | None:
    return app_context.get().open_queue


@dataclass(frozen=True)
class _Snapshot:
    runs: dict[str, list[RunView]]
    deliveries: Page[DeliveryView]
    exports: list[ExportJobView]
    failed: int


def _snapshot(actor: Principal, criteria: DeliveryFilter, offset: int) -> _Snapshot:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return _Snapshot(
            runs=jobs_admin.last_runs(uow, actor),
            deliveries=jobs_admin.find_deliveries(uow, ctx.settings, actor, criteria, limit=PAGE_SIZE, offset=offset),
            exports=jobs_admin.recent_exports(uow, actor),
            failed=jobs_admin.failed_count(uow, actor),
        )


def _health() -> Health:
    return jobs_admin.health(app_context.get().settings, _open_queue())


def _run_now(actor: Principal, job: str, month: str | None, rerun: bool) -> jobs_admin.Enqueued:
    ctx = app_context.get()
    return jobs_admin.run_now(ctx.uow, ctx.settings, actor, _open_queue(), job, month=month, rerun=rerun)


def _retry(actor: Principal, delivery_id: int) -> jobs_admin.Enqueued:
    ctx = app_context.get()
    return jobs_admin.retry_delivery(ctx.uow, ctx.settings, actor, _open_queue(), delivery_id)


def _month_options(today: date) -> dict[str, str]:
    """The month so far and the twelve before it, newest first."""
    options, month = {}, Month.of(today)
    for _ in range(13):
        options[month.key] = month.label if month != Month.of(today) else f'{month.label} (so far)'
        month = Month.of(month.first - timedelta(days=1))
    return options


def create() -> None:
    @ui.page(PATH)
    async def jobs_page() -> RedirectResponse | None:
        access = await page_access(PATH, Role.ADMIN)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        first = await run.io_bound(_snapshot, access.principal, DeliveryFilter(), 0)
        with frame(access.principal, 'Jobs', current_path=PATH):
            _JobsPanel(first)
        return None


async def _actor(*, touch: bool = True) -> Principal | None:
    """The signed-in admin now (the session may have ended since the page was built); the periodic refresh does not
    count as activity, so it does not keep an idle session alive."""
    principal = await current_principal(touch=touch)
    if principal is None:
        ui.navigate.to(f'/login?next={PATH}')
    return principal


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


class _JobsPanel:
    """One admin's Jobs page: reachability, run now, runs, the delivery log (filters, pages, retry) and exports."""

    def __init__(self, first: _Snapshot) -> None:
        settings = app_context.get().settings
        self.offset = 0
        self.generation = 0
        self.anchor = ui.column().classes('w-full gap-4')
        with self.anchor:
            self._health_card(bool(settings.redis_url))
            self._run_card(bool(settings.redis_url))
            with ui.card().classes(theme.CARD):
                with ui.row().classes('w-full items-center justify-between'):
                    ui.label('Last runs').classes('text-lg font-medium').props('role=heading aria-level=2')
                    ui.button('Refresh', icon='refresh', on_click=self.refresh).props('flat no-caps').mark('refresh')
                self.runs = ui.table(columns=RUN_COLUMNS, rows=[], row_key='id').classes('w-full')
                self.runs.props('flat bordered dense').mark('runs-table')
            self._deliveries_card()
            with ui.card().classes(theme.CARD):
                ui.label('Export jobs').classes('text-lg font-medium').props('role=heading aria-level=2')
                self.no_exports = ui.label('No exports yet.').classes(theme.SUBTLE)
                self.exports = ui.table(columns=EXPORT_COLUMNS, rows=[], row_key='id').classes('w-full')
                self.exports.props('flat bordered dense').mark('exports-table')
        self.show(first)
        ui.timer(0.05, self.check_health, once=True)  # a worker ping takes up to a second: after the page is up
        ui.timer(REFRESH_SECONDS, self.refresh_quietly, immediate=False)

    def _health_card(self, configured: bool) -> None:
        with ui.card().classes(theme.CARD).mark('health'):
            ui.label('Background work').classes('text-lg font-medium').props('role=heading aria-level=2')
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
        with ui.card().classes(theme.CARD):
            ui.label('Run now').classes('text-lg font-medium').props('role=heading aria-level=2')
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

    def _deliveries_card(self) -> None:
        with ui.card().classes(theme.CARD):
            ui.label('Delivery log').classes('text-lg font-medium').props('role=heading aria-level=2')
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
                self.first = ui.input('From date', on_change=self.search).props('outlined dense type=date clearable')
                self.last = ui.input('To date', on_change=self.search).props('outlined dense type=date clearable')
            self.empty = ui.label('No delivery matches these filters.').classes(theme.INFO_BANNER)
            self.deliveries = ui.table(columns=DELIVERY_COLUMNS, rows=[], row_key='id').classes('w-full')
            self.deliveries.props('flat bordered dense wrap-cells').mark('deliveries-table')
            self.deliveries.add_slot('body-cell-actions', RETRY_SLOT)
            self.deliveries.on('retry', self.retry)
            with ui.row().classes('w-full items-center justify-end gap-2'):
                self.summary = ui.label('').classes(theme.SUBTLE).mark('deliveries-summary')
                self.previous = ui.button('Previous', icon='chevron_left', on_click=lambda: self.turn(-1))
                self.previous.props('flat no-caps').mark('deliveries-previous')
                self.next = ui.button('Next', icon='chevron_right', on_click=lambda: self.turn(1))
                self.next.props('flat no-caps').mark('deliveries-next')

    # --- showing ---------------------------------------------------------------------------------------------------

    def show(self, snapshot: _Snapshot) -> None:
        self.runs.rows = [
            {
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
            for runs in snapshot.runs.values()
            for run in runs
        ]
        self.runs.rows.sort(key=lambda row: -row['id'])
        self.runs.update()
        self.show_deliveries(snapshot.deliveries)
        self.exports.rows = [
            {
                'id': e.id,
                'created': _when(e.created_at),
                'kind': e.kind,
                'owner': e.owner,
                'status': e.status,
                'rows': '–' if e.rows is None else e.rows,
                'error': e.error or '',
            }
            for e in snapshot.exports
        ]
        self.exports.update()
        self.exports.set_visibility(bool(snapshot.exports))
        self.no_exports.set_visibility(not snapshot.exports)
        self.failed_state.text = f'Failed deliveries: {snapshot.failed}'
        self.cache_state.text = _cache_text(app_context.get().cache.stats())

    def show_deliveries(self, page: Page[DeliveryView]) -> None:
        self.offset = page.offset
        self.deliveries.rows = [
            {
                'id': d.id,
                'created': _when(d.created_at),
                'kind': d.kind,
                'channel': CHANNEL_LABELS[d.channel],
                'recipient': d.recipient,
                'subject': d.subject,
                'status': STATUS_LABELS[d.status],
                'attempts': d.attempts,
                'error': d.last_error or '',
                'failed': d.status == DeliveryStatus.FAILED.value,
            }
            for d in page.items
        ]
        self.deliveries.update()
        self.deliveries.set_visibility(bool(page.items))
        self.empty.set_visibility(not page.items)
        last = page.offset + len(page.items)
        self.summary.text = f'{page.offset + 1} to {last} of {page.total}, newest first' if page.items else ''
        self.previous.set_enabled(page.offset > 0)
        self.next.set_enabled(last < page.total)

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
        days: list[date | None] = []
        for element in (self.first, self.last):
            element.error = None
            text = (element.value or '').strip()
            try:
                days.append(date.fromisoformat(text) if text else None)
            except ValueError:
                element.error = 'Enter a date as YYYY-MM-DD.'
                return None
        if days[0] and days[1] and days[1] < days[0]:
            self.last.error = 'The end date is before the start date.'
            return None
        return DeliveryFilter(
            status=DeliveryStatus(self.status.value) if self.status.value else None,
            kind=self.kind.value or None,
            channel=Channel(self.channel.value) if self.channel.value else None,
            first=days[0],
            last=days[1],
        )

    async def load(self, offset: int, *, touch: bool = True) -> None:
        criteria = self.criteria()
        actor = await _actor(touch=touch)
        if criteria is None or actor is None:
            return
        self.generation += 1
        generation = self.generation
        try:
            with forms.loading(self.deliveries):
                snapshot = await run.io_bound(_snapshot, actor, criteria, offset)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        if generation == self.generation:  # a later search superseded this one
            self.show(snapshot)

    async def search(self) -> None:
        await self.load(0)

    async def turn(self, step: int) -> None:
        await self.load(max(0, self.offset + step * PAGE_SIZE))

    async def refresh(self) -> None:
        await self.load(self.offset)

    async def refresh_quietly(self) -> None:
        await self.load(self.offset, touch=False)

    async def check_health(self) -> None:
        self.show_health(await run.io_bound(_health))

    # --- acting ----------------------------------------------------------------------------------------------------

    async def run_now(self, job: str) -> None:
        actor = await _actor()
        if actor is None:
            return
        month = self.month.value if job == 'monthly-reports' else None
        rerun = bool(self.rerun.value) if job == 'monthly-reports' else False
        try:
            enqueued = await run.io_bound(_run_now, actor, job, month, rerun)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        what = JOB_LABELS[job] + (f' for {Month.parse(month).label}' if month else '')
        ui.notify(f'{what}: queued as run {enqueued.run_id}.', type='positive')
        await self.refresh()

    async def retry(self, event: events.GenericEventArguments) -> None:
        row = event.args if isinstance(event.args, dict) else {}
        actor = await _actor()
        if actor is None or not row.get('id'):
            return
        try:
            await run.io_bound(_retry, actor, int(row['id']))
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        ui.notify(f'Sending to {row.get("recipient", "the recipient")} again.', type='positive')
        await self.refresh()


def _cache_text(stats: dict[str, Any]) -> str:
    """This process's cache counters in all, then per cached read (departments, doctors, slots, dashboard, ...)."""
    parts = [f'{name} {counts["hits"]}/{counts["misses"]}' for name, counts in stats.get('by_name', {}).items()]
    detail = f' (hits/misses: {", ".join(parts)})' if parts else ''
    return f'Cache: {stats["hits"]} hits, {stats["misses"]} misses{detail}'
