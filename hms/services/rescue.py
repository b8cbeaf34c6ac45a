"""Rescue instead of cancel: booked appointments that a new leave or closure strands are not cancelled at once. Each
patient gets a message with the three nearest free slots (the same doctor first, then the doctor's department) as
one-tap links; a tap moves the visit there. Whatever is not rebooked by its deadline is cancelled, with notice, by the
beat's sweep (``jobs.rescue``).

The deadline is ``HMS_RESCUE_DEADLINE_HOURS`` after the leave was entered, or the appointment's start when that is
sooner. Proposed slots need not lie within the patients' booking horizon (the clinic proposes them), but they must
still be free, published and meet the booking notice when taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hms import clock
from hms.config import Settings
from hms.db.errors import CONSTRAINT_VIOLATION
from hms.db.leave import CANCELLED, GONE, OPEN, REBOOKED, WITHDRAWN, LeaveRepository
from hms.db.models import Appointment, DoctorProfile, RescueCase
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import Conflict, InvalidInput, NotAllowed, SlotTaken
from hms.i18n import N_, _
from hms.notify import moments, render
from hms.notify.message import Message
from hms.runtime import outbox

from . import appointment_log, audit, availability, notices, transitions
from .action_links import (
    Claims,
    Description,
    LinkAppointment,
    LinkSuperseded,
    Outcome,
    make_link,
    register_action,
    require_version,
)
from .cancellation import cancel_appointment
from .principal import Principal, require_role

RESCUE_EMAIL_TASK = 'hms.rescue_email'
RESCUE_ACTION = 'rescue'
PROPOSALS = 3
SEARCH_DAYS = 28  # proposals are looked for this many days either side of the stranded visit
EMAIL_SUBJECT = N_('Your appointment needs a new time')
DEADLINE_REASON = N_('The doctor is not available on this day, and no new time was chosen in time.')
MOVED_REASON = N_('Moved to another time because the doctor is not available on this day.')
CLOSED = N_('This appointment no longer needs a new time.')


@dataclass(frozen=True)
class Proposal:
    start: datetime
    end: datetime
    doctor_id: int
    doctor_name: str


@dataclass(frozen=True)
class StrandedView:
    case_id: int
    appointment_id: int
    doctor_id: int
    doctor_name: str
    patient_id: int
    patient_name: str
    start: datetime
    state: str  # open | rebooked | cancelled | withdrawn | gone
    cause: str  # leave | closure
    deadline: datetime
    proposals: int
    new_appointment_id: int | None
    created_at: datetime


def _nearest(
    uow: UnitOfWork, settings: Settings, appointment: Appointment, doctor: DoctorProfile
) -> list[tuple[datetime, datetime, int]]:
    """The free slots nearest the stranded visit: the same doctor's, then (to make up three) the department's."""
    zone = settings.zone
    day = appointment.start_at.astimezone(zone).date()
    first, last = day - timedelta(days=SEARCH_DAYS), day + timedelta(days=SEARCH_DAYS)

    def distance(start: datetime) -> float:
        return abs((start - appointment.start_at).total_seconds())

    def free(one: DoctorProfile) -> list[tuple[datetime, datetime, int]]:
        slots = availability.open_slots(uow, settings, one, first, last, horizon=False)
        return [(slot.start, slot.end, one.user_id) for slot in slots]

    found = sorted(free(doctor), key=lambda item: distance(item[0]))[:PROPOSALS]
    if len(found) < PROPOSALS:
        colleagues = [
            other for other in uow.doctors.search(department_id=doctor.department_id) if other.user_id != doctor.user_id
        ]
        others = sorted((item for other in colleagues for item in free(other)), key=lambda item: distance(item[0]))
        found += others[: PROPOSALS - len(found)]
    return found


def strand(
    uow: UnitOfWork,
    settings: Settings,
    stranded: Iterable[Appointment],
    *,
    leave_id: int | None = None,
    closure_id: int | None = None,
) -> int:
    """Open a rescue case for each booked, upcoming appointment (the leave or closure is flushed already, so its
    days have no free slots): propose the nearest free slots, tell the patient (a notice now, the email after the
    commit). Appointments already being rescued keep their case. How many cases were opened (caller commits)."""
    repo = LeaveRepository(uow.session)
    now = clock.now()
    opened = 0
    for appointment in stranded:
        if appointment.status != AppointmentStatus.BOOKED or appointment.start_at <= now:
            continue
        if repo.case_of(appointment.id) is not None:
            continue
        doctor = uow.doctors.get(appointment.doctor_id)
        if doctor is None:
            continue
        proposals = _nearest(uow, settings, appointment, doctor)
        deadline = min(now + timedelta(hours=settings.rescue_deadline_hours), appointment.start_at)
        case = repo.add_case(
            RescueCase(
                appointment_id=appointment.id,
                leave_id=leave_id,
                closure_id=closure_id,
                state=OPEN,
                proposals=[
                    {'start': start.isoformat(), 'doctor_id': doctor_id} for start, _end, doctor_id in proposals
                ],
                created_at=now,
                deadline_at=deadline,
            )
        )
        outbox.stage(uow.session, RESCUE_EMAIL_TASK, {'case_id': case.id}, appointment_id=appointment.id)
        uow.emit(
            'rescue.opened',
            appointment_id=appointment.id,
            doctor_id=appointment.doctor_id,
            patient_id=appointment.patient_id,
        )
        _tell_stranded(uow, settings, appointment, doctor.user.name, deadline)
        opened += 1
    return opened


def _tell_stranded(
    uow: UnitOfWork, settings: Settings, appointment: Appointment, doctor_name: str, deadline: datetime
) -> None:
    def compose() -> tuple[str, str]:  # in the patient's language
        body = _(
            '{doctor} is not available on {when}. Choose one of the new times we emailed you by {deadline}; '
            'otherwise the appointment is cancelled.',
            doctor=doctor_name,
            when=notices.when(appointment.start_at, settings.zone),
            deadline=notices.when(deadline, settings.zone),
        )
        return _(EMAIL_SUBJECT), body

    notices.notify(uow, appointment.patient_id, compose, appointment_id=appointment.id)


def close_cases(uow: UnitOfWork, *, leave_id: int | None = None, closure_id: int | None = None) -> int:
    """A leave or closure was withdrawn: its open cases end (their appointments keep their time). Caller commits."""
    cases = LeaveRepository(uow.session).open_cases_of(leave_id=leave_id, closure_id=closure_id)
    for case in cases:
        case.state, case.resolved_at = WITHDRAWN, clock.now()
    return len(cases)


def proposals_of(uow: UnitOfWork, case: RescueCase) -> list[Proposal]:
    found = []
    names = uow.patients_names({int(item['doctor_id']) for item in case.proposals})
    for item in case.proposals:
        doctor = uow.doctors.get(int(item['doctor_id']))
        if doctor is None:
            continue
        start = datetime.fromisoformat(str(item['start'])).astimezone(UTC)
        found.append(
            Proposal(
                start, start + timedelta(minutes=doctor.consultation_minutes), doctor.user_id, names[doctor.user_id]
            )
        )
    return found


# --- rebooking (the patient's one-tap link) -------------------------------------------------------------------------


def rebook(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    appointment_id: int,
    start: datetime,
    doctor_id: int,
    *,
    sequence: int | None = None,
) -> Appointment:
    """Move the stranded appointment to one of its proposed slots (the same doctor: moved; another doctor of the
    department: a new appointment replaces it). The case ends rebooked. ``sequence``: the appointment's version the
    link was made at (checked under the lock). Commits."""
    repo = LeaveRepository(uow.session)
    seen = uow.appointments.get(appointment_id)
    case = repo.case_of(appointment_id) if seen is not None else None
    if seen is None or case is None or (actor.role is Role.PATIENT and seen.patient_id != actor.user_id):
        raise Conflict(_(CLOSED))
    require_role(actor, Role.PATIENT, Role.ADMIN)
    start = start.astimezone(UTC)
    if not any(item.start == start and item.doctor_id == doctor_id for item in proposals_of(uow, case)):
        message = _('Choose one of the proposed times.')
        raise InvalidInput(message, field_errors={'start': message})
    for one in sorted({seen.doctor_id, doctor_id}):  # the lock order: doctors, the patient, the appointment
        uow.doctors.lock(one)
    uow.patients.lock(seen.patient_id)
    appointment = transitions.lock(uow, seen.id)
    if sequence is not None:
        require_version_of(sequence, appointment.sequence)
    case = repo.lock_case(case.id)
    if case is None or case.state != OPEN or appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(_(CLOSED))
    doctor = uow.doctors.get(doctor_id)
    if doctor is None or not doctor.user.is_active:
        raise SlotTaken(_('This time is no longer free. Please choose another one.'))
    day = start.astimezone(settings.zone).date()
    slot = next(
        (s for s in availability.open_slots(uow, settings, doctor, day, day, horizon=False) if s.start == start), None
    )
    if slot is None:
        raise SlotTaken(_('This time is no longer free. Please choose another one.'))
    if uow.appointments.overlapping_for_patient(appointment.patient_id, slot.start, slot.end, appointment.id):
        raise Conflict(_('You already have an appointment at this time.'))
    now = clock.now()
    if doctor_id == appointment.doctor_id:
        appointment.start_at, appointment.end_at = slot.start, slot.end
        transitions.advance(appointment, now)
        appointment_log.changed(uow, actor, appointment, 'appointment.rescheduled', {'cause': 'rescue'})
        moved = appointment
    else:
        moved = Appointment(
            doctor_id=doctor_id,
            patient_id=appointment.patient_id,
            start_at=slot.start,
            end_at=slot.end,
            status=AppointmentStatus.BOOKED,
            reason=appointment.reason,
            created_at=now,
            updated_at=now,
            booked_by_id=actor.user_id,
            sequence=0,
        )
        try:
            uow.appointments.add(moved)
        except CONSTRAINT_VIOLATION as error:
            uow.rollback()
            raise SlotTaken(_('This time is no longer free. Please choose another one.')) from error
        appointment_log.changed(uow, actor, moved, 'appointment.booked', {'cause': 'rescue'})
        with notices.speaking(uow, appointment.patient_id):
            reason = _(MOVED_REASON)
        cancel_appointment(uow, settings, actor, appointment, reason, cause='rescue')
    case.state, case.resolved_at, case.new_appointment_id = REBOOKED, now, moved.id
    uow.emit('rescue.rebooked', appointment_id=appointment.id, doctor_id=doctor_id, patient_id=appointment.patient_id)
    try:
        uow.session.flush()
        uow.commit()
    except CONSTRAINT_VIOLATION as error:
        uow.rollback()
        raise SlotTaken(_('This time is no longer free. Please choose another one.')) from error
    return moved


def require_version_of(expected: int, current: int) -> None:
    if expected != current:
        raise LinkSuperseded()


# --- the deadline (beat) ----------------------------------------------------------------------------------------------


def _clinic(uow: UnitOfWork) -> Principal:
    """Who cancels at the deadline: the clinic (its administrator account)."""
    admin = uow.users.first_with_role(Role.ADMIN)
    if admin is None:
        raise NotAllowed(_('There is no administrator account.'))
    return Principal(user_id=admin.id, role=Role.ADMIN, name=admin.name, email='', must_change_password=False)


def cancel_overdue(uow: UnitOfWork, settings: Settings) -> tuple[int, int]:
    """Cancel (with notice) the stranded appointments not rebooked by their deadline, each in its own transaction:
    (cancelled, closed otherwise: the patient or the desk changed it meanwhile, or its day is open again)."""
    repo = LeaveRepository(uow.session)
    cancelled = closed = 0
    clinic = _clinic(uow)
    for case_id in repo.overdue_ids(clock.now()):
        seen = repo.lock_case(case_id)
        appointment = uow.appointments.get(seen.appointment_id) if seen is not None else None
        if seen is None or appointment is None:
            uow.rollback()
            continue
        uow.doctors.lock(appointment.doctor_id)
        uow.patients.lock(appointment.patient_id)
        appointment = transitions.lock(uow, appointment.id)
        case = repo.lock_case(case_id)
        if case is None or case.state != OPEN:
            uow.rollback()
            continue
        day = appointment.start_at.astimezone(settings.zone).date()
        still_off = day in repo.days_off(appointment.doctor_id, day, day)
        now = clock.now()
        if appointment.status != AppointmentStatus.BOOKED:
            case.state, case.resolved_at = GONE, now
            closed += 1
        elif not still_off:
            case.state, case.resolved_at = WITHDRAWN, now
            closed += 1
        else:
            with notices.speaking(uow, appointment.patient_id):
                reason = _(DEADLINE_REASON)
            cancel_appointment(uow, settings, clinic, appointment, reason, cause='rescue')
            case.state, case.resolved_at = CANCELLED, now
            cancelled += 1
        uow.emit('rescue.closed', appointment_id=appointment.id, doctor_id=appointment.doctor_id)
        uow.commit()
    return cancelled, closed


# --- the admin's view -------------------------------------------------------------------------------------------------


def stranded(uow: UnitOfWork, actor: Principal, *, days: int = 30) -> list[StrandedView]:
    """Appointments a leave or closure stranded: every open case, and those of the last ``days`` days."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to see stranded appointments.'))
    cases = LeaveRepository(uow.session).cases(since=clock.now() - timedelta(days=days))
    appointments = {case.appointment_id: uow.appointments.get(case.appointment_id) for case in cases}
    people = {a.doctor_id for a in appointments.values() if a} | {a.patient_id for a in appointments.values() if a}
    names = uow.patients_names(people)
    found = []
    for case in cases:
        appointment = appointments.get(case.appointment_id)
        if appointment is None:
            continue
        found.append(
            StrandedView(
                case_id=case.id,
                appointment_id=appointment.id,
                doctor_id=appointment.doctor_id,
                doctor_name=names.get(appointment.doctor_id, ''),
                patient_id=appointment.patient_id,
                patient_name=names.get(appointment.patient_id, ''),
                start=appointment.start_at,
                state=case.state,
                cause='closure' if case.closure_id is not None else 'leave',
                deadline=case.deadline_at,
                proposals=len(case.proposals),
                new_appointment_id=case.new_appointment_id,
                created_at=case.created_at,
            )
        )
    audit.record(uow, 'rescue.listed', actor=actor, detail={'count': len(found)})
    uow.commit()
    return found


