"""Many clients racing for the same few slots against a real SQLite file: exactly one booking per slot wins."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from hms.db.models import Appointment, PatientProfile, User
from hms.domain.enums import AppointmentStatus, Gender, Role
from hms.domain.errors import SlotTaken
from hms.domain.scheduling import BookingIn
from hms.security.passwords import hash_password
from hms.services import appointments

from .scheduling_fixtures import Clinic, local, principal

RACERS = 24
CONTESTED = [local(3, 9), local(3, 9, 30), local(3, 10)]


def add_patients(clinic: Clinic, count: int) -> list[int]:
    password_hash = hash_password('Racing-Patient-Password-1')  # one hash for all: hashing is not under test
    now = local(1, 12)
    ids = []
    with clinic.ctx.uow() as uow:
        for number in range(count):
            user = uow.users.add(
                User(
                    email=f'racer{number}@example.com',
                    password_hash=password_hash,
                    role=Role.PATIENT,
                    name=f'Racer {number}',
                    created_at=now,
                    password_changed_at=now,
                )
            )
            uow.session.add(
                PatientProfile(
                    user_id=user.id,
                    date_of_birth=local(1, 0).date().replace(year=1990),
                    gender=Gender.OTHER,
                    phone='0123456789',
                    address='',
                )
            )
            ids.append(user.id)
        uow.commit()
    return ids


def test_exactly_one_booking_per_slot_under_contention(clinic: Clinic) -> None:
    patient_ids = add_patients(clinic, RACERS)
    start_line = threading.Barrier(RACERS)

    def race(index: int) -> str:
        patient = principal(patient_ids[index], Role.PATIENT)
        wanted = CONTESTED[index % len(CONTESTED)]
        start_line.wait()
        try:
            with clinic.ctx.uow() as uow:
                appointments.book(
                    uow, clinic.ctx.settings, patient, BookingIn(doctor_id=clinic.doctor.user_id, start=wanted)
                )
            return 'booked'
        except SlotTaken:
            return 'taken'

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = Counter(pool.map(race, range(RACERS)))  # any other exception fails the test here

    assert outcomes == {'booked': len(CONTESTED), 'taken': RACERS - len(CONTESTED)}
    with clinic.ctx.uow() as uow:
        per_slot = dict(
            uow.session.execute(
                select(Appointment.start_at, func.count())
                .where(Appointment.status == AppointmentStatus.BOOKED)
                .group_by(Appointment.start_at)
            ).all()
        )
    assert per_slot == dict.fromkeys(CONTESTED, 1)
