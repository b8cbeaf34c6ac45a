"""The front desk's patients: find the person in front of the desk (contact details and links, a page at a time),
register a new patient (a possible duplicate is shown first: open the existing record, or register anyway), and one
patient's contact details with their upcoming and past appointments. Never clinical content."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from hms import clock
from hms import context as app_context
from hms.domain.desk import DeskPatientIn
from hms.domain.enums import Role
from hms.domain.errors import DomainError
from hms.domain.validation import parse
from hms.i18n import N_, _
from hms.services import desk_patients
from hms.services.desk_patients import DeskPatient, DeskPatientDetail, PossibleDuplicate
from hms.services.principal import Principal
from hms.services.views import AppointmentView, Page, PatientView

from ..components import forms
from ..components.dialogs import ConfirmDialog
from ..components.sections import facts, heading, section
from ..components.tables import PagedTable, Paging, SearchBox, Sort, column, columns, translated
from ..ui import dates, formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.address import Address
from ..ui.frame import frame
from ..ui.services import call, find

PATH = '/reception/patients'
BOOK_PATH = '/reception/book'  # booking on a patient's behalf (the clinic day's page): ?patient={id}
PAGE_SIZE = 10
DEFAULT = Paging(rows=PAGE_SIZE)
FRONT_DESK = (Role.RECEPTION, Role.ADMIN)
COLUMNS = [
    *columns(
        ('name', N_('Name')),
        ('born', N_('Date of birth')),
        ('phone', N_('Phone')),
        ('email', N_('Email')),
    ),
    column('actions', N_('Actions'), align='right', field='id', sticky=True),
]
NAME_SLOT = r"""
<q-td :props="props">
  <a :href="'/reception/patients/' + props.row.id" class="text-primary font-medium">{{ props.value }}</a>
</q-td>
"""
ACTIONS_SLOT = r"""
<q-td :props="props" auto-width>
  <a :href="'/reception/book?patient=' + props.row.id" class="text-primary font-medium"
     :aria-label="props.row.book_label">{book}</a>