# --- the email --------------------------------------------------------------------------------------------------------


def rescue_links(
    settings: Settings, case: RescueCase, appointment: Appointment, proposals: list[Proposal]
) -> list[str]:
    return [
        make_link(
            settings,
            RESCUE_ACTION,
            appointment.id,
            appointment.sequence,
            case.deadline_at,
            {'start': proposal.start.isoformat(), 'doctor': proposal.doctor_id},
        )
        for proposal in proposals
    ]


def rescue_message(uow: UnitOfWork, settings: Settings, case_id: int) -> tuple[int, Message] | None:
    """The rescue email (templates rescue_offer.html and .txt) in the patient's language, while the case is open."""
    case = uow.session.get(RescueCase, case_id)
    if case is None or case.state != OPEN:
        return None
    appointment = uow.appointments.get(case.appointment_id)
    patient = uow.users.get(appointment.patient_id) if appointment is not None else None
    if appointment is None or patient is None or not patient.is_active or patient.email is None:
        return None
    proposals = proposals_of(uow, case)
    links = rescue_links(settings, case, appointment, proposals)
    doctor_name = uow.patients_names({appointment.doctor_id}).get(appointment.doctor_id, '')
    with notices.speaking(uow, patient.id):
        choices = [
            {'when': moments.long_moment(p.start, settings.zone), 'doctor': p.doctor_name, 'link': link}
            for p, link in zip(proposals, links, strict=True)
        ]
        message = render.email(
            'rescue_offer',
            to_email=patient.email,
            to_name=patient.name,
            subject=_(EMAIL_SUBJECT),
            name=patient.name,
            doctor=doctor_name,
            when=moments.long_moment(appointment.start_at, settings.zone),
            deadline=moments.long_moment(case.deadline_at, settings.zone),
            choices=choices,
            clinic=settings.clinic_name,
        )
    return patient.id, message


