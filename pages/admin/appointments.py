"""The administrator's view of every appointment: filters, pages, and cancelling or moving booked ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any

from nicegui import events, ui

from hms import context as app_context
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AppointmentFilter, AppointmentSort
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.scheduling import CancelIn
from hms.domain.validation import parse
from hms.i18n import N_, _, ngettext, pgettext
from hms.services import appointments, availability, departments, doctors, patients
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.views import AppointmentView, Page, SlotView

from ..components.clinic_day import MARK_OVERBOOKED, MARK_WALK_IN
from ..components.dialogs import ConfirmDialog
from ..components.exports import export_panel
from ..components.sections import section
from ..components.slots import SlotPicker
from ..components.tables import PagedTable, Paging, Sort, column, columns, sortable
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting, attempt
from ..ui.address import Address
from ..ui.frame import frame
from ..ui.services import call
from .filters import date_filter, period

PATH = '/admin/appointments'
PAGE_SIZE = 25
NEWEST_FIRST = Sort(AppointmentSort.WHEN.value, descending=True)
DEFAULT = Paging(rows=PAGE_SIZE, sort=NEWEST_FIRST)
GONE = N_('This appointment is no longer listed; search again.')
COLUMNS = [  # the sortable columns' names are the service's sort keys (AppointmentSort)
    *sortable(
        ('when', N_('When')),
        ('doctor', N_('Doctor')),
        ('department', N_('Department')),
        ('patient', N_('Patient')),
        ('status', N_('Status')),
    ),
    *columns(('reason', N_('Reason'))),
    column('actions', N_('Actions'), align='right', field='id', sticky=True),
]
ACTIONS_SLOT = r"""
<q-td :props="props" auto-width>
  <template v-if="props.row.booked">
    <q-btn flat dense no-caps color="primary" icon="schedule" label="{reschedule}"
           @click="() => $parent.$emit('reschedule', props.row)" />
    <q-btn flat dense no-caps color="negative" icon="event_busy" label="{cancel}"
           @click="() => $parent.$emit('cancel', props.row)" />
  </template>
