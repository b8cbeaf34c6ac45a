"""The administrator's doctors: search, add (with a one-time password), edit, deactivate and reactivate; one doctor's
profile, schedule (day or week) and recent activity, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from nicegui import events, ui

from hms import clock
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.criteria import DoctorSort
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.scheduling import DoctorIn, DoctorPatch
from hms.domain.validation import parse
from hms.i18n import N_, _, ngettext
from hms.services import departments, doctors, records, week
from hms.services.doctors import NewDoctor
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.records import DoctorSchedule
from hms.services.views import DoctorView, Page
from hms.services.week import WeekView

from ..components import forms, staff
from ..components.dialogs import Answer, ConfirmDialog
from ..components.exports import export_panel
from ..components.schedule import ScheduleView
from ..components.sections import facts, heading, section
from ..components.tables import PagedTable, Paging, SearchBox, Sort, column, columns, sortable, translated
from ..components.week_grid import WeekGrid
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.address import Address
from ..ui.frame import frame
from ..ui.services import call, find

PATH = '/admin/doctors'
NAME_SLOT = r"""
<q-td :props="props">
  <a :href="'/admin/doctors/' + props.row.id" class="text-primary font-medium">{{ props.value }}</a>
</q-td>
"""
CLEARABLE = ('qualifications', 'bio')  # may be emptied when editing
RECENT_DAYS = 7
GONE = N_('This doctor is no longer listed; search again.')
PAGE_SIZE = 25
DEFAULT = Paging(rows=PAGE_SIZE, sort=Sort(DoctorSort.NAME.value))
COLUMNS = [  # the sortable columns' names are the service's sort keys (DoctorSort)
    *sortable(('name', N_('Name')), ('department', N_('Department'))),
    column('experience', N_('Experience'), align='right', sortable=True),
    column('minutes', N_('Consultation'), align='right', sortable=True),
    *sortable(('status', N_('Status'))),
    column('actions', N_('Actions'), align='right', field='id', sticky=True),
]


ACTIVITY_COLUMNS = columns(
    ('when', N_('When')), ('patient', N_('Patient')), ('status', N_('Status')), ('reason', N_('Reason for visit'))
)


@dataclass(frozen=True)
class _DoctorPage:
    doctor: DoctorView
    today: DoctorSchedule
    recent: DoctorSchedule
    week: WeekView


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def doctors_page(principal: Principal) -> None:
        address = Address()
        text, inactive = address.text('q'), address.flag('inactive')
        paging = Paging.read(address, list(DoctorSort), DEFAULT)
        listed = await call(
            doctors.browse_doctors,
            principal,
            text,
            include_inactive=inactive,
            **_reading(paging.offset, paging.rows, paging.sort),
        )
        with frame(principal, N_('Doctors'), current_path=PATH):
            _DoctorsPanel(listed, text, inactive, paging)
            address.tell()
            await export_panel(principal, [ExportKind.DOCTORS], title=_('Export doctors'))

    @role_page(PATH + '/{doctor_id}', Role.ADMIN)
    async def doctor_page(principal: Principal, doctor_id: str) -> None:
        found = await find(doctor_id, lambda number: call(_doctor_page, principal, number))
        with frame(principal, found.doctor.name if found else N_('No such doctor'), current_path=PATH):
            ui.link(_('Back to the doctors'), PATH)
            if found is None:
                ui.label(_('No such doctor: there is no doctor with the ID "{id}".', id=doctor_id)).classes(
                    theme.ERROR_BANNER
                ).mark('no-such-doctor')
                return
            _doctor_profile(found.doctor)
            ScheduleView(
                found.today,
                lambda days: _load_schedule(found.doctor.id, days),
                visit_links=False,
                empty_hint=_('The doctor sets their own availability.'),
            )
            WeekGrid(found.week, lambda day: _load_week(found.doctor.id, day), open_path=lambda _a: None)
            _recent_activity(found.recent)


def _doctor_page(uow: UnitOfWork, settings: Settings, actor: Principal, doctor_id: int) -> _DoctorPage:
    today = clock.now().astimezone(settings.zone).date()
    doctor = doctors.get_doctor(uow, doctor_id, include_inactive=True)
    schedule = records.doctor_schedule(uow, settings, actor, days=1, doctor_id=doctor_id)
    first = today - timedelta(days=RECENT_DAYS)
    recent = records.doctor_schedule(uow, settings, actor, first=first, days=RECENT_DAYS, doctor_id=doctor_id)
    shown = week.doctor_week(uow, settings, actor, doctor_id=doctor_id)
    return _DoctorPage(doctor=doctor, today=schedule, recent=recent, week=shown)


async def _load_schedule(doctor_id: int, days: int) -> DoctorSchedule | None:
    actor = await acting(f'{PATH}/{doctor_id}')
    if actor is None:
        return None
    return await call(records.doctor_schedule, actor, days=days, doctor_id=doctor_id)


async def _load_week(doctor_id: int, day: date) -> WeekView | None:
    actor = await acting(f'{PATH}/{doctor_id}')
    if actor is None:
        return None
    return await call(week.doctor_week, actor, first=day, doctor_id=doctor_id)


async def _department_options() -> dict[int, str]:
    return {department.id: department.name for department in await call(departments.list_departments)}


def _impact_text(count: int) -> str:
    if count == 0:
        return _('No upcoming appointments are affected.')
    return ngettext(
        '{n} upcoming appointment will be cancelled and the patient notified.',
        '{n} upcoming appointments will be cancelled and each patient notified.',
        count,
    )


def _status(doctor: DoctorView) -> str:
    return _('Active') if doctor.is_active else _('Deactivated')


def _row(doctor: DoctorView) -> dict[str, Any]:
    return {
        'id': doctor.id,
        'name': doctor.name,
        'email': doctor.email,
        'department': doctor.department_name,
        'experience': ngettext('{n} yr', '{n} yr', doctor.experience_years),
        'minutes': _('{minutes} min', minutes=doctor.consultation_minutes),
        'status': _status(doctor),
        'active': doctor.is_active,
    }


def _reading(offset: int, limit: int, sort: Sort) -> dict[str, Any]:
    """The service's arguments for a page of the list (sorting switched off: by name)."""
    return {'limit': limit, 'offset': offset, 'sort': sort.by or DEFAULT.sort.by, 'descending': sort.descending}


