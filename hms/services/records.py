"""The clinical record: completing visits with a treatment, amending it without losing history, no-shows, the
doctor's day and patients, and every patient's history behind object-level access checks and audit rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment, Treatment, TreatmentVersion
from hms.db.records import PatientOfDoctor
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AppointmentFilter
from hms.domain.enums import AppointmentStatus, Gender, Role
from hms.domain.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from hms.domain.records import TreatmentIn
from hms.i18n import N_, _, ngettext

from . import appointment_log, audit, transitions
from .appointments import views
from .principal import Principal, require_role
from .views import AppointmentView

# Care that happened: a doctor reads a patient's history while they have a booked appointment together, while the
# visit is under way (checked in, in consultation), or once the doctor has completed a visit with them. A booking that
# was cancelled (by anyone) or ended in a no-show gives nothing.
IN_CARE = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.IN_CONSULTATION,
    AppointmentStatus.COMPLETED,
)
# Visits not yet over: booked, or under way on the day.
OPEN = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION)
CONTENT_FIELDS = ('diagnosis', 'treatment', 'prescription', 'tests', 'notes', 'private_notes', 'next_visit')


@dataclass(frozen=True)
class TreatmentView:
    appointment_id: int
    diagnosis: str
    treatment: str
    prescription: list[dict[str, str]]
    tests: str
    notes: str
    private_notes: str | None  # None unless the reader wrote them
    next_visit: date | None
    version: int
    recorded_at: datetime


@dataclass(frozen=True)
class VisitView:
    appointment: AppointmentView
    treatment: TreatmentView | None


@dataclass(frozen=True)
class PatientSummary:
    id: int
    name: str
    age: int
    gender: Gender
    blood_group: str | None
    allergies: str | None


@dataclass(frozen=True)
class HistoryView:
    patient: PatientSummary
    visits: list[VisitView]  # completed visits across all doctors, newest first
    upcoming: list[AppointmentView]


@dataclass(frozen=True)
class ScheduleEntry:
    appointment: AppointmentView
    patient_age: int | None


@dataclass(frozen=True)
class DoctorSchedule:
    first: date
    last: date
    entries: list[ScheduleEntry]

    def count(self, status: AppointmentStatus) -> int:
        return sum(1 for entry in self.entries if entry.appointment.status is status)


@dataclass(frozen=True)
class VersionView:
    version: int
    recorded_at: datetime
    replaced_at: datetime
    replaced_by: str
    content: dict[str, Any]


@dataclass(frozen=True)
class AccessEntry:
    at: datetime
    who: str
    role: str
    action: str


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _local_today(settings: Settings) -> date:
    return clock.now().astimezone(settings.zone).date()


def _check_next_visit(settings: Settings, data: TreatmentIn) -> None:
    """The suggested next visit may not lie in the past of the clinic's calendar."""
    if data.next_visit is not None and data.next_visit < _local_today(settings):
        message = _('The suggested next visit cannot be in the past.')
        raise InvalidInput(message, field_errors={'next_visit': message})


def _content(treatment: Treatment) -> dict[str, Any]:
    return {
        'diagnosis': treatment.diagnosis,
        'treatment': treatment.treatment_given,
        'prescription': list(treatment.prescription),
        'tests': treatment.tests_advised,
        'notes': treatment.notes,
        'private_notes': treatment.private_notes,
        'next_visit': treatment.next_visit_date.isoformat() if treatment.next_visit_date else None,
    }


def _apply(treatment: Treatment, data: TreatmentIn) -> None:
    treatment.diagnosis = data.diagnosis
    treatment.treatment_given = data.treatment
    treatment.prescription = [medicine.model_dump() for medicine in data.prescription]
    treatment.tests_advised = data.tests
    treatment.notes = data.notes
    treatment.private_notes = data.private_notes
    treatment.next_visit_date = data.next_visit


def _authors_only(private_notes: str, author_id: int, reader: Principal) -> str | None:
    """Private notes are their author's alone: not another doctor's, the clinic's or the patient's to read."""
    return private_notes if reader.user_id == author_id else None


def treatment_view(treatment: Treatment, reader: Principal) -> TreatmentView:
    return TreatmentView(
        appointment_id=treatment.appointment_id,
        diagnosis=treatment.diagnosis,
        treatment=treatment.treatment_given,
        prescription=[dict(item) for item in treatment.prescription],
        tests=treatment.tests_advised,
        notes=treatment.notes,
        private_notes=_authors_only(treatment.private_notes, treatment.created_by_id, reader),
        next_visit=treatment.next_visit_date,
        version=treatment.version,
        recorded_at=treatment.updated_at,
    )