</q-td>
"""


def _actions_slot() -> str:
    """A booked appointment's Reschedule and Cancel buttons, labelled in the page's language."""
    return ACTIONS_SLOT.format(reschedule=escape(_('Reschedule')), cancel=escape(pgettext('appointment', 'Cancel')))


@dataclass(frozen=True)
class _Criteria:
    """What the filters ask for, before the patient text is resolved to one patient."""

    first: date | None = None
    last: date | None = None
    doctor_id: int | None = None
    department_id: int | None = None
    patient: str = ''
    status: str | None = None

    @classmethod
    def read(cls, address: Address, choices: tuple[dict[int, str], dict[int, str]]) -> _Criteria:
        """The filters the address asks for, e.g. ?from=2026-12-01&to=2026-12-31&status=booked&doctor=3&patient=Ada
        (a doctor or department that is not among the choices, an unknown status or a date that is no date is left
        out and named in the notice)."""
        first, last = address.day('from'), address.day('to')
        if first and last and last < first:
            address.unreadable.append('to')
            last = None
        return cls(
            first=first,
            last=last,
            doctor_id=address.number('doctor', allowed=choices[0]),
            department_id=address.number('department', allowed=choices[1]),
            patient=address.text('patient'),
            status=address.choice('status', [status.value for status in AppointmentStatus]),
        )

    def written(self) -> dict[str, object]:
        """The filters as the address keeps them."""
        return {
            'from': self.first,
            'to': self.last,
            'status': self.status,
            'doctor': self.doctor_id,
            'department': self.department_id,
            'patient': self.patient,
        }


@dataclass(frozen=True)
class _Result:
    page: Page[AppointmentView]
    patient_problem: str = ''


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def appointments_page(principal: Principal) -> None:
        choices = await call(_choices)
        address = Address()
        criteria, paging = _Criteria.read(address, choices), Paging.read(address, list(AppointmentSort), DEFAULT)
        first = await call(_find, principal, criteria, paging.offset, paging.rows, **_order_of(paging.sort))
        with frame(principal, N_('Appointments'), current_path=PATH):
            _AppointmentsPanel(choices, first, criteria, paging)
            address.tell()
            await export_panel(principal, [ExportKind.APPOINTMENTS], title=_('Export appointments'))


def _choices(uow: UnitOfWork, settings: Settings) -> tuple[dict[int, str], dict[int, str]]:
    """The doctors (deactivated ones too) and departments to filter by."""
    found = doctors.search_doctors(uow, settings, include_inactive=True)
    listed = departments.list_departments(uow)
    doctor_options = {d.id: d.name if d.is_active else _('{name} (deactivated)', name=d.name) for d in found}
    return doctor_options, {d.id: d.name for d in listed}


def _find(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    criteria: _Criteria,
    offset: int,
    limit: int,
    *,
    newest_first: bool,
    sort: str = AppointmentSort.WHEN,
) -> _Result:
    zone = settings.zone
    patient_id = None
    text = criteria.patient.strip()
    if text.isdecimal() and len(text) < 19:
        patient_id = int(text)
    elif text:
        matches = patients.search_patients(uow, actor, text, limit=5)
        if matches.total != 1:
            empty: Page[AppointmentView] = Page(items=[], total=0, limit=limit, offset=0)
            return _Result(empty, _patient_problem(text, matches))
        patient_id = matches.items[0].id
    after_last = criteria.last + timedelta(days=1) if criteria.last else None
    found = AppointmentFilter(
        start_from=datetime.combine(criteria.first, time(), tzinfo=zone) if criteria.first else None,
        start_to=datetime.combine(after_last, time(), tzinfo=zone) if after_last else None,
        doctor_id=criteria.doctor_id,
        department_id=criteria.department_id,
        patient_id=patient_id,
        statuses=(AppointmentStatus(criteria.status),) if criteria.status else (),
    )
    page = appointments.search(uow, actor, found, limit=limit, offset=offset, newest_first=newest_first, sort=sort)
    return _Result(page)


def _patient_problem(text: str, matches: Page[Any]) -> str:
    if not matches.total:
        return _('No patient matches "{text}".', text=text)
    named = ', '.join(_('{name} (ID {id})', name=p.name, id=p.id) for p in matches.items)
    more = ', …' if matches.total > len(matches.items) else ''
    return ngettext(
        '{n} patient matches: {names}. Type more of the name, or the patient ID.',
        '{n} patients match: {names}. Type more of the name, or the patient ID.',
        matches.total,
        names=named + more,
    )


def _order_of(sort: Sort) -> dict[str, Any]:
    """The search's order for the table's: sorting switched off is the newest first."""
    if not sort.by:
        sort = NEWEST_FIRST
    return {'sort': sort.by, 'newest_first': sort.descending}


def _order(sort: Sort) -> str:
    if sort.by not in (None, AppointmentSort.WHEN):
        return ''  # the column header shows the order
    return _('oldest first') if sort.by == 'when' and not sort.descending else _('newest first')


def _describe(appointment: AppointmentView) -> str:
    return _(
        '{patient} with {doctor} ({department}) on {when}.',
        patient=appointment.patient_name,
        doctor=appointment.doctor_name,
        department=appointment.department_name,
        when=formats.moment(appointment.start),
    )


def _markers(appointment: AppointmentView) -> list[str]:
    """The front desk's walk-ins and double-bookings, said in words beside the status as on the doctor's day."""
    return [
        _(label)
        for marked, label in ((appointment.walk_in, MARK_WALK_IN), (appointment.overbooked, MARK_OVERBOOKED))
        if marked
    ]


def _row(appointment: AppointmentView) -> dict[str, Any]:
    return {
        'id': appointment.id,
        'when': formats.moment(appointment.start),
        'doctor': appointment.doctor_name,
        'department': appointment.department_name,
        'patient': appointment.patient_name,
        'status': ' · '.join([_(theme.STATUS_LABELS[appointment.status.value]), *_markers(appointment)]),
        'reason': appointment.reason or '-',
        'booked': appointment.status is AppointmentStatus.BOOKED,
    }


class _AppointmentsPanel:
    """Filters, the appointments a page at a time, and the cancel and reschedule dialogs."""

    def __init__(
        self, choices: tuple[dict[int, str], dict[int, str]], first: _Result, asked: _Criteria, paging: Paging
    ) -> None:
        doctor_options, department_options = choices  # the values given from the address read nothing again
        with section(marker='appointment-filters'):
            ui.label(
                _('Dates are in the clinic time zone ({zone}).', zone=app_context.get().settings.timezone)
            ).classes(theme.SUBTLE)
            with ui.row().classes('w-full items-start gap-3'):
                self.first = date_filter(_('From date'), self.search, value=asked.first)
                self.last = date_filter(_('To date'), self.search, value=asked.last)
                statuses = {value: _(label) for value, label in theme.STATUS_LABELS.items()}
                self.status = ui.select(
                    statuses, label=_('Status'), value=asked.status, clearable=True, on_change=self.search
                )
                self.status.props('outlined dense').classes('min-w-[10rem]')
            with ui.row().classes('w-full items-start gap-3'):
                self.doctor = ui.select(
                    doctor_options, label=_('Doctor'), value=asked.doctor_id, clearable=True, on_change=self.search
                )
                self.doctor.props('outlined dense').classes('min-w-[12rem]')
                self.department = ui.select(
                    department_options,
                    label=_('Department'),
                    value=asked.department_id,
                    clearable=True,
                    on_change=self.search,
                )
                self.department.props('outlined dense').classes('min-w-[12rem]')
                self.patient = ui.input(_('Patient (name or ID)'), value=asked.patient, on_change=self.search)
                self.patient.props('outlined dense clearable debounce=300').classes('min-w-[14rem] flex-1')
        self.table = PagedTable(
            'appointments',
            COLUMNS,
            self._load,
            _row,
            first=first.page,
            empty=_('No appointment matches these filters. Widen the dates or clear a filter.'),
            sort=paging.sort,
            order=_order,
        )
        self.patient.error = first.patient_problem or None
        self.shown = asked  # the filters of the list on show, for the address
        self.table.keep_in_address(PATH, self._written, DEFAULT)
        self.table.add_slot('body-cell-actions', _actions_slot())
        self.table.on('cancel', self.open_cancel)
        self.table.on('reschedule', self.open_reschedule)

    def criteria(self) -> _Criteria | None:
        """The filters as typed, or None (with the errors shown next to the fields) when a date is unreadable."""
        self.patient.error = None
        days = period(self.first, self.last)
        if days is None:
            return None
        return _Criteria(
            first=days[0],
            last=days[1],
            doctor_id=self.doctor.value,
            department_id=self.department.value,
            patient=(self.patient.value or '').strip(),
            status=self.status.value,
        )

    def _written(self) -> dict[str, object]:
        return self.shown.written()

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[AppointmentView] | None:
        criteria = self.criteria()
        actor = await acting(PATH)
        if criteria is None or actor is None:
            return None
        result = await call(_find, actor, criteria, offset, limit, **_order_of(sort))
        self.shown = criteria
        self.patient.error = result.patient_problem or None
        return result.page

    async def search(self) -> None:
        await self.table.reload()

    def open_cancel(self, event: events.GenericEventArguments) -> None:
        appointment = self.table.picked(event, _(GONE))
        if appointment is None:
            return
        dialog = ConfirmDialog(
            _('Cancel appointment'), _('Cancel appointment'), dismiss=_('Keep appointment'), color='negative'
        )
        with dialog:
            ui.label(_describe(appointment))
            ui.label(_('The patient is notified with your reason, and the time becomes free for others.')).classes(
                theme.SUBTLE
            )
            dialog.banner()
            fields: dict[str, ui.input | ui.select] = {
                'reason': ui.textarea(_('Reason (the patient sees it)'))
                .props('outlined autogrow maxlength=500 autofocus')
                .classes('w-full')
                .mark('cancel-reason')
            }

        async def cancel() -> AppointmentView | None:
            typed = {'reason': (fields['reason'].value or '').strip()}
            return await dialog.attempt(
                lambda actor: call(appointments.cancel, actor, appointment.id, parse(CancelIn, typed).reason),
                path=PATH,
                fields=fields,
                required=('reason',),
                required_message=_('A reason is required.'),
            )

        async def cancelled(_cancelled: AppointmentView) -> None:
            ui.notify(_('Appointment cancelled; the patient is notified.'), type='positive')
            await self.table.refresh()

        dialog.ask(cancel, then=cancelled)

    async def open_reschedule(self, event: events.GenericEventArguments) -> None:
        appointment = self.table.picked(event, _(GONE))
        if appointment is None:
            return
        slots = await attempt(lambda _actor: call(availability.free_slots, appointment.doctor_id), path=PATH)
        if slots is None:
            return
        chosen: dict[str, datetime] = {}
        dialog = ConfirmDialog(_('Reschedule appointment'), _('Move appointment'), dismiss=_('Keep the time'))
        with dialog:
            ui.label(_describe(appointment))
            dialog.banner()
            if not slots:
                ui.label(_('{doctor} has no free time in the booking period.', doctor=appointment.doctor_name)).classes(
                    theme.INFO_BANNER
                )
            choice = ui.label(_('Choose a new time below.')).classes('font-medium').mark('new-time')

            def pick(slot: SlotView) -> None:
                chosen['start'] = slot.start
                choice.text = _('New time: {when}', when=formats.moment(slot.start))
                dialog.confirm_button.enable()

            with ui.column().classes('w-full gap-2 max-h-[50vh] overflow-auto'):
                SlotPicker(slots, pick, empty='')
        dialog.confirm_button.disable()

        async def move() -> AppointmentView | None:
            if 'start' not in chosen:
                return None
            return await dialog.attempt(
                lambda actor: call(appointments.reschedule, actor, appointment.id, chosen['start']), path=PATH
            )

        moved = await dialog.ask(move)
        if moved is not None:
            when = formats.moment(moved.start)
            ui.notify(_('Appointment moved to {when}; the patient is notified.', when=when), type='positive')
            await self.table.refresh()