class _DoctorsPanel:
    """Search, table (a page at a time, kept in the address: ?q=text&inactive=1&page=2) and the dialogs that change
    doctors."""

    def __init__(self, listed: Page[DoctorView], text: str, inactive: bool, paging: Paging) -> None:
        with ui.row().classes('w-full items-end gap-3'):
            self.text = SearchBox(_('Search by name or department'), self.search, dense=True, value=text)
            self.text.classes('min-w-[16rem] flex-1').mark('doctor-search')
            self.inactive = ui.switch(_('Include deactivated'), value=inactive, on_change=self.search)
            self.inactive.mark('include-inactive')
            ui.button(_('Add doctor'), icon='person_add', on_click=self.open_add).mark('add-doctor')
        empty = self.text.empty(
            _('No doctor matches this search. Try part of a name or a department.'),
            _('No doctors yet. Add the first one with "Add doctor" (create a department first).'),
        )
        self.table = PagedTable('doctors', COLUMNS, self._load, _row, first=listed, empty=empty, sort=paging.sort)
        self.table.add_slot('body-cell-name', NAME_SLOT)
        self.table.add_slot('body-cell-actions', staff.actions_slot())
        self.table.on('edit', self.open_edit)
        self.table.on('deactivate', self.open_deactivate)
        self.table.on('reactivate', self.reactivate)
        self.table.keep_in_address(PATH, lambda: {'q': self.text.query, 'inactive': bool(self.inactive.value)}, DEFAULT)

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[DoctorView] | None:
        actor = await acting(PATH)
        if actor is None:
            return None
        include_inactive = bool(self.inactive.value)
        reading = _reading(offset, limit, sort)
        return await call(doctors.browse_doctors, actor, self.text.query, include_inactive=include_inactive, **reading)

    async def search(self) -> None:
        await self.table.reload()

    async def reload(self) -> None:
        """The page on show, read again after a change to one of its doctors."""
        await self.table.refresh()

    async def open_add(self) -> None:
        options = await _department_options()
        if not options:
            dialog = ConfirmDialog(_('Add doctor'), _('Go to departments'), dismiss=_('Close'))
            with dialog:
                ui.label(_('There are no departments yet. Every doctor belongs to one: add a department first.'))
            if await dialog.choice():
                ui.navigate.to('/admin/departments')
            return
        await self._form(None, options)

    async def open_edit(self, event: events.GenericEventArguments) -> None:
        doctor = self.table.picked(event, _(GONE))
        if doctor is not None:
            await self._form(doctor, await _department_options())

    async def _form(self, doctor: DoctorView | None, options: dict[int, str]) -> None:
        """Add a doctor (``doctor`` None: they get a one-time password, shown once) or change one."""
        if doctor is None:
            dialog = ConfirmDialog(_('Add doctor'), _('Add doctor'))
        else:
            dialog = ConfirmDialog(_('Edit {name}', name=doctor.name), _('Save changes'))
        with dialog:
            if doctor is None:
                ui.label(
                    _(
                        'The doctor gets a one-time password, shown to you once after saving; they choose their own '
                        'at first sign-in.'
                    )
                ).classes(theme.SUBTLE)
            dialog.banner()
            fields = _doctor_fields(options, doctor)

        async def add(actor: Principal) -> NewDoctor:
            return await call(doctors.add_doctor, actor, parse(DoctorIn, _values(fields)))

        async def change(actor: Principal) -> NewDoctor | DoctorView:
            assert doctor is not None
            patch = parse(DoctorPatch, _values(fields, clearable=CLEARABLE))
            return await call(doctors.update_doctor, actor, doctor.id, patch)

        async def save() -> NewDoctor | DoctorView | None:
            if doctor is None:
                return await dialog.attempt(add, path=PATH, fields=fields)
            values = _values(fields, clearable=CLEARABLE)
            required = ('name', 'email', 'department_id')
            return await dialog.attempt(change, path=PATH, fields=fields, required=required, values=values)

        saved: Answer[NewDoctor | DoctorView] = dialog.ask(save)
        done = await saved
        if isinstance(done, NewDoctor):
            ui.notify(_('{name} added.', name=done.doctor.name), type='positive')
            _show_initial_password(done)
        elif done is not None:
            ui.notify(_('{name} saved.', name=done.name), type='positive')
        if done is not None:
            await self.reload()

    async def open_deactivate(self, event: events.GenericEventArguments) -> None:
        doctor = self.table.picked(event, _(GONE))
        if doctor is None:
            return
        impact = await forms.attempt(lambda actor: call(doctors.deactivation_impact, actor, doctor.id), path=PATH)
        if impact is None:
            return
        dialog = ConfirmDialog(_('Deactivate {name}?', name=doctor.name), _('Deactivate doctor'), color='negative')
        with dialog:
            ui.label(
                _(
                    '{name} will be signed out at once, can no longer sign in, and is no longer offered to patients '
                    'for booking. You can reactivate the account later.',
                    name=doctor.name,
                )
            )
            ui.label(_impact_text(impact)).classes('font-medium').mark('deactivation-impact')
            keep = ui.checkbox(_('Keep the upcoming appointments (the patients are not told)'), value=False)
            keep.set_visibility(impact > 0)
            dialog.banner()

        async def deactivate(current: Principal) -> int:
            return await call(doctors.set_active, current, doctor.id, active=False, cancel_upcoming=not keep.value)

        cancelled = await dialog.ask(lambda: dialog.attempt(deactivate, path=PATH))
        if cancelled is not None:
            if cancelled:
                done = ngettext(
                    '{name} deactivated. {n} appointment cancelled; patients notified.',
                    '{name} deactivated. {n} appointments cancelled; patients notified.',
                    cancelled,
                    name=doctor.name,
                )
            else:
                done = _('{name} deactivated.', name=doctor.name)
            ui.notify(done, type='positive')
            await self.reload()

    async def reactivate(self, event: events.GenericEventArguments) -> None:
        doctor = self.table.picked(event, _(GONE))
        if doctor is None:
            return
        reactivated = await forms.attempt(
            lambda actor: call(doctors.set_active, actor, doctor.id, active=True, cancel_upcoming=False), path=PATH
        )
        if reactivated is not None:
            ui.notify(_('{name} reactivated and can sign in again.', name=doctor.name), type='positive')
            await self.reload()


