"""The admin's live statistics dashboard at /admin: headline figures and Plotly charts under shared filters,
refreshed within moments of any change anywhere (change events via the process's event hub)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from nicegui import app, background_tasks, ui
from nicegui import context as ui_context

from hms import clock
from hms import context as app_context
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import DomainError
from hms.events import Event
from hms.services import accounts, departments, doctors, overview, stats
from hms.services.principal import Principal
from hms.services.stats import Preset, StatsQuery
from hms.services.tabular import to_csv

from ..components import charts
from ..components.sections import section
from ..components.tables import columns
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call, in_thread
from ..ui.session import TOKEN_KEY

PRESETS = {
    'last7': 'Last 7 days',
    'last30': 'Last 30 days',
    'last90': 'Last 90 days',
    'month': 'This month',
    'custom': 'Custom range',
}
PERIODS: dict[str, Preset] = {'last7': 'last7', 'last30': 'last30', 'last90': 'last90', 'month': 'month'}
LIVE_NAMESPACES = set(stats.STATS_NAMESPACES)
REFRESH_DELAY = 0.3  # seconds: a burst of changes becomes one refresh
HEADLINE = [
    ('doctors_active', 'Active doctors', '{:,}'),
    ('patients', 'Patients', '{:,}'),
    ('appointments_today', 'Appointments today', '{:,}'),
    ('appointments_week', 'This week', '{:,}'),
    ('appointments_total', 'All time', '{:,}'),
    ('completed', 'Completed (period)', '{:,}'),
    ('cancellation_rate', 'Cancellation rate', '{:.1%}'),
    ('no_show_rate', 'No-show rate', '{:.1%}'),
]


@dataclass(frozen=True)
class Filters:
    preset: str = 'last30'
    first: date | None = None
    last: date | None = None
    department_id: int | None = None
    doctor_id: int | None = None

    def query(self, today: date) -> StatsQuery:
        if self.preset == 'custom' and self.first and self.last:
            return StatsQuery(self.first, self.last, self.department_id, self.doctor_id)
        preset = PERIODS.get(self.preset, 'last30')
        return StatsQuery.preset(preset, today, department_id=self.department_id, doctor_id=self.doctor_id)


def _today() -> date:
    return clock.now().astimezone(app_context.get().settings.zone).date()


async def _load(token: str, query: StatsQuery) -> dict[str, Any]:
    """Check the session again (live refreshes come without a request), then read through the cache."""
    principal = await call(accounts.authenticate, token, kind=SessionKind.WEB, touch=False)
    ctx = app_context.get()
    data, _ = await in_thread(stats.dashboard_cached, ctx.cache, ctx.uow, ctx.settings, principal, query)
    return data


def _options(
    uow: UnitOfWork, settings: Settings, principal: Principal
) -> tuple[dict[int, str], dict[int, str], overview.AdminOverview]:
    department_options = {d.id: d.name for d in departments.list_departments(uow)}
    doctor_options = {
        d.id: f'{d.name} ({d.department_name})' for d in doctors.search_doctors(uow, settings, include_inactive=True)
    }
    return department_options, doctor_options, overview.admin_overview(uow, principal)


def _format(key: str, pattern: str, value: Any) -> str:
    return '–' if value is None else pattern.format(value)


def create() -> None:
    @role_page('/admin', Role.ADMIN)
    async def dashboard_page(principal: Principal) -> None:
        filters = Filters()
        token = app.storage.user.get(TOKEN_KEY, '')
        department_options, doctor_options, security = await call(_options, principal)
        data = await _load(token, filters.query(_today()))
        with frame(principal, 'Clinic dashboard', current_path='/admin'):
            view = _Dashboard(token, filters, data, department_options, doctor_options)
            _security_events(security)
        unsubscribe = app_context.get().hub.subscribe(view.on_event)
        ui_context.client.on_delete(unsubscribe)


class _Dashboard:
    """One admin's dashboard: its filters, figures and charts, and the refresh they share."""

    def __init__(
        self,
        token: str,
        filters: Filters,
        data: dict[str, Any],
        department_options: dict[int, str],
        doctor_options: dict[int, str],
    ) -> None:
        self.token, self.filters, self.data = token, filters, data
        self.refresh_pending = False
        self.figures: dict[str, ui.label] = {}
        self.plots: list[tuple[ui.plotly, Any]] = []
        self._filters_row(department_options, doctor_options)
        self.error = ui.label('').classes(theme.ERROR_BANNER).props('role=alert')
        self.error.bind_visibility_from(self.error, 'text', backward=bool)
        self.loading = ui.linear_progress(show_value=False).props('indeterminate aria-label="Loading the figures"')
        self.loading.classes('w-full').mark('loading').set_visibility(False)
        self.period = ui.label('').classes(theme.SUBTLE).mark('period')
        with ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-4 gap-3'):
            for key, label, _ in HEADLINE:
                with ui.card().classes('p-3 gap-0'):
                    ui.label(label).classes(theme.SUBTLE)
                    self.figures[key] = ui.label('').classes('text-2xl font-semibold').mark(f'figure-{key}')
        with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4'):
            for title, build, table, stem in charts.CHARTS:
                with ui.card().classes('w-full p-3 gap-1'):
                    with ui.row().classes('w-full items-center justify-between'):
                        ui.label(title).classes('text-base font-medium')
                        ui.button(
                            'CSV', icon='download', on_click=lambda table=table, stem=stem: self.download(table, stem)
                        ).props(f'flat dense no-caps aria-label="Download the data of {title} as CSV"').mark(
                            f'csv-{stem}'
                        )
                    plot = ui.plotly(build(data)).classes('w-full h-72').mark(f'chart-{stem}')
                    self.plots.append((plot, build))
        self.show(data)

    def _filters_row(self, department_options: dict[int, str], doctor_options: dict[int, str]) -> None:
        with ui.row().classes('w-full items-end gap-3'):
            ui.select(
                PRESETS, value=self.filters.preset, label='Period', on_change=lambda e: self.apply(preset=e.value)
            ).classes('min-w-[10rem]').mark('filter-period')
            self.first = ui.input('From', on_change=lambda e: self.apply_dates()).props('type=date dense')
            self.last = ui.input('To', on_change=lambda e: self.apply_dates()).props('type=date dense')
            for element in (self.first, self.last):
                element.bind_visibility_from(self, 'filters', backward=lambda f: f.preset == 'custom')
            department = ui.select(
                {0: 'All departments', **department_options},
                value=0,
                label='Department',
                on_change=lambda e: self.apply(department_id=e.value or None),
            )
            department.classes('min-w-[12rem]').mark('filter-department')
            doctor = ui.select(
                {0: 'All doctors', **doctor_options},
                value=0,
                label='Doctor',
                with_input=True,
                on_change=lambda e: self.apply(doctor_id=e.value or None),
            )
            doctor.classes('min-w-[14rem]').mark('filter-doctor')

    def show(self, data: dict[str, Any]) -> None:
        self.data = data
        query = data['query']
        first, last = date.fromisoformat(query['first']), date.fromisoformat(query['last'])
        updated = formats.time_of_day(datetime.fromisoformat(data['generated_at']))
        self.period.text = f'{formats.date_only(first)} to {formats.date_only(last)} · updated {updated}'
        for key, _, pattern in HEADLINE:
            self.figures[key].text = _format(key, pattern, data['headline'][key])
        for plot, build in self.plots:
            plot.update_figure(build(data))

    async def reload(self) -> None:
        if await acting() is None:  # a user action: it counts as activity
            return
        self.loading.set_visibility(True)
        try:
            data = await _load(self.token, self.filters.query(_today()))
        except DomainError as failure:
            self.error.text = failure.message
            return
        finally:
            self.loading.set_visibility(False)
        self.error.text = ''
        self.show(data)

    async def apply(self, **changes: Any) -> None:
        self.filters = replace(self.filters, **changes)
        if self.filters.preset == 'custom' and not (self.filters.first and self.filters.last):
            today = _today()
            self.first.value, self.last.value = (today - timedelta(days=29)).isoformat(), today.isoformat()
            return  # apply_dates() runs from the inputs' change events
        await self.reload()

    async def apply_dates(self) -> None:
        try:
            first, last = date.fromisoformat(self.first.value or ''), date.fromisoformat(self.last.value or '')
        except ValueError:
            self.error.text = 'Enter both dates of the custom range.'
            return
        self.filters = replace(self.filters, first=first, last=last)
        await self.reload()

    def on_event(self, event: Event) -> None:
        """Called by the event hub for every change in the clinic; refreshes once per burst of changes."""
        if event.namespace not in LIVE_NAMESPACES or self.refresh_pending:
            return
        self.refresh_pending = True
        background_tasks.create(self._refresh_soon(), name='dashboard-refresh')

    async def _refresh_soon(self) -> None:
        await asyncio.sleep(REFRESH_DELAY)
        self.refresh_pending = False
        try:
            data = await _load(self.token, self.filters.query(_today()))
        except DomainError:  # the session ended: the page's own session check will sign it out
            return
        self.show(data)

    def download(self, table: Any, stem: str) -> None:
        header, rows = table(self.data)
        query = self.data['query']
        ui.download(to_csv(header, rows), f'hms-{stem}-{query["first"]}-{query["last"]}.csv', 'text/csv')


SECURITY_ACTIONS = {
    'login.failed': 'Failed sign-in',
    'login.throttled': 'Sign-in throttled',
    'login.refused': 'Blocked account tried to sign in',
    'account.blacklisted': 'Account blacklisted',
    'account.reactivated': 'Account reactivated',
}
SECURITY_COLUMNS = columns(('at', 'When'), ('event', 'Event'), ('role', 'Role'), ('ip', 'From'))


def _security_events(data: overview.AdminOverview) -> None:
    """Recent failed, throttled and blocked sign-ins."""
    with section():
        ui.label('Recent security events').classes('text-lg font-medium')
        if not data.security_events:
            ui.label('No failed or blocked sign-ins recently.').classes(theme.SUBTLE)
            return
        rows = [
            {
                'at': formats.moment(event.at),
                'event': SECURITY_ACTIONS.get(event.action, event.action),
                'role': event.actor_role or '-',
                'ip': event.ip or '-',
            }
            for event in data.security_events
        ]
        ui.table(columns=SECURITY_COLUMNS, rows=rows).classes('w-full').props('flat dense')
