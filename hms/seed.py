"""Realistic, reproducible demo data in bulk: `python main.py seed-demo --doctors N --patients N --appointments N`.

It writes straight through bulk INSERTs (a million appointments in minutes, not hours) but keeps every invariant the
services enforce: slots on each doctor's grid, one active appointment per doctor and start, no overlapping bookings
for a patient, final statuses only in the past, a treatment on every completed visit.
"""

from __future__ import annotations

import csv
import random
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from hms import clock
from hms.config import Settings, write_private_file
from hms.db.models import (
    Appointment,
    Department,
    DoctorProfile,
    PatientProfile,
    Treatment,
    User,
    WeeklyWindow,
)
from hms.db.uow import Database, UnitOfWork
from hms.domain.enums import AppointmentStatus, Gender, Role
from hms.domain.slots import Slot, Window, day_slots
from hms.security.passwords import hash_password

DEPARTMENTS = [
    ('General Medicine', 'First contact for most health concerns.'),
    ('Cardiology', 'Heart and blood vessels.'),
    ('Dermatology', 'Skin, hair and nails.'),
    ('Paediatrics', 'Children from birth to 16.'),
    ('Orthopaedics', 'Bones, joints and muscles.'),
    ('Gynaecology', "Women's health."),
    ('Neurology', 'Brain, spine and nerves.'),
    ('Ophthalmology', 'Eyes and vision.'),
    ('ENT', 'Ear, nose and throat.'),
    ('Psychiatry', 'Mental health.'),
    ('Endocrinology', 'Diabetes, thyroid and hormones.'),
    ('Gastroenterology', 'Stomach, bowel and liver.'),
]
FIRST_NAMES = [
    'Amelia',
    'Oliver',
    'Isla',
    'Noah',
    'Ava',
    'Leo',
    'Mia',
    'Arthur',
    'Sofia',
    'Luca',
    'Grace',
    'Omar',
    'Zoë',
    'Mateo',
    'Freya',
    'Yusuf',
    'Aisha',
    'Elias',
    'Chloé',
    'Ravi',
    'Hana',
    'Jonas',
    'Priya',
    'Tomás',
    'Ingrid',
    'Kwame',
    'Lena',
    'Dmitri',
    'Nadia',
    'Sven',
    'Mei',
    'Hugo',
    'Fatima',
    'Idris',
    'Maja',
    'Kenji',
    'Rosa',
    'Ibrahim',
    'Elif',
    'Pablo',
]
LAST_NAMES = [
    'Smith',
    'García',
    'Müller',
    'Rossi',
    'Novak',
    'Kowalski',
    'Jensen',
    'Okafor',
    'Haddad',
    'Tanaka',
    'Silva',
    'Khan',
    'Dubois',
    'Andersson',
    'Nguyen',
    'Papadopoulos',
    'Cohen',
    'Ivanova',
    'Murphy',
    'Fernández',
    'Yilmaz',
    'Schmidt',
    'Patel',
    'Lindqvist',
    'Moreau',
    'Costa',
    'Horvath',
    'Mensah',
    'Sato',
    'Byrne',
    'Kaur',
    'Hansen',
    'Bianchi',
]
DIAGNOSES = [
    'Upper respiratory tract infection',
    'Hypertension, follow-up',
    'Type 2 diabetes review',
    'Atopic dermatitis',
    'Lower back pain',
    'Migraine',
    'Gastritis',
    'Allergic rhinitis',
    'Iron deficiency anaemia',
    'Anxiety disorder',
    'Otitis media',
    'Conjunctivitis',
    'Sprained ankle',
    'Hypothyroidism',
    'Seasonal influenza',
    'Routine check-up',
]
MEDICINES = [
    ('Paracetamol', '500 mg', 'every 6 hours', '5 days'),
    ('Ibuprofen', '400 mg', 'three times a day', '7 days'),
    ('Amoxicillin', '500 mg', 'three times a day', '7 days'),
    ('Metformin', '500 mg', 'twice a day', '3 months'),
    ('Amlodipine', '5 mg', 'once a day', '3 months'),
    ('Cetirizine', '10 mg', 'once a day', '14 days'),
    ('Levothyroxine', '50 µg', 'once a day', '3 months'),
    ('Omeprazole', '20 mg', 'once a day', '4 weeks'),
]
REASONS = ['', '', 'Check-up', 'Follow-up', 'Pain', 'Prescription renewal', 'Test results', 'Fever', 'Rash']
WORKING_WEEKS = [
    [(time(9), time(13)), (time(14), time(17))],
    [(time(8), time(12)), (time(13), time(16))],
    [(time(10), time(14)), (time(15), time(19))],
]
CHUNK = 20_000
GRID_ZONE = ZoneInfo('UTC')  # the slot grid of a working week is laid out once, in UTC, then placed on local days