def _visit(uow: UnitOfWork, reader: Principal, appointment: Appointment, treatment: Treatment | None) -> VisitView:
    """The appointment and its treatment record as its doctor (or the administrator) reads them."""
    return VisitView(
        appointment=views(uow, [appointment])[0],
        treatment=treatment_view(treatment, reader) if treatment is not None else None,
    )


def _versions(uow: UnitOfWork, reader: Principal, treatment: Treatment) -> list[VersionView]:
    """The treatment record's earlier versions, oldest first, with who replaced each."""
    rows = uow.treatments.versions(treatment.id)
    names = uow.patients_names({row.replaced_by_id for row in rows})
    return [
        VersionView(
            version=row.version,
            recorded_at=row.recorded_at,
            replaced_at=row.replaced_at,
            replaced_by=names.get(row.replaced_by_id, ''),
            content={
                **row.content,
                'private_notes': _authors_only(row.content.get('private_notes') or '', row.recorded_by_id, reader),
            },
        )
        for row in rows
    ]


def _own_appointment(uow: UnitOfWork, actor: Principal, appointment_id: int) -> Appointment:
    """The acting doctor's own appointment; any other appointment is 'not found' to them."""
    require_role(actor, Role.DOCTOR, refusal=N_('Your role does not allow you to write treatment records.'))
    appointment = uow.appointments.get(appointment_id)
    if appointment is None or appointment.doctor_id != actor.user_id:
        raise NotFound(_('No such appointment among yours.'))
    return appointment


def complete_visit(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, data: TreatmentIn
) -> VisitView:
    """Record the treatment and mark the appointment completed, in one transaction."""
    appointment = transitions.lock(uow, _own_appointment(uow, actor, appointment_id).id)
    transitions.require(uow, actor, appointment, transitions.Change.COMPLETE)
    _check_next_visit(settings, data)
    if appointment.start_at.astimezone(settings.zone).date() > _local_today(settings):
        raise InvalidTransition(_('This appointment is on a future day; a visit can be recorded from its day on.'))
    now = clock.now()
    treatment = Treatment(
        appointment_id=appointment.id, created_at=now, created_by_id=actor.user_id, updated_at=now, version=1
    )
    _apply(treatment, data)
    uow.treatments.add(treatment)
    appointment.status = AppointmentStatus.COMPLETED
    appointment.completed_at = now
    transitions.advance(appointment, now)
    appointment_log.record(uow, actor, appointment, 'treatment.created')
    appointment_log.changed(uow, actor, appointment, 'appointment.completed')
    uow.commit()
    return _visit(uow, actor, appointment, treatment)


def amend_treatment(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, data: TreatmentIn
) -> VisitView:
    """Replace the treatment record, keeping the previous version (who wrote it, who replaced it, when)."""
    appointment = transitions.lock(uow, _own_appointment(uow, actor, appointment_id).id)
    treatment = uow.treatments.for_appointment(appointment.id, fresh=True)  # as the last amendment left it
    if treatment is None:
        raise InvalidTransition(_('This visit has no treatment record yet; complete the visit first.'))
    _check_next_visit(settings, data)
    before = _content(treatment)
    candidate = Treatment()
    _apply(candidate, data)
    if _content(candidate) == before:
        raise InvalidInput(_('Nothing changed; edit a field before saving the amendment.'))
    now = clock.now()
    uow.treatments.add_version(
        TreatmentVersion(
            treatment_id=treatment.id,
            version=treatment.version,
            recorded_at=treatment.updated_at,
            recorded_by_id=treatment.created_by_id,
            replaced_at=now,
            replaced_by_id=actor.user_id,
            content=before,
        )
    )
    _apply(treatment, data)
    treatment.version += 1
    treatment.updated_at = now
    uow.emit('treatment.amended', appointment_id=appointment.id, patient_id=appointment.patient_id)
    appointment_log.record(uow, actor, appointment, 'treatment.amended', detail={'version': treatment.version})
    uow.commit()
    return _visit(uow, actor, appointment, treatment)


@dataclass(frozen=True)
class VisitRecord:
    visit: VisitView
    versions: list[VersionView]


