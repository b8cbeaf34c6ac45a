"""The small clinic of `python main.py seed-demo --demo`: lived-in enough to click through and to photograph.

Four departments with two doctors each; the last 60 days and the coming week filled slot by slot to a realistic share
of each doctor's published time (about 55-80 % in the past, thinning out over the coming week), with cancellations,
no-shows and a treatment on every completed visit. The accounts the README names, doctor1 and patient1, meet today and
tomorrow (on a weekend doctor1 holds an extra morning clinic for it), and patient1 has past visits with records.
The same seed gives the same clinic, relative to the day it is seeded.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment, DateOverride, DoctorProfile, OverrideWindow, User, WeeklyWindow
from hms.db.uow import Database, UnitOfWork
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.slots import Slot, Window, day_slots

from .seed import SeedResult, appointment_row, insert_appointments, quarters, seed, treatment_row

DOCTORS, PATIENTS, DEPARTMENTS = 8, 1200, 4
PAST_DAYS, FUTURE_DAYS = 60, 7
FEATURED_DOCTOR, FEATURED_PATIENT = 'doctor1@demo.hms.test', 'patient1@demo.hms.test'
FEATURED_PAST_VISITS = (-41, -20, -6)  # days before today on which patient1 saw doctor1
WEEKEND_CLINIC = Window(time(9), time(13))
FILL_RANGE = (0.55, 0.8)  # share of a doctor's past slots that were booked (and not cancelled)
FUTURE_THINNING = 0.08  # each day ahead holds this much less of the doctor's share: bookings still to come
FUTURE_FLOOR = 0.15
CANCELLED_SHARE = 0.06  # slots whose booking was cancelled (and not booked again)
NO_SHOW_WEIGHT = 9  # of every 100 visits that were due


@dataclass
class _Doctor:
    user_id: int
    minutes: int
    week: dict[int, list[Window]]
    extra_days: dict[date, list[Window]] = field(default_factory=dict)

    def windows_on(self, day: date) -> list[Window]:
        return self.extra_days.get(day) or self.week.get(day.weekday(), [])


@dataclass
class _Book:
    """The appointments being written, and what keeps them within the booking rules."""

    rng: random.Random
    next_id: int
    now: datetime
    max_future: int
    appointments: list[dict[str, Any]] = field(default_factory=list)
    treatments: list[dict[str, Any]] = field(default_factory=list)
    busy: set[tuple[int, datetime]] = field(default_factory=set)  # (patient, quarter-hour) of active bookings
    upcoming: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # patient -> future bookings

    def free(self, patient_id: int, slot: Slot) -> bool:
        if slot.end > self.now and self.upcoming[patient_id] >= self.max_future:
            return False
        return not any((patient_id, quarter) in self.busy for quarter in quarters(slot.start, slot.end))

    def add(self, doctor_id: int, patient_id: int, slot: Slot, status: AppointmentStatus) -> None:
        if status is not AppointmentStatus.CANCELLED:
            self.busy.update((patient_id, quarter) for quarter in quarters(slot.start, slot.end))
            if slot.end > self.now:
                self.upcoming[patient_id] += 1
        self.appointments.append(
            appointment_row(self.rng, self.next_id, doctor_id, patient_id, slot.start, slot.end, status)
        )
        if status is AppointmentStatus.COMPLETED:
            self.treatments.append(treatment_row(self.rng, self.next_id, doctor_id, slot.end))
        self.next_id += 1

    def due_status(self, slot: Slot) -> AppointmentStatus:
        if slot.end > self.now:
            return AppointmentStatus.BOOKED
        weights = [100 - NO_SHOW_WEIGHT, NO_SHOW_WEIGHT]
        return self.rng.choices([AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW], weights)[0]


def seed_demo_clinic(
    db: Database, settings: Settings, *, seed_number: int = 1, password: str | None = None
) -> SeedResult:
    """Fill an empty database with the demo clinic; the accounts are listed as `seed` lists them."""
    accounts = seed(
        db,
        settings,
        doctors=DOCTORS,
        patients=PATIENTS,
        appointments=0,
        seed=seed_number,
        password=password,
        past_days=PAST_DAYS,
        departments=DEPARTMENTS,
    )
    rng = random.Random(seed_number)  # noqa: S311 - reproducible demo data, not secrets
    now = clock.now()
    zone = settings.zone
    today = now.astimezone(zone).date()
    with db.uow() as uow:
        doctors = _doctors(uow)
        featured_doctor = _user_id(uow, FEATURED_DOCTOR)
        featured_patient = _user_id(uow, FEATURED_PATIENT)
        patient_ids = [
            user_id
            for user_id in uow.session.scalars(select(User.id).where(User.role == Role.PATIENT).order_by(User.id))
            if user_id != featured_patient  # their days are set below, not drawn
        ]
        _open_weekend_clinic(uow, doctors[featured_doctor], today)
        uow.commit()
    book = _Book(rng, _next_appointment_id(db), now, settings.max_future_bookings)
    featured = _featured_slots(doctors[featured_doctor], today, now, zone)
    for doctor in doctors.values():
        share = rng.uniform(*FILL_RANGE)
        for offset in range(-PAST_DAYS, FUTURE_DAYS + 1):
            day = today + timedelta(days=offset)
            fill = share if offset <= 0 else max(FUTURE_FLOOR, share - FUTURE_THINNING * offset)
            for slot in day_slots(day, doctor.windows_on(day), doctor.minutes, zone):
                if doctor.user_id == featured_doctor and slot.start in featured:
                    book.add(doctor.user_id, featured_patient, slot, featured[slot.start])
                    continue
                draw = rng.random()
                if draw < fill:
                    patient_id = _someone_free(book, patient_ids, slot)
                    if patient_id is not None:
                        book.add(doctor.user_id, patient_id, slot, book.due_status(slot))
                elif draw < fill + CANCELLED_SHARE:
                    book.add(doctor.user_id, rng.choice(patient_ids), slot, AppointmentStatus.CANCELLED)
    insert_appointments(db, book.appointments, book.treatments)
    return SeedResult(
        accounts.departments,
        accounts.doctors,
        accounts.patients,
        len(book.appointments),
        len(book.treatments),
        accounts.password,
        accounts.accounts_file,
    )


def _doctors(uow: UnitOfWork) -> dict[int, _Doctor]:
    session = uow.session
    doctors = {
        user_id: _Doctor(user_id, minutes, defaultdict(list))
        for user_id, minutes in session.execute(
            select(DoctorProfile.user_id, DoctorProfile.consultation_minutes).order_by(DoctorProfile.user_id)
        )
    }
    for window in session.scalars(select(WeeklyWindow).order_by(WeeklyWindow.start_time)):
        doctors[window.doctor_id].week[window.weekday].append(Window(window.start_time, window.end_time))
    return doctors


def _user_id(uow: UnitOfWork, email: str) -> int:
    found = uow.session.scalar(select(User.id).where(User.email == email))
    if found is None:
        raise LookupError(f'the demo account {email} was not created')
    return found


def _open_weekend_clinic(uow: UnitOfWork, doctor: _Doctor, today: date) -> None:
    """A morning clinic on today or tomorrow when it falls on a day off, so the named accounts meet on both days."""
    for day in (today, today + timedelta(days=1)):
        if not doctor.windows_on(day):
            window = OverrideWindow(start_time=WEEKEND_CLINIC.start, end_time=WEEKEND_CLINIC.end)
            uow.session.add(DateOverride(doctor_id=doctor.user_id, date=day, windows=[window]))
            doctor.extra_days[day] = [WEEKEND_CLINIC]


def _featured_slots(doctor: _Doctor, today: date, now: datetime, zone: Any) -> dict[datetime, AppointmentStatus]:
    """patient1's appointments with doctor1: a few past visits, one today (still to come if the day allows) and one
    tomorrow morning."""
    chosen: dict[datetime, AppointmentStatus] = {}
    for offset in FEATURED_PAST_VISITS:
        day = today + timedelta(days=offset)
        slots = day_slots(day, doctor.windows_on(day), doctor.minutes, zone)
        if slots:
            chosen[slots[len(slots) // 3].start] = AppointmentStatus.COMPLETED
    todays = day_slots(today, doctor.windows_on(today), doctor.minutes, zone)
    ahead = [slot for slot in todays if slot.start >= now + timedelta(hours=1)]
    visit = ahead[0] if ahead else todays[-1]
    chosen[visit.start] = AppointmentStatus.BOOKED if visit.end > now else AppointmentStatus.COMPLETED
    tomorrow = today + timedelta(days=1)
    slots = day_slots(tomorrow, doctor.windows_on(tomorrow), doctor.minutes, zone)
    chosen[slots[min(2, len(slots) - 1)].start] = AppointmentStatus.BOOKED
    return chosen


def _someone_free(book: _Book, patient_ids: list[int], slot: Slot, tries: int = 12) -> int | None:
    for _try in range(tries):
        patient_id = book.rng.choice(patient_ids)
        if book.free(patient_id, slot):
            return patient_id
    return None


def _next_appointment_id(db: Database) -> int:
    with db.engine.connect() as connection:
        return 1 + (connection.scalar(select(Appointment.id).order_by(Appointment.id.desc()).limit(1)) or 0)