T = TypeVar('T')


@dataclass(frozen=True)
class SeedResult:
    departments: int
    doctors: int
    patients: int
    appointments: int
    treatments: int
    password: str | None  # the generated password, when none was given
    accounts_file: Path


def _chunks(rows: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def quarters(start: datetime, end: datetime) -> list[datetime]:
    """The quarter-hours an appointment touches: two appointments overlap only if they share one."""
    cursor = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    touched = []
    while cursor < end:
        touched.append(cursor)
        cursor += timedelta(minutes=15)
    return touched


def appointment_row(
    rng: random.Random,
    appointment_id: int,
    doctor_id: int,
    patient_id: int,
    start: datetime,
    end: datetime,
    status: AppointmentStatus,
) -> dict[str, Any]:
    """An appointment as a bulk-insert row, booked by the patient some days before; a cancelled one by them too."""
    created_at = start - timedelta(days=rng.randint(1, 20))
    cancelled = status is AppointmentStatus.CANCELLED
    # A completed visit's day (check-in, call, end) for the waiting-time figures; spread by the id rather than drawn
    # from ``rng``, so the rest of the data stays what a seed always gave.
    arrived_at = called_at = completed_at = None
    if status is AppointmentStatus.COMPLETED:
        arrived_at = start - timedelta(minutes=appointment_id * 7 % 16)
        called_at = start + timedelta(minutes=appointment_id * 11 % 21)
        completed_at = called_at + (end - start) * (0.6 + appointment_id % 5 / 10)
    return {
        'id': appointment_id,
        'doctor_id': doctor_id,
        'patient_id': patient_id,
        'start_at': start,
        'end_at': end,
        'status': status,
        'reason': rng.choice(REASONS),
        'created_at': created_at,
        'updated_at': created_at,
        'booked_by_id': patient_id,
        'sequence': 0,
        'cancelled_at': created_at if cancelled else None,
        'cancelled_by_id': patient_id if cancelled else None,
        'cancel_reason': 'Cancelled by the patient.' if cancelled else None,
        'arrived_at': arrived_at,
        'called_at': called_at,
        'completed_at': completed_at,
    }


def treatment_row(rng: random.Random, appointment_id: int, doctor_id: int, end: datetime) -> dict[str, Any]:
    """The record of a completed visit (diagnosis, up to two prescription lines) as a bulk-insert row."""
    medicines = rng.sample(MEDICINES, rng.randint(0, 2))
    return {
        'appointment_id': appointment_id,
        'diagnosis': rng.choice(DIAGNOSES),
        'treatment_given': 'Advice given.',
        'prescription': [
            {'name': n, 'dose': d, 'frequency': f, 'duration': u, 'instructions': ''} for n, d, f, u in medicines
        ],
        'tests_advised': '',
        'notes': 'Rest and plenty of fluids.',
        'private_notes': '',
        'next_visit_date': None,
        'created_at': end,
        'created_by_id': doctor_id,
        'updated_at': end,
        'version': 1,
    }


def _name(rng: random.Random) -> str:
    return f'{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}'


def seed(
    db: Database,
    settings: Settings,
    *,
    doctors: int,
    patients: int,
    appointments: int,
    seed: int = 1,
    password: str | None = None,
    past_days: int = 365,
    future_days: int = 21,
    departments: int | None = None,
) -> SeedResult:
    """Fill the database (which must hold no demo accounts yet) and list the accounts in demo-accounts.csv.

    ``departments`` given: that many, with the doctors shared among them in turn (none left without a doctor);
    otherwise one department per three doctors, each doctor in one drawn at random.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    generated = None if password else secrets.token_urlsafe(10)
    shared_hash = hash_password(password or generated or '')  # one hash for all: hashing a million times proves nothing
    zone = settings.zone
    now = clock.now()
    today = now.astimezone(zone).date()
    accounts: list[tuple[str, str, int]] = []
    with db.uow() as uow:
        session = uow.session
        department_ids = []
        wanted_departments = departments or max(1, min(len(DEPARTMENTS), doctors // 3 or 1))
        for name, description in DEPARTMENTS[:wanted_departments]:
            department = uow.departments.by_name(name) or Department(name=name, description=description, created_at=now)
            session.add(department)
            session.flush()
            department_ids.append(department.id)

        doctor_rows = []
        for number in range(doctors):
            user = User(
                email=f'doctor{number + 1}@demo.hms.test',
                password_hash=shared_hash,
                role=Role.DOCTOR,
                name=f'Dr {_name(rng)}',
                is_active=True,
                must_change_password=False,
                created_at=now - timedelta(days=400),
                password_changed_at=now,
            )
            session.add(user)
            doctor_rows.append(user)
        session.flush()
        doctor_plans: dict[int, tuple[int, list[tuple[time, time]]]] = {}
        for number, user in enumerate(doctor_rows):
            minutes = rng.choice([15, 20, 30, 30])
            in_turn = department_ids[number % len(department_ids)]
            session.add(
                DoctorProfile(
                    user_id=user.id,
                    department_id=in_turn if departments else rng.choice(department_ids),
                    experience_years=rng.randint(1, 35),
                    qualifications=rng.choice(['MD', 'MBBS', 'MD, PhD', 'MBBS, MRCP']),
                    bio='',
                    consultation_minutes=minutes,
                )
            )
            doctor_plans[user.id] = (minutes, rng.choice(WORKING_WEEKS))
            accounts.append((user.email or '', 'doctor', user.id))  # every seeded account has an address
        session.flush()  # profiles before their windows: no relationship tells the flush that order
        for doctor_id, (_, week) in doctor_plans.items():
            for weekday in range(5):
                for start, end in week:
                    session.add(WeeklyWindow(doctor_id=doctor_id, weekday=weekday, start_time=start, end_time=end))

        patient_ids: list[int] = []
        for batch in _chunks(range(patients), 5_000):
            users = [
                User(
                    email=f'patient{number + 1}@demo.hms.test',
                    password_hash=shared_hash,
                    role=Role.PATIENT,
                    name=_name(rng),
                    is_active=True,
                    must_change_password=False,
                    created_at=now - timedelta(days=rng.randint(0, past_days), minutes=rng.randint(0, 1440)),
                    password_changed_at=now,
                )
                for number in batch
            ]
            session.add_all(users)
            session.flush()
            for user in users:
                age = min(99, max(0, int(rng.gauss(42, 20))))
                session.add(
                    PatientProfile(
                        user_id=user.id,
                        date_of_birth=date(today.year - age, rng.randint(1, 12), rng.randint(1, 28)),
                        gender=rng.choice(
                            [Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.MALE, Gender.OTHER, Gender.UNDISCLOSED]
                        ),
                        phone=f'+44 20 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}',
                        address='',
                    )
                )
                patient_ids.append(user.id)
                accounts.append((user.email or '', 'patient', user.id))
            session.flush()
        uow.commit()

    created, treatments = _appointments(
        db, rng, doctor_plans, patient_ids, appointments, today, past_days, future_days, now, zone
    )
    accounts_file = settings.ensure_data_dir() / 'demo-accounts.csv'
    with accounts_file.open('w', newline='', encoding='utf-8') as handle:
        writer = csv.writer(handle)
        writer.writerow(['email', 'role', 'id'])
        writer.writerows(accounts)
    if generated:
        write_private_file(settings.data_path / 'demo-password.txt', generated + '\n')
    return SeedResult(len(department_ids), doctors, patients, created, treatments, generated, accounts_file)


def _appointments(
    db: Database,
    rng: random.Random,
    doctor_plans: dict[int, tuple[int, list[tuple[time, time]]]],
    patient_ids: list[int],
    wanted: int,
    today: date,
    past_days: int,
    future_days: int,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[int, int]:
    if not doctor_plans or not patient_ids or wanted <= 0:
        return 0, 0
    doctor_ids = list(doctor_plans)
    grids: dict[tuple[int, int], list[Slot]] = {}  # (minutes, week index) -> slot offsets per day, computed once
    taken: set[tuple[int, datetime]] = set()  # active (doctor, start)
    busy: set[tuple[int, datetime]] = set()  # (patient, quarter-hour) covered by an active appointment
    first_day = today - timedelta(days=past_days)
    span = past_days + future_days
    created = treatments = 0
    with db.engine.connect() as connection:
        next_id = 1 + (connection.exec_driver_sql('SELECT COALESCE(MAX(id), 0) FROM appointments').scalar() or 0)
    attempts = 0
    with db.uow() as uow:
        appointment_rows: list[dict[str, Any]] = []
        treatment_rows: list[dict[str, Any]] = []

        def flush() -> None:
            if appointment_rows:
                uow.session.execute(insert(Appointment), appointment_rows)
            if treatment_rows:
                uow.session.execute(insert(Treatment), treatment_rows)
            appointment_rows.clear()
            treatment_rows.clear()

        while created < wanted and attempts < wanted * 20:
            attempts += 1
            doctor_id = rng.choice(doctor_ids)
            minutes, week = doctor_plans[doctor_id]
            day = first_day + timedelta(days=rng.randrange(span + 1))
            if day.weekday() >= 5:
                continue
            key = (minutes, WORKING_WEEKS.index(week))
            if key not in grids:
                grids[key] = day_slots(date(2026, 1, 5), [Window(s, e) for s, e in week], minutes, GRID_ZONE)
            template = rng.choice(grids[key])
            local_start = datetime.combine(day, template.start.time(), tzinfo=zone)
            start = local_start.astimezone(UTC)
            end = start + timedelta(minutes=minutes)
            in_past = end <= now
            if in_past:
                status = rng.choices(
                    [AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW], [80, 12, 8]
                )[0]
            else:
                status = rng.choices([AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED], [90, 10])[0]
            patient_id = rng.choice(patient_ids)
            touched = quarters(start, end)
            active = status is not AppointmentStatus.CANCELLED
            if active and ((doctor_id, start) in taken or any((patient_id, q) in busy for q in touched)):
                continue
            if active:
                taken.add((doctor_id, start))
                busy.update((patient_id, q) for q in touched)
            appointment_rows.append(appointment_row(rng, next_id, doctor_id, patient_id, start, end, status))
            if status is AppointmentStatus.COMPLETED:
                treatment_rows.append(treatment_row(rng, next_id, doctor_id, end))
                treatments += 1
            next_id += 1
            created += 1
            if len(appointment_rows) >= CHUNK:
                flush()
        flush()
        _catch_up_ids(uow)
        uow.commit()
    return created, treatments


def insert_appointments(db: Database, appointments: list[dict[str, Any]], treatments: list[dict[str, Any]]) -> None:
    """Write appointment and treatment rows (with explicit ids, as ``appointment_row`` makes them) in bulk."""
    with db.uow() as uow:
        for batch in _chunks(appointments):
            uow.session.execute(insert(Appointment), batch)
        for batch in _chunks(treatments):
            uow.session.execute(insert(Treatment), batch)
        _catch_up_ids(uow)
        uow.commit()


def _catch_up_ids(uow: UnitOfWork) -> None:
    if uow.session.get_bind().dialect.name == 'postgresql':  # explicit ids leave the sequence behind: bookings collide
        uow.session.execute(
            text("SELECT setval(pg_get_serial_sequence('appointments', 'id'), MAX(id)) FROM appointments")
        )
