"""The admin's live statistics dashboard at /admin: headline figures compared with the previous period, the measures
clinics steer by, and Plotly charts under shared filters that clicks on the charts set (drill down, cross-filter,
zoom to a period), all kept in the address; the appointments behind a day or a filter in a paginated list; live
through one broadcast per process (``dashboard_live``)."""

from __future__ import annotations

import asyncio
import html
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from babel import numbers
from nicegui import background_tasks, ui

from hms import clock, i18n
from hms import context as app_context
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role
from hms.domain.errors import DomainError, InvalidInput
from hms.i18n import N_, _, ngettext
from hms.i18n.formats import format_number, format_time, weekday_names
from hms.services import departments, doctors, measures, overview, stats
from hms.services.principal import Principal
from hms.services.tabular import to_csv
from hms.services.views import Page

from ..components import charts
from ..components.chart_view import ChartView, Handler, Prepared, prepare
from ..components.sections import section
from ..components.tables import PagedTable, Sort, column, columns, translated
from ..ui import dates, formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call
from ..ui.session import session_token
from . import dashboard_live, dashboard_state
from .dashboard_state import View
from .filters import date_filter

PRESETS = {
    'last7': N_('Last 7 days'),
    'last30': N_('Last 30 days'),
    'last90': N_('Last 90 days'),
    'month': N_('This month'),
    'custom': N_('Custom range'),
}
# (key in the data, label, 'count' or 'share', is a rise good news: True, False, None for neither or not compared).
# Another figure is one more row here (the grid makes room).
HEADLINE: list[tuple[str, str, str, bool | None]] = [
    ('doctors_active', N_('Active doctors'), 'count', None),
    ('patients', N_('Patients'), 'count', None),
    ('appointments_today', N_('Appointments today'), 'count', None),
    ('appointments_week', N_('This week'), 'count', None),
    ('appointments_total', N_('All time'), 'count', None),
    ('appointments_period', N_('Appointments (period)'), 'count', True),
    ('completed', N_('Completed (period)'), 'count', True),
    ('cancellation_rate', N_('Cancellation rate'), 'share', False),
    ('no_show_rate', N_('No-show rate'), 'share', False),
]
COMPARED = {key for key, _label, _kind, good in HEADLINE if good is not None}
MEASURES: list[tuple[str, str, str]] = [
    ('utilisation', N_('Utilisation'), 'share'),
    ('late_cancellation_rate', N_('Late cancellations'), 'share'),
    ('lead_time_days', N_('Booking lead time'), 'days'),
    ('rebooked_share', N_('Cancelled slots re-booked'), 'share'),
    ('new_patients', N_('New patients seen'), 'count'),
    ('returning_patients', N_('Returning patients seen'), 'count'),
    ('follow_up_adherence', N_('Follow-up adherence'), 'share'),
]
STATUS_FILTERS = {status: theme.STATUS_LABELS[status] for status in stats.STATUSES}
LIST_COLUMNS = [
    *columns(('when', N_('When')), ('patient', N_('Patient')), ('doctor', N_('Doctor')), ('status', N_('Status'))),
    column('links', N_('Links'), align='right', field='id'),
]
LINKS_SLOT = r"""
<q-td :props="props" auto-width>
  <a class="text-primary underline mr-3" :href="props.row.appointment_href">{appointment}</a>
  <a class="text-primary underline" :href="props.row.patient_href">{patient}</a>
</q-td>
"""
REFILLS = 'refills'
REFILLS_DEFINITION = N_(
    'Slots freed in the period (cancellations, leave withdrawn) that someone booked again, and the median time it took.'
)
BUILD_WAIT_SECONDS = 1.0  # the figures read within this long are drawn with the page
GOOD = 'text-green-800 dark:text-green-300'
BAD = 'text-red-700 dark:text-red-300'


def _today() -> date:
    return clock.now().astimezone(app_context.get().settings.zone).date()


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
    if kind == 'share':
        return _share(value)
    if kind == 'days':
        return ngettext('{count} day', '{count} days', 1 if value == 1 else 2, count=format_number(value))
    return format_number(value)


