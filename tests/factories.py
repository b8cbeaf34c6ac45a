"""Builders of test data: people, a treatment record, finished exports."""

from __future__ import annotations

from datetime import date

from hms import clock
from hms.context import AppContext
from hms.db.models import Department, DoctorProfile, User
from hms.domain.desk import ReceptionistIn
from hms.domain.enums import Gender, Role
from hms.domain.schemas import PatientRegistration
from hms.security.passwords import hash_password
from hms.services import accounts, exports, receptionists
from hms.services.principal import Principal

ADMIN_EMAIL = 'admin@clinic.test'
ADMIN_PASSWORD = 'Quiet-Harbour-Lantern-42'
PATIENT_PASSWORD = 'Meadow-Violet-Thunder-7'
DOCTOR_PASSWORD = 'Copper-Kettle-Orchard-9'
RECEPTION_PASSWORD = 'Linen-Sparrow-Beacon-58'
# A visit's treatment record as the doctor fills it in (the fields of TreatmentIn).
TREATMENT = {
    'diagnosis': 'Seasonal influenza',
    'treatment': 'Rest and fluids',
    'prescription': [
        {
            'name': 'Paracetamol',
            'dose': '500 mg',
            'frequency': 'every 6 hours',
            'duration': '5 days',
            'instructions': 'after meals',
        },
    ],
    'tests': 'None',
    'notes': 'Stay home until the fever is gone.',
    'private_notes': 'Watch for secondary infection.',
    'next_visit': '2026-03-16',
}


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
    registration = PatientRegistration.model_validate(patient_data(email, **overrides))
    unlimited = ctx.settings.model_copy(update={'registration_per_hour': 1_000_000})  # fixtures register many
    with ctx.uow() as uow:
        accounts.register_patient(uow, unlimited, registration, ip='127.0.0.1')
        user = uow.users.by_email(registration.email)
        assert user is not None
        return user


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
                email=email,
                password_hash=hash_password(DOCTOR_PASSWORD),
                role=Role.DOCTOR,
                name=name,
                is_active=True,
                must_change_password=must_change_password,
                created_at=now,
                password_changed_at=now,
            )
        )
        uow.session.add(DoctorProfile(user_id=user.id, department_id=department.id, experience_years=10))
        uow.commit()
        return user


def birthday(years_ago: int) -> date:
    today = clock.now().date()
    return today.replace(year=today.year - years_ago)


def build_export(ctx: AppContext, owner: Principal, kind: str) -> tuple[int, bytes, int]:
    """An export requested and built by the worker's steps, run here (not stored yet): its id, CSV and row count."""
    with ctx.uow() as uow:
        view = exports.request_export(uow, ctx.settings, owner, kind, None, None)
    with ctx.uow() as uow:
        job = exports.begin(uow, view.id)
        assert job is not None
        content, rows = exports.build_csv(uow, ctx.settings, job)
    return view.id, content, rows


def finished_export(ctx: AppContext, owner: Principal, kind: str = 'my-history') -> int:
    """An export finished by the worker's steps, run here, its file stored: its id."""
    export_id, content, rows = build_export(ctx, owner, kind)
    name = exports.store_file(ctx.settings, content)
    with ctx.uow() as uow:
        assert exports.finish(uow, export_id, name, rows)
    return export_id


def make_receptionist(
    ctx: AppContext, admin: Principal, email: str = 'rita@clinic.test', *, name: str = 'Rita Desk'
) -> Principal:
    """A receptionist created by the administrator (``receptionists.add_receptionist``), with RECEPTION_PASSWORD as
    if the one-time password were already changed: the receptionist's principal."""
    with ctx.uow() as uow:
        created = receptionists.add_receptionist(uow, admin, ReceptionistIn(name=name, email=email)).receptionist
    with ctx.uow() as uow:
        user = uow.users.get(created.id)
        assert user is not None
        user.password_hash, user.must_change_password = hash_password(RECEPTION_PASSWORD), False
        uow.commit()
    return Principal(
        user_id=created.id, role=Role.RECEPTION, name=created.name, email=created.email, must_change_password=False
    )
