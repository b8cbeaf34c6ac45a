"""The admin's live statistics dashboard at /admin: headline figures and Plotly charts under shared filters,
refreshed within moments of any change anywhere (change events via the process's event hub)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from babel import numbers
from nicegui import background_tasks, ui

from hms import clock, i18n
from hms import context as app_context
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import DomainError
from hms.events import Event
from hms.i18n import N_, _
from hms.i18n.formats import format_number
from hms.services import accounts, departments, doctors, overview, stats
from hms.services.principal import Principal
from hms.services.stats import Preset, StatsQuery
from hms.services.tabular import to_csv

from ..components import charts
from ..components.chart_view import ChartView
from ..components.sections import section
from ..components.tables import columns, translated
from ..ui import dates, formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.live import follow_changes
from ..ui.services import call, in_thread
from ..ui.session import session_token
from .filters import date_filter

PRESETS = {
    'last7': N_('Last 7 days'),
    'last30': N_('Last 30 days'),
    'last90': N_('Last 90 days'),
    'month': N_('This month'),
    'custom': N_('Custom range'),
}
PERIODS: dict[str, Preset] = {'last7': 'last7', 'last30': 'last30', 'last90': 'last90', 'month': 'month'}
LIVE_NAMESPACES = set(stats.STATS_NAMESPACES)
REFRESH_DELAY = 0.3  # seconds: a burst of changes becomes one refresh
# (key in the data, label, 'count' or 'share'): a count reads '1,234', a share '12.5%', each in the page's language
HEADLINE = [
    ('doctors_active', N_('Active doctors'), 'count'),
    ('patients', N_('Patients'), 'count'),
    ('appointments_today', N_('Appointments today'), 'count'),
    ('appointments_week', N_('This week'), 'count'),
    ('appointments_total', N_('All time'), 'count'),
    ('completed', N_('Completed (period)'), 'count'),
    ('cancellation_rate', N_('Cancellation rate'), 'share'),
    ('no_show_rate', N_('No-show rate'), 'share'),
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
    data, _cached = await in_thread(stats.dashboard_cached, ctx.cache, ctx.uow, ctx.settings, principal, query)
    return data


def _options(
    uow: UnitOfWork, settings: Settings, principal: Principal
) -> tuple[dict[int, str], dict[int, str], overview.AdminOverview]:
    department_options = {d.id: d.name for d in departments.list_departments(uow)}
    doctor_options = {
        d.id: f'{d.name} ({d.department_name})' for d in doctors.search_doctors(uow, settings, include_inactive=True)
    }
    return department_options, doctor_options, overview.admin_overview(uow, principal)


def _format(kind: str, value: Any) -> str:
    if value is None:
        return '–'
    return _share(value) if kind == 'share' else format_number(value)


def _share(value: float) -> str:
    """A share with one decimal as the language writes percentages: '12.5%', '12,5 %'."""
    locale = i18n.locale()
    pattern = str(locale.percent_formats[None].pattern).split(';')[0]  # '#,##0%', '#,##0\xa0%'
    last_digit = pattern.rindex('0') + 1
    return numbers.format_percent(value, format=f'{pattern[:last_digit]}.0{pattern[last_digit:]}', locale=locale)


def create() -> None:
    @role_page('/admin', Role.ADMIN)
    async def dashboard_page(principal: Principal) -> None:
        filters = Filters()
        token = session_token() or ''
        department_options, doctor_options, security = await call(_options, principal)
        data = await _load(token, filters.query(_today()))
        with frame(principal, N_('Clinic dashboard'), current_path='/admin'):
            view = _Dashboard(token, filters, data, department_options, doctor_options)
            _security_events(security)
        follow_changes(view.on_event)


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
        self.plots: list[tuple[ChartView, Any, Any]] = []
        self._filters_row(department_options, doctor_options)
        self.error = ui.label('').classes(theme.ERROR_BANNER).props('role=alert')
        self.error.bind_visibility_from(self.error, 'text', backward=bool)
        self.loading = ui.linear_progress(show_value=False).props('indeterminate')
        self.loading.props['aria-label'] = _('Loading the figures')
        self.loading.classes('w-full').mark('loading').set_visibility(False)
        self.period = ui.label('').classes(theme.SUBTLE).mark('period')
        with ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-4 gap-3'):
            for key, label, _kind in HEADLINE:
                with ui.card().classes('p-3 gap-0'):
                    ui.label(_(label)).classes(theme.SUBTLE)
                    self.figures[key] = ui.label('').classes('text-2xl font-semibold').mark(f'figure-{key}')
        with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4'):
            for title, build, table, stem in charts.CHARTS:
                with ui.card().classes('w-full p-3 gap-1'):
                    # A named figure with its table alternative (pages/components/chart_view.py)
                    view = ChartView(_(title), build(data), table(data), marker=stem)
                    with view.actions:
                        csv = ui.button(
                            _('CSV'),
                            icon='download',
                            on_click=lambda table=table, stem=stem: self.download(table, stem),
                        ).props('flat dense no-caps')
                        csv.props['aria-label'] = _('Download the data of {title} as CSV', title=_(title))
                        csv.mark(f'csv-{stem}')
                    self.plots.append((view, build, table))
        self.show(data)

    def _filters_row(self, department_options: dict[int, str], doctor_options: dict[int, str]) -> None:
        with ui.row().classes('w-full items-end gap-3'):
            ui.select(
                {key: _(label) for key, label in PRESETS.items()},
                value=self.filters.preset,
                label=_('Period'),
                on_change=lambda e: self.apply(preset=e.value),
            ).classes('min-w-[10rem]').mark('filter-period')
            self.first = date_filter(_('From'), self.apply_dates, props='dense').mark('filter-from')
            self.last = date_filter(_('To'), self.apply_dates, props='dense').mark('filter-to')
            for element in (self.first, self.last):
                element.bind_visibility_from(self, 'filters', backward=lambda f: f.preset == 'custom')
            department = ui.select(
                {0: _('All departments'), **department_options},
                value=0,
                label=_('Department'),
                on_change=lambda e: self.apply(department_id=e.value or None),
            )
            department.classes('min-w-[12rem]').mark('filter-department')
            doctor = ui.select(
                {0: _('All doctors'), **doctor_options},
                value=0,
                label=_('Doctor'),
                with_input=True,
                on_change=lambda e: self.apply(doctor_id=e.value or None),
            )
            doctor.classes('min-w-[14rem]').mark('filter-doctor')

    def show(self, data: dict[str, Any]) -> None:
        self.data = data
        query = data['query']
        first, last = date.fromisoformat(query['first']), date.fromisoformat(query['last'])
        updated = formats.time_of_day(datetime.fromisoformat(data['generated_at']))
        self.period.text = _(
            '{first} to {last} · updated {time}',
            first=formats.date_only(first),
            last=formats.date_only(last),
            time=updated,
        )
        for key, _label, kind in HEADLINE:
            self.figures[key].text = _format(kind, data['headline'][key])
        for view, build, table in self.plots:
            view.show(build(data), table(data))

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
            self.first.value, self.last.value = dates.shown(today - timedelta(days=29)), dates.shown(today)
            return  # apply_dates() runs from the inputs' change events
        await self.reload()

    async def apply_dates(self) -> None:
        try:
            first, last = dates.parse(self.first.value), dates.parse(self.last.value)
        except ValueError:
            first = last = None
        if first is None or last is None:
            self.error.text = _('Enter both dates of the custom range.')
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
    'login.failed': N_('Failed sign-in'),
    'login.throttled': N_('Sign-in throttled'),
    'login.refused': N_('Blocked account tried to sign in'),
    'account.blacklisted': N_('Account blacklisted'),
    'account.reactivated': N_('Account reactivated'),
}
ROLE_LABELS = {
    Role.ADMIN.value: N_('Clinic administrator'),
    Role.DOCTOR.value: N_('Doctor'),
    Role.PATIENT.value: N_('Patient'),
    Role.RECEPTION.value: N_('Receptionist'),
}
SECURITY_COLUMNS = columns(('at', N_('When')), ('event', N_('Event')), ('role', N_('Role')), ('ip', N_('IP')))


def _role(role: str | None) -> str:
    if not role:
        return '-'
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else role


def _security_events(data: overview.AdminOverview) -> None:
    """Recent failed, throttled and blocked sign-ins."""
    with section():
        ui.label(_('Recent security events')).classes('text-lg font-medium')
        if not data.security_events:
            ui.label(_('No failed or blocked sign-ins recently.')).classes(theme.SUBTLE)
            return
        rows = [
            {
                'at': formats.moment(event.at),
                'event': _(SECURITY_ACTIONS[event.action]) if event.action in SECURITY_ACTIONS else event.action,
                'role': _role(event.actor_role),
                'ip': event.ip or '-',
            }
            for event in data.security_events
        ]
        ui.table(columns=translated(SECURITY_COLUMNS), rows=rows).classes('w-full').props('flat dense')
