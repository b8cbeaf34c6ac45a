"""Builders of people for tests (the services for staff accounts arrive with the scheduling feature)."""

from __future__ import annotations

from datetime import date

from hms import clock
from hms.context import AppContext
from hms.db.models import Department, DoctorProfile, User
from hms.domain.enums import Gender, Role
from hms.domain.schemas import PatientRegistration
from hms.security.passwords import hash_password
from hms.services import accounts

ADMIN_EMAIL = 'admin@clinic.test'
ADMIN_PASSWORD = 'Quiet-Harbour-Lantern-42'
PATIENT_PASSWORD = 'Meadow-Violet-Thunder-7'
DOCTOR_PASSWORD = 'Copper-Kettle-Orchard-9'


def patient_data(email: str = 'ada@example.com', **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        'name': 'Ada Lovelace',
        'email': email,
        'password': PATIENT_PASSWORD,
        'dob': '1990-12-10',
        'phone': '+44 20 7946 0000',
        'address': '12 St James Square, London',
        'gender': Gender.FEMALE.value,
    }
    data.update(overrides)
    return data


def make_patient(ctx: AppContext, email: str = 'ada@example.com', **overrides: object) -> User:
    with ctx.uow() as uow:
        return accounts.register_patient(uow, PatientRegistration.model_validate(patient_data(email, **overrides)))


def make_doctor(
    ctx: AppContext, email: str = 'house@clinic.test', *, must_change_password: bool = False, name: str = 'Greg House'
) -> User:
    now = clock.now()
    with ctx.uow() as uow:
        department = uow.session.query(Department).filter_by(name='General Medicine').one_or_none()
        if department is None:
            department = Department(name='General Medicine', description='', created_at=now)
            uow.session.add(department)
            uow.session.flush()
        user = uow.users.add(
            User(
                email=email, password_hash=hash_password(DOCTOR_PASSWORD), role=Role.DOCTOR, name=name,
                is_active=True, must_change_password=must_change_password, created_at=now, password_changed_at=now,
            )
        )  # fmt: skip
        uow.session.add(DoctorProfile(user_id=user.id, department_id=department.id, experience_years=10))
        uow.commit()
        return user


def birthday(years_ago: int) -> date:
    today = clock.now().date()
    return today.replace(year=today.year - years_ago)
