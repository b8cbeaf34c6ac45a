"""The administrator's patients: search with pages, and one patient's details, appointments, contact, status and
history of visits (read-only)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from hms import clock
from hms.domain.criteria import PatientSort
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.scheduling import PatientContactPatch
from hms.domain.validation import parse
from hms.i18n import N_, _, ngettext
from hms.services import doctors, patients, records
from hms.services.exports import ExportKind
from hms.services.principal import Principal
from hms.services.views import AppointmentView, Page, PatientDetail, PatientView

from ..components import forms
from ..components.dialogs import ConfirmDialog
from ..components.exports import export_panel
from ..components.history import visit_history
from ..components.sections import Panel, facts, section
from ..components.tables import PagedTable, Paging, SearchBox, Sort, columns, sortable, translated
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.address import Address
from ..ui.frame import frame
from ..ui.services import call, find

PATH = '/admin/patients'
PAGE_SIZE = 25
NAME_SLOT = r"""
<q-td :props="props">
  <a :href="'/admin/patients/' + props.row.id" class="text-primary font-medium">{{ props.value }}</a>
</q-td>
"""
LIST_COLUMNS = [
    *sortable(('id', N_('Patient ID')), ('name', N_('Name')), ('email', N_('Email'))),
    *columns(('phone', N_('Phone'))),
    *sortable(('status', N_('Status'))),
]
DEFAULT = Paging(rows=PAGE_SIZE, sort=Sort(PatientSort.NAME.value))
APPOINTMENT_COLUMNS = columns(
    ('when', N_('When')),
    ('doctor', N_('Doctor')),
    ('department', N_('Department')),
    ('status', N_('Status')),
    ('reason', N_('Reason for visit')),
)


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def patients_page(principal: Principal) -> None:
        address = Address()
        text, paging = address.text('q'), Paging.read(address, list(PatientSort), DEFAULT)
        first = await call(
            patients.search_patients, principal, text, **_reading(paging.offset, paging.rows, paging.sort)
        )
        with frame(principal, N_('Patients'), current_path=PATH):
            _PatientList(first, text, paging)
            address.tell()
            await export_panel(principal, [ExportKind.PATIENTS], title=_('Export patients'))

    @role_page(PATH + '/{patient_id}', Role.ADMIN)
    async def patient_page(principal: Principal, patient_id: str) -> None:
        detail = await find(patient_id, lambda number: call(patients.patient_detail, principal, number))
        # The history view is audited: the patient sees it in the access log.
        history = await call(records.patient_history, principal, detail.patient.id) if detail else None
        with frame(principal, detail.patient.name if detail else N_('No such patient'), current_path=PATH):
            if detail is None:
                ui.label(_('No such patient: there is no patient with the ID "{id}".', id=patient_id)).classes(
                    theme.ERROR_BANNER
                ).mark('no-such-patient')
                ui.link(_('Back to the patient search'), PATH)
                return
            _PatientPanel(detail)
            if history is not None:
                visit_history(
                    history.visits,
                    private=True,
                    title=N_('History'),
                    empty=N_('No completed visits yet. A visit appears here once the doctor records it.'),
                    documents=True,
                )


def _status(patient: PatientView) -> str:
    return _('Active') if patient.is_active else _('Blacklisted')


def _list_row(patient: PatientView) -> dict[str, Any]:
    return {
        'id': patient.id,
        'name': patient.name,
        'email': patient.email or '',
        'phone': patient.phone,
        'status': _status(patient),
    }


class _PatientList:
    """The search box and the table of matching patients, a page at a time, kept in the address (?q=text&page=2)."""

    def __init__(self, first: Page[PatientView], text: str, paging: Paging) -> None:
        self.text = SearchBox(
            _('Search patients'), self.search, hint=_('Name, patient ID, email or phone; part is enough'), value=text
        )
        self.text.classes('w-full').mark('patient-search')
        empty = self.text.empty(
            _('No patient matches this search. Try part of the name, email or phone, or the patient ID.'),
            _('No patients yet. Patients create their own accounts at the registration page.'),
        )
        self.table = PagedTable(
            'patients', LIST_COLUMNS, self._load, _list_row, first=first, empty=empty, sort=paging.sort
        )
        self.table.add_slot('body-cell-name', NAME_SLOT)
        self.table.keep_in_address(PATH, lambda: {'q': self.text.query}, DEFAULT)

    async def search(self) -> None:
        await self.table.reload()

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[PatientView] | None:
        actor = await acting(PATH)
        if actor is None:
            return None
        return await call(patients.search_patients, actor, self.text.query, **_reading(offset, limit, sort))


def _reading(offset: int, limit: int, sort: Sort) -> dict[str, Any]:
    """The service's arguments for a page of the list."""
    by = sort.by or DEFAULT.sort.by
    return {'limit': limit, 'offset': offset, 'sort': by, 'descending': sort.descending}


