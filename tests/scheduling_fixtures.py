"""A small clinic for scheduling tests: Berlin time, one department, two doctors with a weekly template, patients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from hms.clock import ManualClock
from hms.context import AppContext
from hms.db.models import Appointment, Treatment
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.scheduling import AvailabilityIn, DepartmentIn, DoctorIn
from hms.services import availability, departments, doctors
from hms.services.principal import Principal

from .factories import ADMIN_EMAIL, make_patient

ZONE = 'Europe/Berlin'
# Monday 2 March 2026, 08:00 in Berlin (CET, UTC+1).
MONDAY_8_LOCAL = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
WORKING_WEEK = {
    'weekly': [
        {'weekday': day, 'start': start, 'end': end}
        for day in range(5)
        for start, end in (('09:00', '13:00'), ('14:00', '17:00'))
    ]
}


@dataclass
class Clinic:
    ctx: AppContext
    admin: Principal
    department_id: int
    doctor: Principal
    other_doctor: Principal
    patient: Principal
    other_patient: Principal


def principal(user_id: int, role: Role, name: str = 'Someone', email: str = 'x@example.com') -> Principal:
    return Principal(user_id=user_id, role=role, name=name, email=email, must_change_password=False)


@pytest.fixture
def clinic(ctx: AppContext, clock: ManualClock) -> Clinic:
    clock.set(MONDAY_8_LOCAL)
    ctx.settings = ctx.settings.model_copy(update={'timezone': ZONE})
    with ctx.uow() as uow:
        admin_user = uow.users.by_email(ADMIN_EMAIL)
        assert admin_user is not None
    admin = principal(admin_user.id, Role.ADMIN, 'Administrator', ADMIN_EMAIL)
    with ctx.uow() as uow:
        department = departments.create_department(uow, admin, DepartmentIn(name='Cardiology', description='Hearts'))
    created = []
    for name, email in (('Meredith Grey', 'grey@clinic.test'), ('Derek Shepherd', 'shepherd@clinic.test')):
        with ctx.uow() as uow:
            new = doctors.add_doctor(
                uow,
                admin,
                DoctorIn(
                    name=name,
                    email=email,
                    department_id=department.id,
                    consultation_minutes=30,
                    experience_years=12,
                    qualifications='MD',
                    bio='Cardiologist',
                ),
            )
        created.append(principal(new.doctor.id, Role.DOCTOR, name, email))
    for doctor in created:
        with ctx.uow() as uow:
            availability.set_availability(uow, ctx.settings, doctor, AvailabilityIn.model_validate(WORKING_WEEK))
    ada = make_patient(ctx, 'ada@example.com')
    bob = make_patient(ctx, 'bob@example.com', name='Bob Builder', phone='+49 30 1234-5678')
    return Clinic(
        ctx=ctx,
        admin=admin,
        department_id=department.id,
        doctor=created[0],
        other_doctor=created[1],
        patient=principal(ada.id, Role.PATIENT, ada.name, ada.email),
        other_patient=principal(bob.id, Role.PATIENT, bob.name, bob.email),
    )


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A wall-clock time in Berlin in 2026."""
    from zoneinfo import ZoneInfo

    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(ZONE))


def insert_appointment(
    clinic: Clinic,
    doctor_id: int,
    patient_id: int,
    start: datetime,
    status: AppointmentStatus = AppointmentStatus.COMPLETED,
    diagnosis: str | None = None,
) -> int:
    """A half-hour appointment (and, with a diagnosis, its treatment record) inserted directly, as history: no
    booking rules, no notices."""
    with clinic.ctx.uow() as uow:
        appointment = Appointment(
            doctor_id=doctor_id,
            patient_id=patient_id,
            start_at=start,
            end_at=start + timedelta(minutes=30),
            status=status,
            reason='',
            created_at=start,
            updated_at=start,
            sequence=0,
        )
        uow.session.add(appointment)
        uow.session.flush()
        appointment_id = appointment.id
        if diagnosis is not None:
            uow.session.add(
                Treatment(
                    appointment_id=appointment_id,
                    diagnosis=diagnosis,
                    prescription=[],
                    created_at=start,
                    created_by_id=doctor_id,
                    updated_at=start,
                    version=1,
                )
            )
        uow.commit()
    return appointment_id