# --- the one-tap link -------------------------------------------------------------------------------------------------


def _start_of(claims: Claims) -> tuple[datetime, int]:
    try:
        start = datetime.fromisoformat(str(claims.extra.get('start'))).astimezone(UTC)
        doctor_id = int(claims.extra.get('doctor', 0))
    except (TypeError, ValueError) as error:
        raise InvalidInput(_('Choose one of the proposed times.')) from error
    return start, doctor_id


class _RescueAction:
    """``rescue``: move a stranded appointment to a proposed slot (subject: the appointment; version: its sequence;
    extra: the proposed start and doctor)."""

    def version(self, uow: UnitOfWork, subject_id: int) -> int | None:
        appointment = uow.appointments.get(subject_id)
        return appointment.sequence if appointment is not None else None

    def describe(self, uow: UnitOfWork, settings: Settings, claims: Claims, *, valid: bool) -> Description:
        appointment = uow.appointments.get(claims.subject_id)
        if appointment is None:
            return Description()
        start, doctor_id = _start_of(claims)
        doctor = uow.doctors.get(doctor_id)
        names = uow.patients_names({appointment.doctor_id, doctor_id})
        departments = uow.doctors.department_names({appointment.doctor_id})
        shown = LinkAppointment(
            id=appointment.id,
            doctor_id=appointment.doctor_id,
            doctor_name=names.get(appointment.doctor_id, ''),
            department_name=departments.get(appointment.doctor_id, ''),
            start=appointment.start_at,
            end=appointment.end_at,
            status=str(AppointmentStatus(appointment.status)),
        )
        end = start + timedelta(minutes=doctor.consultation_minutes if doctor is not None else 30)
        extra: dict[str, Any] = {'proposed_start': start.isoformat(), 'proposed_doctor': names.get(doctor_id, '')}
        return Description(appointment=shown, slots=[(start, end)], extra=extra)

    def perform(self, uow: UnitOfWork, settings: Settings, claims: Claims, body: Mapping[str, Any]) -> Outcome:
        appointment = uow.appointments.get(claims.subject_id)
        require_version(claims, appointment.sequence if appointment is not None else None)
        assert appointment is not None
        start, doctor_id = _start_of(claims)
        name = uow.patients_names({appointment.patient_id}).get(appointment.patient_id, '')
        patient = Principal(
            user_id=appointment.patient_id, role=Role.PATIENT, name=name, email='', must_change_password=False
        )
        moved = rebook(uow, settings, patient, appointment.id, start, doctor_id, sequence=claims.version)
        names = uow.patients_names({moved.doctor_id})
        shown = LinkAppointment(
            id=moved.id,
            doctor_id=moved.doctor_id,
            doctor_name=names.get(moved.doctor_id, ''),
            department_name=uow.doctors.department_names({moved.doctor_id}).get(moved.doctor_id, ''),
            start=moved.start_at,
            end=moved.end_at,
            status=str(AppointmentStatus(moved.status)),
        )
        return Outcome(message=_('Your appointment has its new time.'), appointment=shown)


register_action(RESCUE_ACTION, _RescueAction())
