"""A patient's history, as the doctor's patient page, the patient's own visits page and the administrator's patient
page show it: the patient's summary, upcoming appointments, and completed visits with their treatment record and
prescription.

Texts passed in (``title``, ``empty``) are marked by the caller (``N_`` or ``_``) and translated here."""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import ui

from hms.domain.enums import AppointmentStatus
from hms.i18n import N_, _, ngettext
from hms.services.records import PatientSummary, TreatmentView, VisitView
from hms.services.views import AppointmentView

from ..ui import formats, theme
from .documents import document_links
from .sections import facts, section
from .tables import columns, translated

BADGES = {
    AppointmentStatus.BOOKED: (N_('Booked'), 'primary'),
    AppointmentStatus.ARRIVED: (N_('Arrived'), 'primary'),
    AppointmentStatus.IN_CONSULTATION: (N_('In consultation'), 'primary'),
    AppointmentStatus.COMPLETED: (N_('Completed'), 'positive'),
    AppointmentStatus.CANCELLED: (N_('Cancelled'), 'grey-7'),
    AppointmentStatus.NO_SHOW: (N_('No-show'), 'warning'),
}
MEDICINE_KEYS = ('name', 'dose', 'frequency', 'duration', 'instructions')
PRESCRIPTION_COLUMNS = columns(
    ('name', N_('Medicine')),
    ('dose', N_('Dose')),
    ('frequency', N_('Frequency')),
    ('duration', N_('Duration')),
    ('instructions', N_('Instructions')),
)


def day_text(day: date) -> str:
    return formats.day(day, year=True)


def status_badge(status: AppointmentStatus) -> ui.badge:
    label, color = BADGES[status]
    return ui.badge(_(label), color=color).mark('status')


def patient_summary(patient: PatientSummary) -> None:
    gender = theme.GENDER_LABELS.get(patient.gender.value)
    with section(_('Patient')):
        facts(
            [
                (_('Name'), patient.name),
                (_('Age'), ngettext('{n} year', '{n} years', patient.age)),
                (_('Gender'), _(gender) if gender else patient.gender.value),
                (_('Blood group'), patient.blood_group or _('Not recorded')),
                (_('Allergies'), patient.allergies or _('None recorded')),
            ],
            marker='patient-summary',
            wrap=True,
        )


def upcoming_appointments(
    found: list[AppointmentView], *, visit_links_for: int | None = None, empty: str = N_('No upcoming appointments.')
) -> None:
    """Booked appointments ahead; the signed-in doctor's own link to their visit page."""
    with section(_('Upcoming appointments'), marker='upcoming'):
        if not found:
            ui.label(_(empty)).classes(theme.SUBTLE).mark('no-upcoming')
            return
        for appointment in found:
            with ui.row().classes('w-full items-center gap-3').mark(f'upcoming-{appointment.id}'):
                ui.label(formats.moment(appointment.start)).classes('font-medium')
                ui.label(f'{appointment.doctor_name} · {appointment.department_name}')
                status_badge(appointment.status)
                if appointment.reason:
                    ui.label(_('Reason: {reason}', reason=appointment.reason)).classes(theme.SUBTLE)
                if visit_links_for is not None and appointment.doctor_id == visit_links_for:
                    ui.link(_('Open the visit'), f'/doctor/appointments/{appointment.id}')


def prescription_table(prescription: list[dict[str, Any]], *, marker: str) -> None:
    if not prescription:
        ui.label(_('No medicines prescribed.')).classes(theme.SUBTLE).mark(marker)
        return
    rows = [
        {'id': index, **{key: str(item.get(key) or '') for key in MEDICINE_KEYS}}
        for index, item in enumerate(prescription)
    ]
    table = ui.table(columns=translated(PRESCRIPTION_COLUMNS), rows=rows, row_key='id').classes('w-full')
    table.props('flat dense bordered wrap-cells').mark(marker)


def treatment_details(treatment: TreatmentView, *, private: bool, marker: str = '') -> None:
    """The treatment record: what the doctor found and advised; private notes only for clinicians."""
    found = [(_('Diagnosis'), treatment.diagnosis)]
    if treatment.treatment:
        found.append((_('Treatment given'), treatment.treatment))
    facts(found, marker=f'diagnosis-{marker}' if marker else None, wrap=True)
    ui.label(_('Prescription')).classes('font-medium')
    prescription_table(treatment.prescription, marker=f'prescription-{marker}' if marker else 'prescription')
    none = _('None')
    advised = [
        (_('Tests advised'), treatment.tests or none),
        (_('Notes for the patient'), treatment.notes or none),
    ]
    if private and treatment.private_notes is not None:
        advised.append((_('Private notes'), treatment.private_notes or none))  # clinicians only
    advised.append((_('Suggested next visit'), day_text(treatment.next_visit) if treatment.next_visit else none))
    facts(advised, wrap=True)


def visit_card(visit: VisitView, *, private: bool, visit_links_for: int | None = None, documents: bool = False) -> None:
    """One completed visit; links to its documents when ``documents`` (the patient, the administrator) or when the
    signed-in doctor (``visit_links_for``) treated it."""
    appointment = visit.appointment
    with ui.column().classes('w-full gap-2 border-t pt-3').mark(f'visit-{appointment.id}'):
        with ui.row().classes('w-full items-center gap-3'):
            ui.label(formats.moment(appointment.start)).classes('font-medium').props('role=heading aria-level=3')
            ui.label(f'{appointment.doctor_name} · {appointment.department_name}')
            if visit_links_for is not None and appointment.doctor_id == visit_links_for:
                ui.link(_('Open the visit'), f'/doctor/appointments/{appointment.id}')
        if appointment.reason:
            ui.label(_('Reason for the visit: {reason}', reason=appointment.reason)).classes(theme.SUBTLE)
        if visit.treatment is None:
            ui.label(_('No treatment record was written for this visit.')).classes(theme.SUBTLE)
        else:
            treatment_details(visit.treatment, private=private, marker=str(appointment.id))
            if visit.treatment.version > 1:
                ui.label(_('Amended: version {version}', version=visit.treatment.version)).classes(theme.SUBTLE)
            if documents or (visit_links_for is not None and appointment.doctor_id == visit_links_for):
                document_links(appointment.id, formats.moment(appointment.start))


def visit_history(
    visits: list[VisitView],
    *,
    private: bool,
    empty: str,
    visit_links_for: int | None = None,
    title: str = N_('Visits'),
    documents: bool = False,
) -> None:
    """Completed visits, newest first, each with its treatment record (and links to its documents: see
    ``visit_card``)."""
    with section(_(title), marker='visits'):
        if not visits:
            ui.label(_(empty)).classes(theme.SUBTLE).mark('no-visits')
            return
        for visit in visits:
            visit_card(visit, private=private, visit_links_for=visit_links_for, documents=documents)