</q-td>
"""
APPOINTMENT_COLUMNS = columns(
    ('when', N_('When')),
    ('doctor', N_('Doctor')),
    ('department', N_('Department')),
    ('status', N_('Status')),
    ('reason', N_('Reason for visit')),
)


def create() -> None:
    @role_page(PATH, *FRONT_DESK)
    async def desk_patients_page(principal: Principal) -> None:
        address = Address()
        text = address.text('q', max_length=120)
        paging = Paging.read(address, [], DEFAULT)
        listed = await call(desk_patients.search, principal, text, limit=paging.rows, offset=paging.offset)
        with frame(principal, N_('Patients'), current_path=PATH):
            with section(_('Find a patient'), marker='find-patient'):
                _PatientSearch(listed, text)
            with section(_('Register a patient'), marker='register-patient'):
                _RegistrationForm()
            address.tell()

    @role_page(PATH + '/{patient_id}', *FRONT_DESK)
    async def desk_patient_page(principal: Principal, patient_id: str) -> None:
        found = await find(patient_id, lambda number: call(desk_patients.patient_detail, principal, number))
        with frame(principal, found.patient.name if found else N_('No such patient'), current_path=PATH):
            ui.link(_('Back to the patients'), PATH)
            if found is None:
                ui.label(_('No such patient: there is no patient with the ID "{id}".', id=patient_id)).classes(
                    theme.ERROR_BANNER
                ).mark('no-such-patient')
                return
            _patient(found)


# --- Finding a patient ----------------------------------------------------------------------------------------------


def _row(patient: PatientView) -> dict[str, Any]:
    return {
        'id': patient.id,
        'name': patient.name,
        'born': formats.date_only(patient.date_of_birth),
        'phone': patient.phone,
        'email': patient.email or '–',
        'book_label': _('Book an appointment for {name}', name=patient.name),
    }


class _PatientSearch:
    def __init__(self, listed: Page[PatientView], text: str) -> None:
        self.text = SearchBox(
            _('Name, patient ID, phone or email'),
            self.search,
            value=text,
            hint=_('Part of a name, the ID, some digits of the phone number or the email address.'),
        )
        self.text.classes('w-full max-w-xl').mark('patient-search')
        empty = self.text.empty(
            _('No patient matches this search. Check the spelling, or register the patient below.'),
            _('No patients yet. Register the first one below.'),
        )
        self.table = PagedTable(
            'desk-patients', COLUMNS, self._load, _row, first=listed, empty=empty, rows_per_page=PAGE_SIZE
        )
        self.table.add_slot('body-cell-name', NAME_SLOT)
        self.table.add_slot('body-cell-actions', ACTIONS_SLOT.replace('{book}', _('Book')))
        self.table.keep_in_address(PATH, lambda: {'q': self.text.query}, DEFAULT)

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[PatientView] | None:
        actor = await acting(PATH)
        if actor is None:
            return None
        return await call(desk_patients.search, actor, self.text.query, limit=limit, offset=offset)

    async def search(self) -> None:
        await self.table.reload()


# --- Registering a patient --------------------------------------------------------------------------------------------


class _RegistrationForm:
    """Name, date of birth, phone, and optionally email, gender, address; a possible duplicate is shown before anyone
    is created twice."""

    def __init__(self) -> None:
        ui.label(
            _(
                'With an email address the patient is sent a link to choose a password and use their account online; '
                'without one they are registered for visits only.'
            )
        ).classes(theme.SUBTLE)
        self.error = forms.banner()
        fields: dict[str, ui.input | ui.select] = {}
        fields['name'] = ui.input(_('Full name')).props('outlined maxlength=120 autocomplete=off')
        fields['dob'] = dates.date_input(_('Date of birth'), last=clock.now().date(), years_first=True).props(
            'outlined'
        )
        fields['phone'] = ui.input(_('Phone')).props('outlined type=tel autocomplete=off')
        fields['email'] = ui.input(_('Email (optional)')).props('outlined type=email autocomplete=off')
        fields['gender'] = ui.select(theme.gender_options(), label=_('Gender (optional)'), clearable=True).props(
            'outlined'
        )
        fields['address'] = ui.input(_('Address (optional)')).props('outlined maxlength=300 autocomplete=off')
        for element in fields.values():
            element.classes('w-full max-w-xl')
        self.fields = fields
        self.button = ui.button(_('Register patient'), icon='person_add', on_click=self.submit).props('no-caps')
        self.button.mark('register-patient-button')

    def _data(self) -> dict[str, Any] | None:
        data = {name: value for name, value in forms.stripped(self.fields).items() if value not in (None, '')}
        if forms.missing(self.fields, data, ('name', 'dob', 'phone')):
            return None
        try:
            dates.parse(data.get('dob'))
        except ValueError as wrong:  # said in the words of the field's format, not the schema's
            self.fields['dob'].error = str(wrong)
            return None
        data['dob'] = dates.iso(data['dob'])
        return data

    async def submit(self, confirm_new: bool = False) -> None:
        self.error.text = ''
        data = self._data()
        if data is None:
            return
        actor = await acting(PATH)
        if actor is None:
            return
        self.button.props('loading')
        try:
            command = parse(DeskPatientIn, {**data, 'confirm_new': confirm_new})
            created: DeskPatient = await call(desk_patients.register, actor, command, tasks=app_context.get().tasks)
        except PossibleDuplicate as duplicate:
            await self._maybe_the_same(duplicate)
            return
        except DomainError as failure:
            forms.show_error(failure, self.error, self.fields)
            return
        finally:
            self.button.props(remove='loading')
        name = created.patient.name
        if created.welcome_sent:
            told = _('{name} is registered; a link to choose a password is on its way to their email.', name=name)
        else:
            told = _('{name} is registered, without an email address: they cannot sign in online.', name=name)
        ui.notify(told, type='positive')
        ui.navigate.to(f'{PATH}/{created.patient.id}')

    async def _maybe_the_same(self, duplicate: PossibleDuplicate) -> None:
        dialog = ConfirmDialog(
            _('This may be the same person'),
            _('Register anyway'),
            dismiss=_('Go back'),
            marker='possible-duplicate',
            confirm_marker='register-anyway',
        )
        with dialog:
            ui.label(duplicate.message)
            with ui.column().classes('w-full gap-2').mark('duplicates'):
                for patient in duplicate.duplicates:
                    with ui.row().classes('w-full items-center gap-3'):
                        link = ui.link(_('Open {name}', name=patient.name), f'{PATH}/{patient.id}')
                        link.mark(f'open-duplicate-{patient.id}')
                        ui.label(
                            _(
                                'ID {id}, born {born}, phone {phone}',
                                id=patient.id,
                                born=formats.date_only(patient.date_of_birth),
                                phone=patient.phone,
                            )
                        ).classes(theme.SUBTLE)
        if await dialog.choice():
            await self.submit(confirm_new=True)


# --- One patient ------------------------------------------------------------------------------------------------------


def _patient(found: DeskPatientDetail) -> None:
    patient = found.patient
    with section(_('Contact details'), marker='desk-patient-contact'):
        facts(
            [
                (_('Patient ID'), str(patient.id)),
                (_('Date of birth'), formats.date_only(patient.date_of_birth)),
                (_('Phone'), patient.phone),
                (_('Email'), patient.email or _('none (cannot sign in)')),
                (_('Address'), patient.address or '–'),
                (_('Emergency contact'), patient.emergency_contact or '–'),
                (_('Account'), _('Active') if patient.is_active else _('Blacklisted')),
            ]
        )
    with section(_('Book for this patient'), marker='book-for-patient'):
        ui.label(
            _(
                "Book, move or cancel an appointment on the patient's behalf, or add them to a doctor's day as a "
                'walk-in.'
            )
        ).classes(theme.SUBTLE)
        book = ui.link(_('Book an appointment for {name}', name=patient.name), f'{BOOK_PATH}?patient={patient.id}')
        book.classes('text-primary font-medium').mark('book-link')
    _appointments(_('Upcoming appointments'), found.upcoming, 'upcoming-appointments', _('No upcoming appointments.'))
    _appointments(_('Past appointments'), found.past, 'past-appointments', _('No past appointments.'))


def _appointments(title: str, appointments: list[AppointmentView], marker: str, none: str) -> None:
    with section(marker=marker):
        heading(title)
        if not appointments:
            ui.label(none).classes(theme.SUBTLE)
            return
        rows = [
            {
                'id': a.id,
                'when': formats.moment(a.start),
                'doctor': a.doctor_name,
                'department': a.department_name,
                'status': theme.status_label(a.status),
                'reason': a.reason or '–',
            }
            for a in appointments
        ]
        table = ui.table(columns=translated(APPOINTMENT_COLUMNS), rows=rows, row_key='id', pagination=10).classes(
            'w-full'
        )
        table.props('flat dense').mark(f'{marker}-table')