def get_visit(uow: UnitOfWork, actor: Principal, appointment_id: int) -> VisitRecord:
    """One appointment with its treatment record and earlier versions (its doctor, or the administrator)."""
    if actor.role is Role.DOCTOR:
        appointment = _own_appointment(uow, actor, appointment_id)
    elif actor.role is Role.ADMIN:
        found = uow.appointments.get(appointment_id)
        if found is None:
            raise NotFound(_('No such appointment.'))
        appointment = found
    else:
        raise NotFound(_('No such appointment.'))
    treatment = uow.treatments.for_appointment(appointment.id)
    versions: list[VersionView] = []
    if treatment is not None:
        versions = _versions(uow, actor, treatment)
        appointment_log.record(uow, actor, appointment, 'treatment.viewed')
        uow.commit()
    return VisitRecord(visit=_visit(uow, actor, appointment, treatment), versions=versions)


def documented_visit(uow: UnitOfWork, actor: Principal, appointment_id: int) -> tuple[Appointment, Treatment]:
    """A completed visit and its treatment record, for the documents handed out (visit summary, prescription): the
    patient's own, the treating doctor's, the administrator's. The front desk never reads clinical content (403);
    anyone else's visit is 'not found' to the caller."""
    require_role(
        actor,
        Role.PATIENT,
        Role.DOCTOR,
        Role.ADMIN,
        refusal=N_('Your role does not allow you to read visit documents.'),
    )
    if actor.role is Role.DOCTOR:
        appointment = _own_appointment(uow, actor, appointment_id)
    else:
        found = uow.appointments.get(appointment_id)
        if found is None or (actor.role is Role.PATIENT and found.patient_id != actor.user_id):
            raise NotFound(_('No such appointment.'))
        appointment = found
    treatment = uow.treatments.for_appointment(appointment.id)
    if treatment is None:
        raise NotFound(_('This visit has no treatment record yet.'))
    return appointment, treatment


def treatment_versions(uow: UnitOfWork, actor: Principal, appointment_id: int) -> list[VersionView]:
    """Earlier versions of a treatment record, oldest first (the appointment's doctor or the administrator)."""
    appointment = uow.appointments.get(appointment_id)
    if actor.role is Role.DOCTOR:
        appointment = _own_appointment(uow, actor, appointment_id)
    elif actor.role is not Role.ADMIN or appointment is None:
        raise NotFound(_('No such appointment.'))
    treatment = uow.treatments.for_appointment(appointment.id)
    if treatment is None:
        return []
    versions = _versions(uow, actor, treatment)
    appointment_log.record(uow, actor, appointment, 'treatment.versions_viewed')
    uow.commit()
    return versions


def mark_no_show(uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int) -> AppointmentView:
    appointment = transitions.lock(uow, _own_appointment(uow, actor, appointment_id).id)
    transitions.require(uow, actor, appointment, transitions.Change.NO_SHOW)
    grace = settings.no_show_grace_minutes
    if clock.now() < appointment.start_at + timedelta(minutes=grace):
        raise InvalidTransition(
            ngettext(
                'A patient can be marked as not having come only {n} minute after the appointment has started.',
                'A patient can be marked as not having come only {n} minutes after the appointment has started.',
                grace,
            )
            if grace
            else _('A patient can be marked as not having come only after the appointment has started.')
        )
    appointment.status = AppointmentStatus.NO_SHOW
    transitions.advance(appointment)
    appointment_log.changed(uow, actor, appointment, 'appointment.no_show')
    uow.commit()
    return views(uow, [appointment])[0]


def doctor_schedule(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    *,
    first: date | None = None,
    days: int = 1,
    doctor_id: int | None = None,
) -> DoctorSchedule:
    """Appointments of ``days`` local days from ``first`` (today by default), in time order, with patients' ages."""
    if actor.role is Role.DOCTOR:
        doctor_id = actor.user_id
    elif actor.role is not Role.ADMIN or doctor_id is None:
        raise NotAllowed(_("Only doctors and the administrator read a doctor's schedule."))
    first = first or _local_today(settings)
    last = first + timedelta(days=max(1, days) - 1)
    start = datetime.combine(first, time.min, tzinfo=settings.zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=settings.zone).astimezone(UTC)
    found = uow.appointments.find(AppointmentFilter(start_from=start, start_to=end, doctor_id=doctor_id), limit=2000)
    births = uow.patients_birth_dates({a.patient_id for a in found})
    today = _local_today(settings)
    entries = [
        ScheduleEntry(
            appointment=view, patient_age=age_on(births[view.patient_id], today) if view.patient_id in births else None
        )
        for view in views(uow, found)
    ]
    return DoctorSchedule(first=first, last=last, entries=entries)