class _PatientPanel(Panel[PatientDetail]):
    """One patient: summary, contact form, account status and appointments; drawn again after each change."""

    def __init__(self, detail: PatientDetail) -> None:
        self.patient_id = detail.patient.id
        super().__init__(f'{PATH}/{self.patient_id}', detail)

    async def read(self, actor: Principal) -> PatientDetail:
        return await call(patients.patient_detail, actor, self.patient_id)

    def draw(self, data: PatientDetail) -> None:
        _summary(data.patient)
        self._contact_form(data.patient)
        self._account(data)
        _appointments(data.appointments)

    def _contact_form(self, patient: PatientView) -> None:
        with section():
            ui.label(_('Contact details')).classes('text-lg font-medium')
            error = forms.banner()
            fields: dict[str, ui.input | ui.select] = {
                'name': ui.input(_('Full name'), value=patient.name).props('outlined maxlength=120'),
                'email': ui.input(_('Email'), value=patient.email or '').props('outlined type=email'),
                'phone': ui.input(_('Phone'), value=patient.phone).props('outlined type=tel'),
                'address': ui.input(_('Address'), value=patient.address).props('outlined maxlength=300'),
                'emergency_contact': ui.input(_('Emergency contact'), value=patient.emergency_contact or '').props(
                    'outlined maxlength=300'
                ),
            }
            fields['emergency_contact'].props['hint'] = _('Name and phone of someone to call; optional.')
            for element in fields.values():
                element.classes('w-full')

            async def save() -> None:
                data = {name: value or '' for name, value in forms.stripped(fields).items()}
                if not data['email'] and not patient.email:  # registered at the desk without one: may stay so
                    del data['email']
                saved = await forms.attempt(
                    lambda actor: call(
                        patients.update_contact, actor, self.patient_id, parse(PatientContactPatch, data)
                    ),
                    path=self.path,
                    banner=error,
                    fields=fields,
                    required=('name', 'email', 'phone') if patient.email else ('name', 'phone'),
                )
                if saved is not None:
                    await self.done(_('Contact details saved.'))

            ui.button(_('Save contact details'), on_click=save).props('no-caps').mark('save-contact')

    def _account(self, detail: PatientDetail) -> None:
        patient = detail.patient
        with section():
            ui.label(_('Account')).classes('text-lg font-medium')
            if patient.is_active:
                ui.label(_('The patient can sign in and book appointments.')).classes(theme.SUBTLE)
                upcoming = _upcoming(detail.appointments)
                ui.button(
                    _('Blacklist patient'), icon='block', on_click=lambda: self._open_blacklist(patient, upcoming)
                ).props('color=negative no-caps').mark('blacklist')
            else:
                if patient.blocked_reason:
                    blocked = _(
                        'Blacklisted: the patient cannot sign in. Reason: {reason}', reason=patient.blocked_reason
                    )
                else:
                    blocked = _('Blacklisted: the patient cannot sign in.')
                ui.label(blocked).classes(theme.ERROR_BANNER)
                ui.button(_('Reactivate patient'), icon='how_to_reg', on_click=self._reactivate).props(
                    'color=positive no-caps'
                ).mark('reactivate')

    def _open_blacklist(self, patient: PatientView, upcoming: int) -> None:
        dialog = ConfirmDialog(_('Blacklist {name}?', name=patient.name), _('Blacklist patient'), color='negative')
        with dialog:
            ui.label(
                _(
                    '{name} is signed out everywhere at once and can no longer sign in or book. '
                    'You can reactivate the account later.',
                    name=patient.name,
                )
            )
            if upcoming:
                ui.label(_upcoming_text(upcoming)).classes('font-medium')
            reason = (
                ui.input(_('Reason (kept in the record)'))
                .props('outlined maxlength=500 autofocus')
                .classes('w-full')
                .mark('blacklist-reason')
            )
            dialog.banner()

        async def blacklist() -> int | None:
            text = (reason.value or '').strip()
            reason.error = None if text else _('Give a reason for the record.')
            if not text:
                return None
            return await dialog.attempt(
                lambda actor: call(doctors.set_active, actor, patient.id, active=False, reason=text), path=self.path
            )

        async def blacklisted(cancelled: int) -> None:
            if cancelled:
                done = ngettext(
                    '{name} is blacklisted and signed out. {n} appointment cancelled.',
                    '{name} is blacklisted and signed out. {n} appointments cancelled.',
                    cancelled,
                    name=patient.name,
                )
            else:
                done = _('{name} is blacklisted and signed out.', name=patient.name)
            await self.done(done)

        dialog.ask(blacklist, then=blacklisted)

    async def _reactivate(self) -> None:
        reactivated = await forms.attempt(
            lambda actor: call(doctors.set_active, actor, self.patient_id, active=True, reason=''), path=self.path
        )
        if reactivated is not None:
            await self.done(_('The patient is reactivated and can sign in again.'))