def _doctor_profile(doctor: DoctorView) -> None:
    with section(_('Profile')):
        facts(
            [
                (_('Doctor ID'), str(doctor.id)),
                (_('Email'), doctor.email),
                (_('Department'), doctor.department_name),
                (_('Experience'), ngettext('{n} year', '{n} years', doctor.experience_years)),
                (_('Qualifications'), doctor.qualifications or '-'),
                (_('Consultation length'), ngettext('{n} minute', '{n} minutes', doctor.consultation_minutes)),
                (_('Status'), _status(doctor)),
                (_('Biography'), doctor.bio or '-'),
            ],
            marker='doctor-profile',
            wrap=True,
        )
        ui.label(_('Edit, deactivate or reactivate the doctor from the doctors table.')).classes(theme.SUBTLE)


def _recent_activity(recent: DoctorSchedule) -> None:
    """The appointments of the last days, newest first, with how each ended."""
    with section(marker='recent-activity'):
        heading(ngettext('Recent activity: the last {n} day', 'Recent activity: the last {n} days', RECENT_DAYS))
        counts = ngettext(
            '{n} appointment: {completed} completed, {no_show} no-show, {cancelled} cancelled.',
            '{n} appointments: {completed} completed, {no_show} no-show, {cancelled} cancelled.',
            len(recent.entries),
            completed=recent.count(AppointmentStatus.COMPLETED),
            no_show=recent.count(AppointmentStatus.NO_SHOW),
            cancelled=recent.count(AppointmentStatus.CANCELLED),
        )
        ui.label(counts).classes(theme.SUBTLE).mark('recent-counts')
        if not recent.entries:
            ui.label(_('No appointments in these days.')).classes(theme.SUBTLE)
            return
        rows = [
            {
                'id': entry.appointment.id,
                'when': formats.moment(entry.appointment.start),
                'patient': entry.appointment.patient_name,
                'status': _(theme.STATUS_LABELS[entry.appointment.status]),
                'reason': entry.appointment.reason or '-',
            }
            for entry in reversed(recent.entries)
        ]
        table = ui.table(columns=translated(ACTIVITY_COLUMNS), rows=rows, row_key='id', pagination=25).classes('w-full')
        table.props('flat dense').mark('doctor-activity')