def refills_text(refills: dict[str, Any]) -> str:
    """'7 of 9 (77.8%) · median 42 min'; a dash when no slot was freed."""
    freed, refilled = refills.get('freed') or 0, refills.get('refilled') or 0
    if not freed:
        return '–'
    shown = _(
        '{refilled} of {freed} ({share})',
        refilled=format_number(refilled),
        freed=format_number(freed),
        share=_share(refilled / freed),
    )
    median = refills.get('median_minutes')
    if median is None:
        return shown
    return _('{shown} · median {minutes} min', shown=shown, minutes=format_number(round(median)))


def _share(value: float) -> str:
    """A share with one decimal as the language writes percentages: '12.5%', '12,5 %'."""
    locale = i18n.locale()
    pattern = str(locale.percent_formats[None].pattern).split(';')[0]  # '#,##0%', '#,##0\xa0%'
    last_digit = pattern.rindex('0') + 1
    return numbers.format_percent(value, format=f'{pattern[:last_digit]}.0{pattern[last_digit:]}', locale=locale)


def change_text(change: float | None, good_when_up: bool | None) -> tuple[str, str, str]:
    """A change against the previous period as shown (arrow and percentage), as read aloud, and its colour classes:
    green for good news, red for bad, grey when neither; the arrow and the words say it without the colour."""
    if change is None:
        return '', '', theme.SUBTLE
    if change == 0:
        return '= 0 %', _('unchanged from the previous period'), theme.SUBTLE
    up = change > 0
    amount = _share(abs(change))
    shown = f'{"▲" if up else "▼"} {amount}'
    spoken = (
        _('up {share} on the previous period', share=amount)
        if up
        else _('down {share} on the previous period', share=amount)
    )
    if good_when_up is None:
        return shown, spoken, theme.SUBTLE
    return shown, spoken, GOOD if up == good_when_up else BAD


def range_period(first_text: str, last_text: str) -> tuple[date, date] | None:
    """The days a range chosen on a date axis covers (each day's bar is centred on its midnight): from the first
    midnight at or after the start to the last at or before the end; a range within one bar is that day."""
    try:
        start = datetime.fromisoformat(first_text.strip().replace(' ', 'T')[:19])
        end = datetime.fromisoformat(last_text.strip().replace(' ', 'T')[:19])
    except ValueError:
        return None
    if end < start:
        start, end = end, start
    first = start.date() if start.time() == datetime.min.time() else start.date() + timedelta(days=1)
    last = end.date()
    if first > last:
        middle = start + (end - start) / 2
        first = last = (middle + timedelta(hours=12)).date()
    return first, last


def figures_of(data: dict[str, Any], overlay: bool) -> dict[str, Prepared]:
    """Every chart's figure and table for one filter, ready to send (built once per filter set and language, for
    every page that shows it)."""
    shaped = {**data, 'overlay': overlay}
    return {stem: prepare(build(shaped), table(shaped)) for _title, build, table, stem in charts.CHARTS}


def create() -> None:
    @role_page('/admin', Role.ADMIN)
    async def dashboard_page(principal: Principal) -> None:
        today = _today()
        request = ui.context.client.request
        view, unreadable = dashboard_state.read(dict(request.query_params), today)
        token = session_token() or ''
        with frame(principal, N_('Clinic dashboard'), current_path='/admin'):
            board = _Dashboard(principal, token, view, {}, {}, unreadable)
        # The figures are drawn with the page when they are read in time; else the page answers at once (many
        # dashboards opening together, or a cold read, must not hold it past NiceGUI's response timeout) and they
        # are drawn when they arrive.
        reading = asyncio.ensure_future(board.read_first())
        done, _pending = await asyncio.wait({reading}, timeout=BUILD_WAIT_SECONDS)
        if done:
            await board.apply_first(reading.result())
        else:
            board.loading.set_visibility(True)
            background_tasks.create(board.apply_later(reading), name='dashboard-first-figures')