def my_patients(uow: UnitOfWork, actor: Principal, text: str | None = None) -> list[PatientOfDoctor]:
    """The acting doctor's patients: those in their care (see ``IN_CARE``)."""
    require_role(actor, Role.DOCTOR, refusal=N_('Your role does not allow you to list your patients.'))
    return uow.treatments.patients_of(actor.user_id, IN_CARE, (text or '').strip() or None, clock.now())


def _may_read_history(uow: UnitOfWork, actor: Principal, patient_id: int) -> None:
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.PATIENT and actor.user_id == patient_id:
        return
    if actor.role is Role.DOCTOR and uow.treatments.any_appointment(actor.user_id, patient_id, IN_CARE):
        return
    raise NotFound(_('No such patient among yours.'))


def patient_history(uow: UnitOfWork, settings: Settings, actor: Principal, patient_id: int) -> HistoryView:
    """Every completed visit of the patient across all doctors, newest first, plus upcoming appointments."""
    _may_read_history(uow, actor, patient_id)
    profile = uow.patients.get(patient_id)
    if profile is None:
        raise NotFound(_('No such patient.'))
    now = clock.now()
    completed = uow.appointments.find(
        AppointmentFilter(patient_id=patient_id, statuses=(AppointmentStatus.COMPLETED,)), newest_first=True
    )
    upcoming = [
        appointment
        for appointment in uow.appointments.find(
            AppointmentFilter(patient_id=patient_id, start_from=now - timedelta(days=1), statuses=OPEN)
        )
        # a booked visit stays upcoming until it ends; one under way (checked in, called in) until it is completed
        if appointment.end_at > now or appointment.status is not AppointmentStatus.BOOKED
    ]
    treatments = uow.treatments.for_appointments([a.id for a in completed])
    visits = [
        VisitView(
            appointment=view,
            treatment=treatment_view(treatments[view.id], actor) if view.id in treatments else None,
        )
        for view in views(uow, completed)
    ]
    audit.record(
        uow, 'history.viewed', actor=actor, object_type='patient', object_id=patient_id, subject_user_id=patient_id
    )
    uow.commit()
    summary = PatientSummary(
        id=patient_id,
        name=profile.user.name,
        age=age_on(profile.date_of_birth, _local_today(settings)),
        gender=Gender(profile.gender),
        blood_group=profile.blood_group,
        allergies=profile.allergies,
    )
    return HistoryView(patient=summary, visits=visits, upcoming=views(uow, upcoming))


def my_history(uow: UnitOfWork, settings: Settings, actor: Principal) -> HistoryView:
    require_role(actor, Role.PATIENT, refusal=N_('Your role does not allow you to read your visits.'))
    return patient_history(uow, settings, actor, actor.user_id)


# What each audited action tells the patient (translated where the log is read).
ACCESS_ACTIONS = {
    'history.viewed': N_('Viewed your history'),
    'treatment.viewed': N_('Viewed a visit record'),
    'patient.viewed': N_('Viewed your details'),
    'patient.updated': N_('Changed your contact details'),
    'profile.updated': N_('Changed your profile'),
    'profile.email_changed': N_('Changed your email address'),
    'treatment.created': N_('Recorded a visit'),
    'treatment.amended': N_('Amended a visit record'),
    'treatment.versions_viewed': N_('Viewed earlier versions of a visit record'),
    'appointment.completed': N_('Completed a visit'),
    'document.downloaded': N_('Downloaded a visit document'),
}


def access_log(uow: UnitOfWork, actor: Principal, *, limit: int = 200) -> list[AccessEntry]:
    """Who looked at or changed the acting patient's record, newest first."""
    require_role(actor, Role.PATIENT, refusal=N_('Your role does not allow you to read who looked at your record.'))
    rows = [row for row in uow.treatments.access_log(actor.user_id, tuple(ACCESS_ACTIONS), limit=limit)]
    names = uow.patients_names({row.actor_id for row in rows if row.actor_id})
    return [
        AccessEntry(
            at=row.at,
            who=_('You') if row.actor_id == actor.user_id else names.get(row.actor_id or 0) or _('Unknown'),
            role=row.actor_role or '',
            action=_(ACCESS_ACTIONS[row.action]) if row.action in ACCESS_ACTIONS else row.action,
        )
        for row in rows
    ]