def _doctor_fields(options: dict[int, str], doctor: DoctorView | None) -> dict[str, ui.input | ui.select]:
    fields: dict[str, ui.input | ui.select] = {
        'name': ui.input(_('Full name'), value=doctor.name if doctor else '').props('outlined maxlength=120'),
        'email': ui.input(_('Email'), value=doctor.email if doctor else '').props('outlined type=email'),
        'department_id': ui.select(
            options, label=_('Department'), value=doctor.department_id if doctor else None
        ).props('outlined'),
        'experience_years': ui.input(
            _('Years of experience'), value=str(doctor.experience_years) if doctor else '0'
        ).props('outlined type=number min=0 max=80'),
        'qualifications': ui.input(_('Qualifications'), value=doctor.qualifications if doctor else '').props(
            'outlined maxlength=500'
        ),
        'bio': ui.textarea(_('Short biography'), value=doctor.bio if doctor else '').props(
            'outlined autogrow maxlength=4000'
        ),
        'consultation_minutes': ui.input(
            _('Consultation length (minutes)'), value=str(doctor.consultation_minutes) if doctor else '20'
        ).props('outlined type=number min=5 max=240'),
    }
    hints = {
        'qualifications': _('e.g. MD, board-certified cardiologist'),
        'bio': _('Shown to patients choosing a doctor.'),
        'consultation_minutes': _('The length of each bookable slot, 5 to 240 minutes.'),
    }
    for name, element in fields.items():
        element.classes('w-full')
        if name in hints:
            element.props['hint'] = hints[name]
    return fields


def _values(fields: dict[str, ui.input | ui.select], *, clearable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The form's values for the command: text stripped, empty fields left out (required ones are then named)."""
    return {
        name: value
        for name, value in forms.stripped(fields).items()
        if value is not None and (value != '' or name in clearable)
    }


def _show_initial_password(new: NewDoctor) -> None:
    staff.show_initial_password(
        _('Doctor account created'),
        new.doctor.name,
        new.doctor.email or '',
        new.initial_password,
        _(
            'It is shown only this once: give it to the doctor now, in person or through a secure channel. '
            'The doctor must change it at first sign-in.'
        ),
    )