class _Dashboard:
    """One admin's dashboard: its view (filters, period, listed day), figures and charts."""

    def __init__(
        self,
        principal: Principal,
        token: str,
        view: View,
        department_options: dict[int, str],
        doctor_options: dict[int, str],
        unreadable: list[str],
    ) -> None:
        self.principal, self.token, self.view = principal, token, view
        self.data: dict[str, Any] = {}
        self.language = i18n.current_language()
        self.department_options, self.doctor_options = department_options, doctor_options
        self.figures: dict[str, ui.label] = {}
        self.changes: dict[str, ui.label] = {}
        self.change_states: dict[str, tuple[str, str, str]] = {}
        self.chips_for: stats.StatsQuery | None = None
        self.views: dict[str, ChartView] = {}
        self.following = True
        self.pushes = 0  # live updates received (tests and the bench read it)
        self.notice = ui.label('').classes(theme.INFO_BANNER).props('role=status').mark('dashboard-notice')
        self.notice.bind_visibility_from(self.notice, 'text', backward=bool)
        self._filters_row()
        self.chips = ui.row().classes('w-full items-center gap-2').mark('filter-chips')
        self.error = ui.label('').classes(theme.ERROR_BANNER).props('role=alert')
        self.error.bind_visibility_from(self.error, 'text', backward=bool)
        self.loading = ui.linear_progress(show_value=False).props('indeterminate')
        self.loading.props['aria-label'] = _('Loading the figures')
        self.loading.classes('w-full').mark('loading').set_visibility(False)
        self.period = ui.label('').classes(theme.SUBTLE).mark('period')
        self._headline()
        self._measures()
        self._charts()
        self._day_list()
        self.security = ui.column().classes('w-full gap-0')  # recent security events, read with the figures
        self.unreadable = unreadable
        self.client = ui.context.client
        self.changed = False  # the user changed the view (before the first figures arrived)
        self.choices = 0  # views chosen so far: a slow read of an older choice must not replace a newer one

    async def read_first(self) -> tuple[Any, View, dict[str, Any], list[str]]:
        """What the page shows first: the filters' options and the security events, and the figures of the view
        the address names (the default view, with the reason, when it names something that does not exist)."""
        view, unreadable = self.view, self.unreadable
        options = await call(_options, self.principal)
        try:
            data = await dashboard_live.load(self.principal, view.query)
        except InvalidInput as problem:  # e.g. an id that names no department or doctor
            unreadable = unreadable + sorted(problem.field_errors or {'from': ''})
            view = dashboard_state.default_view(_today())
            data = await dashboard_live.load(self.principal, view.query)
        return options, view, data, unreadable

    async def apply_later(self, reading: asyncio.Future[tuple[Any, View, dict[str, Any], list[str]]]) -> None:
        try:
            found = await reading
        finally:
            self.loading.set_visibility(False)
        with self.client:
            await self.apply_first(found)

    async def apply_first(self, found: tuple[Any, View, dict[str, Any], list[str]]) -> None:
        (self.department_options, self.doctor_options, security), view, data, unreadable = found
        self._syncing = True  # filling the options is no choice of the user's
        try:
            self.department.set_options({0: _('All departments'), **self.department_options}, value=0)
            self.doctor.set_options({0: _('All doctors'), **self.doctor_options}, value=0)
        finally:
            self._syncing = False
        if unreadable:
            self.notice.text = _(
                'Some of the address could not be read ({names}); the dashboard shows the default view instead.',
                names=', '.join(unreadable),
            )
            ui.navigate.history.replace(view.url())
        if not self.changed:  # the user chose another view meanwhile: that one is on show
            self.view = view
            self._sync_controls()
            self.show(data)
            for stem, ready in figures_of(data, view.compare).items():
                self.views[stem].show_prepared(ready)
        with self.security:
            _security_events(security)
        # The back and forward buttons: the address changed without a request; read it and show that view.
        ui.on('dashboard_popstate', self._popstate)
        ui.run_javascript(
            'if (!window.hmsDashboardPopstate) { window.hmsDashboardPopstate = true;'
            " window.addEventListener('popstate', () => emitEvent('dashboard_popstate', location.search)); }"
        )
        broadcast = dashboard_live.broadcast(figures_of)
        self.client.on_delete(broadcast.follow(self))
        if view.day is not None:
            await self._show_list()

    # --- building -----------------------------------------------------------------------------------------------------

    def _filters_row(self) -> None:
        with ui.row().classes('w-full items-end gap-3'):
            self.preset = (
                ui.select(
                    {key: _(label) for key, label in PRESETS.items()},
                    value=self.view.preset,
                    label=_('Period'),
                    on_change=lambda e: self._preset_chosen(e.value),
                )
                .classes('min-w-[10rem]')
                .mark('filter-period')
            )
            query = self.view.query
            custom = self.view.preset == 'custom'
            self.first = date_filter(_('From'), self._dates_typed, props='dense', value=query.first if custom else None)
            self.first.mark('filter-from')
            self.last = date_filter(_('To'), self._dates_typed, props='dense', value=query.last if custom else None)
            self.last.mark('filter-to')
            for element in (self.first, self.last):
                element.bind_visibility_from(self.preset, 'value', backward=lambda value: value == 'custom')
            self.department = (
                ui.select(
                    {0: _('All departments'), **self.department_options},
                    value=_known(query.department_id, self.department_options),
                    label=_('Department'),
                    on_change=lambda e: self._chosen(department_id=e.value or None),
                )
                .classes('min-w-[12rem]')
                .mark('filter-department')
            )
            self.doctor = (
                ui.select(
                    {0: _('All doctors'), **self.doctor_options},
                    value=_known(query.doctor_id, self.doctor_options),
                    label=_('Doctor'),
                    with_input=True,
                    on_change=lambda e: self._chosen(doctor_id=e.value or None),
                )
                .classes('min-w-[14rem]')
                .mark('filter-doctor')
            )
            self.status = (
                ui.select(
                    {'': _('All statuses'), **{key: _(label) for key, label in STATUS_FILTERS.items()}},
                    value=query.status or '',
                    label=_('Status'),
                    on_change=lambda e: self._chosen(status=e.value or None),
                )
                .classes('min-w-[10rem]')
                .mark('filter-status')
            )
            self.overlay = ui.switch(
                _('Show the previous period'), value=self.view.compare, on_change=lambda e: self._overlay(e.value)
            ).mark('filter-compare')
        with ui.row().classes('w-full items-center gap-2 print:hidden'):
            listing = ui.button(_('List these appointments'), icon='list', on_click=lambda: self._open_list(None))
            listing.props('outline no-caps').mark('list-appointments')
            printing = ui.button(
                _('Print or save as PDF'), icon='print', on_click=lambda: ui.run_javascript('window.print()')
            )
            printing.props('outline no-caps').mark('print-dashboard')
            ui.label(
                _('Click a bar, a cell or a day in a chart to explore; select days on a time axis to set the period.')
            ).classes(theme.SUBTLE)

    def _headline(self) -> None:
        with ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-5 gap-3'):
            for key, label, _kind, _good in HEADLINE:
                with ui.card().classes('p-3 gap-0'):
                    ui.label(_(label)).classes(theme.SUBTLE)
                    self.figures[key] = ui.label('').classes('text-2xl font-semibold').mark(f'figure-{key}')
                    if key in COMPARED:
                        self.changes[key] = ui.label('').classes('text-sm').mark(f'change-{key}')

    def _measures(self) -> None:
        ui.label(_('Measures')).classes('text-lg font-medium').props('role=heading aria-level=2')
        with ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-3'):
            for key, label, _kind in MEASURES:
                definition = _(measures.DEFINITIONS[key])
                # The definition shows on hover and on focus (the card is focusable), and is the card's description.
                with ui.card().classes('p-3 gap-0 group focus:outline focus:outline-2').props('tabindex=0') as card:
                    title = ui.label(_(label)).classes(theme.SUBTLE)
                    self.figures[key] = ui.label('').classes('text-xl font-semibold').mark(f'measure-{key}')
                    self.changes[key] = ui.label('').classes('text-sm').mark(f'change-{key}')
                    note = ui.label(definition).classes(
                        'text-xs hidden group-hover:block group-focus:block ' + theme.SUBTLE
                    )
                    note.mark(f'definition-{key}')
                card.props(f'role=group aria-labelledby={title.html_id} aria-describedby={note.html_id}')
            # The waitlist's work: slots freed in the period and booked again (the whole clinic, whatever the filters).
            with ui.card().classes('p-3 gap-0 group focus:outline focus:outline-2').props('tabindex=0') as card:
                title = ui.label(_('Freed slots refilled')).classes(theme.SUBTLE)
                self.figures[REFILLS] = ui.label('').classes('text-xl font-semibold').mark(f'measure-{REFILLS}')
                note = ui.label(_(REFILLS_DEFINITION)).classes(
                    'text-xs hidden group-hover:block group-focus:block ' + theme.SUBTLE
                )
                note.mark(f'definition-{REFILLS}')
            card.props(f'role=group aria-labelledby={title.html_id} aria-describedby={note.html_id}')

    def _charts(self) -> None:
        handlers: dict[str, dict[str, Handler]] = {
            'appointments-per-day': {'on_click': self._day_clicked, 'on_range': self._range_chosen},
            'appointments-by-status': {'on_click': self._status_clicked},
            'appointments-by-department': {'on_click': self._bar_clicked},
            'appointments-by-doctor': {'on_click': self._bar_clicked},
            'doctor-utilisation': {'on_click': self._bar_clicked},
            'busiest-hours': {'on_click': self._cell_clicked},
        }
        empty: dict[str, Any] = {'data': [], 'layout': {}, 'config': {}}
        with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4'):
            for title, _build, _table, stem in charts.CHARTS:
                with ui.card().classes('w-full p-3 gap-1 break-inside-avoid'):
                    wanted = handlers.get(stem, {})
                    view = ChartView(
                        _(title),
                        empty,
                        ([], []),
                        marker=stem,
                        on_click=wanted.get('on_click'),
                        on_range=wanted.get('on_range'),
                    )
                    with view.actions:
                        csv = ui.button(_('CSV'), icon='download', on_click=lambda stem=stem: self.download(stem))
                        csv.props('flat dense no-caps')
                        csv.props['aria-label'] = _('Download the data of {title} as CSV', title=_(title))
                        csv.mark(f'csv-{stem}')
                    self.views[stem] = view

    def _day_list(self) -> None:
        with ui.dialog() as self.list_dialog, ui.card().classes('w-full max-w-4xl'):
            self.list_title = ui.label('').classes('text-lg font-medium').props('role=heading aria-level=2')
            self.list_title.mark('day-list-title')
            self.list_table: PagedTable[dict[str, Any]] = PagedTable(
                'day-list',
                LIST_COLUMNS,
                self._list_page,
                self._list_row,
                first=Page([], 0, 25, 0),
                empty=_('No appointments under these filters.'),
            )
            self.list_table.add_slot(
                'body-cell-links',
                LINKS_SLOT.format(
                    appointment=_html(_('Appointment')),
                    patient=_html(_('Patient')),
                ),
            )
            ui.button(_('Close'), on_click=self.list_dialog.close).props('flat no-caps').mark('day-list-close')
        self.list_dialog.props['aria-labelledby'] = self.list_title.html_id  # Quasar's role=dialog, named by its title
        self.list_dialog.on('hide', self._list_closed)

    # --- showing ------------------------------------------------------------------------------------------------------

    def show(self, data: dict[str, Any]) -> None:
        self.data = data
        query = data['query']
        first, last = date.fromisoformat(query['first']), date.fromisoformat(query['last'])
        updated = formats.time_of_day(datetime.fromisoformat(data['generated_at']))
        _set(
            self.period,
            _(
                '{first} to {last} · updated {time}',
                first=formats.date_only(first),
                last=formats.date_only(last),
                time=updated,
            ),
        )
        change = data.get('change') or {}
        for key, _label, kind, good in HEADLINE:
            _set(self.figures[key], _format(kind, data['headline'].get(key)))
            if key in self.changes:
                self._show_change(key, change.get(key), good)
        for key, _label, kind in MEASURES:
            _set(self.figures[key], _format(kind, data['measures'].get(key)))
            self._show_change(key, change.get(key), measures.GOOD_WHEN_UP.get(key))
        _set(self.figures[REFILLS], refills_text(data.get('refills') or {}))
        self._show_chips()

    def _show_change(self, key: str, change: float | None, good: bool | None) -> None:
        shown, spoken, colour = change_text(change, good)
        label = self.changes[key]
        if self.change_states.get(key) == (shown, spoken, colour):
            return  # unchanged: nothing sent
        self.change_states[key] = (shown, spoken, colour)
        _set(label, shown)
        label.classes(replace='text-sm ' + colour)
        label.props['aria-label'] = spoken or None
        label.props['title'] = spoken or None

    def _show_chips(self) -> None:
        query = self.view.query
        if self.chips_for == query:
            return  # the same filters: the same chips, nothing sent
        self.chips_for = query
        self.chips.clear()
        chips: list[tuple[str, dict[str, Any]]] = []
        if query.department_id is not None:
            name = self.department_options.get(query.department_id, f'#{query.department_id}')
            chips.append((_('Department: {name}', name=name), {'department_id': None}))
        if query.doctor_id is not None:
            name = self.doctor_options.get(query.doctor_id, f'#{query.doctor_id}')
            chips.append((_('Doctor: {name}', name=name), {'doctor_id': None}))
        if query.status is not None:
            chips.append((_('Status: {name}', name=_(STATUS_FILTERS[query.status])), {'status': None}))
        if query.weekday is not None:
            day = weekday_names('wide')[query.weekday]
            chips.append((_('Weekday: {name}', name=day), {'weekday': None}))
        if query.hour is not None:
            chips.append((_('Hour: {name}', name=format_time(time(query.hour))), {'hour': None}))
        with self.chips:
            for text, removal in chips:
                chip = ui.chip(text, removable=True, color='teal-1', text_color='teal-10').mark('filter-chip')
                chip.props['remove-aria-label'] = _('Remove the filter {name}', name=text)
                chip.on('remove', lambda removal=removal: self._chosen(**removal))
            if chips:
                reset = ui.button(_('Reset all'), icon='filter_alt_off', on_click=self._reset)
                reset.props('flat dense no-caps').mark('reset-filters')

    def push(self, data: dict[str, Any], figures: dict[str, Any]) -> None:
        """A live update built by the broadcast for this page's filter and language: send only what changed."""
        self.pushes += 1
        with i18n.use_language(self.language):
            self.show(data)
        for stem, ready in figures.items():
            self.views[stem].show_prepared(ready)

    def live_query(self) -> tuple[stats.StatsQuery, bool] | None:
        return (self.view.query, self.view.compare) if self.following else None

    def signed_out(self) -> None:
        self.following = False

    # --- changing the view --------------------------------------------------------------------------------------------

    async def go(self, view: View, *, push: bool = True) -> None:
        """Show ``view``: read its data, draw it, and (unless the address already says it) put it in the address."""
        if await acting() is None:  # a user action: it counts as activity
            return
        self.changed = True
        self.choices += 1
        choice, shown = self.choices, self.view
        self.view = view  # a further choice made while this one is read builds on it
        self.loading.set_visibility(True)
        try:
            data = await dashboard_live.load(self.principal, view.query)
        except DomainError as failure:
            if choice == self.choices:
                self.view = shown
                self._sync_controls()
                self.error.text = failure.message
            return
        finally:
            if choice == self.choices:
                self.loading.set_visibility(False)
        if choice != self.choices:
            return  # a later choice was made while this one was read: that one is shown
        self.error.text = ''
        self.notice.text = ''
        day_changed = view.day != shown.day
        if push:
            ui.navigate.history.push(view.url())
        self._sync_controls()
        self.show(data)
        for stem, ready in figures_of(data, view.compare).items():
            self.views[stem].show_prepared(ready)
        if view.day is not None or (self.list_dialog.value and not day_changed):
            await self._show_list()
        elif day_changed:
            self.list_dialog.close()

    def _sync_controls(self) -> None:
        """The filter controls say what the view is (after a click on a chart, a chip, the back button)."""
        query = self.view.query
        self._syncing = True
        try:
            self.preset.set_value(self.view.preset)
            if self.view.preset == 'custom':
                self.first.value, self.last.value = dates.shown(query.first), dates.shown(query.last)
            self.department.set_value(_known(query.department_id, self.department_options))
            self.doctor.set_value(_known(query.doctor_id, self.doctor_options))
            self.status.set_value(query.status or '')
            self.overlay.set_value(self.view.compare)
        finally:
            self._syncing = False

    _syncing = False

    async def _chosen(self, **changes: Any) -> None:
        if self._syncing or all(getattr(self.view.query, key) == value for key, value in changes.items()):
            return
        await self.go(self.view.with_filters(**changes))

    async def _preset_chosen(self, preset: str) -> None:
        if self._syncing or preset == self.view.preset:
            return
        if preset == 'custom':
            query = self.view.query
            self.first.value, self.last.value = dates.shown(query.first), dates.shown(query.last)
            await self.go(replace(self.view, preset='custom', day=None))
            return
        await self.go(self.view.with_preset(preset, _today()))

    async def _dates_typed(self) -> None:
        if self._syncing:
            return
        try:
            first, last = dates.parse(self.first.value), dates.parse(self.last.value)
        except ValueError:
            first = last = None
        if first is None or last is None:
            self.error.text = _('Enter both dates of the custom range.')
            return
        if (first, last) != (self.view.query.first, self.view.query.last):
            await self.go(self.view.with_period(first, last))

    async def _overlay(self, shown: bool) -> None:
        if not self._syncing and shown != self.view.compare:
            await self.go(replace(self.view, compare=shown))

    async def _reset(self) -> None:
        await self.go(self.view.with_filters(department_id=None, doctor_id=None, status=None, weekday=None, hour=None))

    async def _popstate(self, event: Any) -> None:
        view, unreadable = dashboard_state.read_search(str(event.args or ''), _today())
        if unreadable:
            view = dashboard_state.default_view(_today())
        await self.go(view, push=False)

    # --- clicks on the charts -----------------------------------------------------------------------------------------

    async def _bar_clicked(self, args: dict[str, Any]) -> None:
        meta = args.get('meta') or {}
        key = meta.get('id')
        if not isinstance(key, int):
            return  # 'Other (n doctors)' has no single doctor
        if meta.get('filter') == 'department':
            await self._chosen(department_id=key)
        else:
            await self._chosen(doctor_id=key)

    async def _status_clicked(self, args: dict[str, Any]) -> None:
        status = (args.get('meta') or {}).get('status')
        if status in STATUS_FILTERS:
            await self._chosen(status=status)

    async def _cell_clicked(self, args: dict[str, Any]) -> None:
        index, hour = args.get('index') or [], (args.get('meta') or {}).get('hour')
        if len(index) == 2 and isinstance(index[0], int) and 0 <= index[0] <= 6 and isinstance(hour, int):
            await self._chosen(weekday=index[0], hour=hour)

    async def _day_clicked(self, args: dict[str, Any]) -> None:
        try:
            day = date.fromisoformat(str(args.get('x', ''))[:10])
        except ValueError:
            return
        await self._open_list(day)

    async def _range_chosen(self, args: dict[str, Any]) -> None:
        period = range_period(str(args.get('first', '')), str(args.get('last', '')))
        if period is None or period == (self.view.query.first, self.view.query.last):
            return
        try:
            stats.validate(replace(self.view.query, first=period[0], last=period[1]))
        except InvalidInput as problem:
            self.error.text = problem.message
            return
        await self.go(self.view.with_period(*period))

    # --- the appointments behind a figure -----------------------------------------------------------------------------

    async def _open_list(self, day: date | None) -> None:
        if day is not None and not self.view.query.first <= day <= self.view.query.last:
            return
        view = replace(self.view, day=day)
        if day != self.view.day:
            self.view = view
            ui.navigate.history.push(view.url())
        await self._show_list()

    async def _show_list(self) -> None:
        day = self.view.day
        self.list_title.text = (
            _('Appointments on {day}', day=formats.date_only(day)) if day else _('Appointments under these filters')
        )
        self.list_dialog.open()
        await self.list_table.reload()

    async def _list_page(self, offset: int, limit: int, _sort: Sort) -> Page[dict[str, Any]] | None:
        principal = await acting()
        if principal is None:
            return None
        try:
            found = await call(
                stats.appointment_list, principal, self.view.list_query(), page=offset // limit + 1, per_page=limit
            )
        except DomainError as failure:
            self.error.text = failure.message
            return None
        return Page(found['items'], found['total'], found['per_page'], (found['page'] - 1) * found['per_page'])

    @staticmethod
    def _list_row(item: dict[str, Any]) -> dict[str, Any]:
        start = datetime.fromisoformat(item['start_at'])
        day = formats.local(start).date().isoformat()
        return {
            'id': item['id'],
            'when': formats.moment(start),
            'patient': item['patient'],
            'doctor': item['doctor'],
            'status': _(theme.STATUS_LABELS[item['status']]),
            'appointment_href': f'/admin/appointments?from={day}&to={day}&doctor={item["doctor_id"]}',
            'patient_href': f'/admin/patients/{item["patient_id"]}',
        }

    async def _list_closed(self) -> None:
        if self.view.day is not None:
            self.view = replace(self.view, day=None)
            ui.navigate.history.push(self.view.url())

    def download(self, stem: str) -> None:
        table = self.views[stem].table
        header, rows = table
        query = self.data['query']
        ui.download(to_csv(header, rows), f'hms-{stem}-{query["first"]}-{query["last"]}.csv', 'text/csv')


def _known(key: int | None, options: dict[int, str]) -> int:
    """A select's value for an id: the id when it is among the options, else 'all' (0)."""
    return key if key is not None and key in options else 0


def _set(label: ui.label, text: str) -> None:
    if label.text != text:  # an unchanged figure sends nothing
        label.text = text


def _html(text: str) -> str:
    return html.escape(text)


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