def _upcoming_text(count: int) -> str:
    """What blacklisting does to the patient's upcoming appointments. The doctors' page has the same singular sentence
    with another plural ('each patient notified'), and a catalogue keeps one plural entry per singular: so the one
    appointment and the several are two sentences here (the languages offered use one form for every count above
    one)."""
    if count == 1:
        return _('1 upcoming appointment will be cancelled and the patient notified.')
    return _('{count} upcoming appointments will be cancelled and the patient notified.', count=count)


def _upcoming(appointments: list[AppointmentView]) -> int:
    now = clock.now()
    return sum(1 for a in appointments if a.status is AppointmentStatus.BOOKED and a.start > now)


def _summary(patient: PatientView) -> None:
    with section():
        facts(
            [
                (_('Patient ID'), str(patient.id)),
                (_('Email'), patient.email or _('none (cannot sign in)')),
                (_('Phone'), patient.phone),
                (_('Address'), patient.address or '-'),
                (_('Emergency contact'), patient.emergency_contact or '-'),
                (_('Date of birth'), formats.date_only(patient.date_of_birth)),
                (_('Gender'), _gender(patient)),
                (_('Status'), _status(patient)),
            ],
            marker='patient-summary',
        )


def _gender(patient: PatientView) -> str:
    label = theme.GENDER_LABELS.get(patient.gender.value)
    return _(label) if label else patient.gender.value


def _appointment_status(appointment: AppointmentView) -> str:
    status = _(theme.STATUS_LABELS[appointment.status])
    if appointment.cancel_reason:
        return _('{status}: {reason}', status=status, reason=appointment.cancel_reason)
    return status


def _appointments(appointments: list[AppointmentView]) -> None:
    with section():
        ui.label(_('Appointments')).classes('text-lg font-medium')
        if not appointments:
            ui.label(_('No appointments yet.')).classes(theme.SUBTLE)
            return
        rows = [
            {
                'id': a.id,
                'when': formats.moment(a.start),
                'doctor': a.doctor_name,
                'department': a.department_name,
                'reason': a.reason or '-',
                'status': _appointment_status(a),
            }
            for a in appointments
        ]
        table = ui.table(columns=translated(APPOINTMENT_COLUMNS), rows=rows, row_key='id', pagination=PAGE_SIZE)
        table.classes('w-full').props('flat dense').mark('patient-appointments')
