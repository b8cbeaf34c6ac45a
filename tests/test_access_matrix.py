"""Walks the whole access rule matrix (tests/access_matrix.py) against the running app, and keeps it complete.

Each actor gets a fresh clinic (``world``): A's and B's appointments with X and Y (some started today, one completed,
some ahead), A's finished export, a job run, a failed delivery, and a blacklisted patient whose session and token
were issued before the administrator blacklisted them. The clock stands at Monday 2 March 2026, 12:05 in Berlin.
Cells that change things get fresh objects of their own, so the order of the walk does not matter (except the last
rows, which end or change the caller's credentials).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from nicegui.testing import User

from hms.api.app import API_PREFIX, create_api, mount
from hms.clock import ManualClock
from hms.db.models import Delivery, JobRun
from hms.domain.desk import ReceptionistIn
from hms.domain.enums import AppointmentStatus, Channel, DeliveryStatus, Role, SessionKind
from hms.domain.front_desk import DeskBookingIn
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import BookingIn, DepartmentIn, DoctorIn
from hms.domain.schemas import Credentials
from hms.security import totp
from hms.services import (
    accounts,
    appointments,
    boards,
    calendars,
    departments,
    doctors,
    documents,
    front_desk,
    queue,
    receptionists,
    records,
    two_factor,
)
from hms.services.principal import Principal

from . import access_matrix as matrix
from .access_matrix import ACTORS, ADMIN, ANON, BLACKLISTED, DOCTOR_X, DOCTOR_Y, PATIENT_A, PATIENT_B, RECEPTION
from .api_fixtures import give_password
from .factories import (
    ADMIN_PASSWORD,
    DOCTOR_PASSWORD,
    PATIENT_PASSWORD,
    RECEPTION_PASSWORD,
    finished_export,
    make_patient,
    make_receptionist,
    patient_data,
)
from .page_steps import see, sign_in, submit_credentials
from .scheduling_fixtures import WORKING_WEEK, Clinic, insert_appointment, local

DOC = Path(__file__).resolve().parents[1] / 'docs' / 'access-matrix.md'
WALK_TIME = local(2, 12, 5)  # Monday, after the morning's appointments started
NEW_PASSWORD = 'Granite-Willow-Compass-31'
FORBIDDEN_TEXTS = (
    'You do not have access to this page.',
    'No such patient among yours.',
    'No such appointment',
    'No such document',
)
TREATMENT = {'diagnosis': 'Seasonal influenza', 'treatment': 'Rest and fluids'}


# --- The world every actor is tested in -------------------------------------------------------------------------------


@dataclass
class World:
    clinic: Clinic
    clock: ManualClock
    carol: Principal  # the patient who is blacklisted
    receptionist: Principal
    ids: dict[str, int] = field(default_factory=dict)
    _slots: Iterator[datetime] = field(init=False)
    _serial: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        # Future slots, Tuesday to Friday, each used once whatever the doctor: a patient never overlaps herself.
        self._slots = (
            local(day, hour, minute)
            for day in range(3, 7)
            for hour in (9, 10, 11, 12, 14, 15, 16)
            for minute in (0, 30)
        )

    @property
    def ctx(self) -> Any:
        return self.clinic.ctx

    def person(self, actor: str) -> Principal:
        c = self.clinic
        return {
            PATIENT_A: c.patient,
            PATIENT_B: c.other_patient,
            DOCTOR_X: c.doctor,
            DOCTOR_Y: c.other_doctor,
            ADMIN: c.admin,
            RECEPTION: self.receptionist,
            BLACKLISTED: self.carol,
        }[actor]

    def password(self, actor: str) -> str:
        return {
            ADMIN: ADMIN_PASSWORD,
            DOCTOR_X: DOCTOR_PASSWORD,
            DOCTOR_Y: DOCTOR_PASSWORD,
            RECEPTION: RECEPTION_PASSWORD,
        }.get(actor, PATIENT_PASSWORD)

    def unique(self, prefix: str) -> str:
        return f'{prefix}{next(self._serial)}'

    def next_slot(self) -> datetime:
        return next(self._slots)

    def book(self, patient: Principal, doctor: Principal, start: datetime | None = None) -> int:
        with self.ctx.uow() as uow:
            data = BookingIn(doctor_id=doctor.user_id, start=start or self.next_slot(), reason='Check-up')
            return appointments.book(uow, self.ctx.settings, patient, data).id

    def fresh_patient(self) -> int:
        return make_patient(self.ctx, self.unique('someone') + '@example.com').id

    def fresh_doctor(self) -> int:
        with self.ctx.uow() as uow:
            data = DoctorIn(
                name='Temp Doctor',
                email=self.unique('temp') + '@clinic.test',
                department_id=self.clinic.department_id,
                consultation_minutes=30,
            )
            return doctors.add_doctor(uow, self.clinic.admin, data).doctor.id

    def fresh_receptionist(self) -> int:
        with self.ctx.uow() as uow:
            data = ReceptionistIn(name='Temp Desk', email=self.unique('desk') + '@clinic.test')
            return receptionists.add_receptionist(uow, self.clinic.admin, data).receptionist.id

    def fresh_department(self) -> int:
        with self.ctx.uow() as uow:
            return departments.create_department(uow, self.clinic.admin, DepartmentIn(name=self.unique('Ward '))).id

    def blacklist(self, user_id: int) -> None:
        with self.ctx.uow() as uow:
            doctors.set_active(uow, self.ctx.settings, self.clinic.admin, user_id, active=False, reason='test')

    def totp_code(self, actor: str) -> str:
        """A code of the actor's authenticator, in a time step of its own (a code is never accepted twice)."""
        self.clock.advance(timedelta(seconds=30))
        if actor == ANON:
            return '123456'
        with self.ctx.uow() as uow:
            user = uow.users.get(self.person(actor).user_id)
            assert user is not None
            secret = user.totp_secret
        return totp.code_at(secret, self.clock.now()) if secret else '123456'

    def totp_pending(self, actor: str) -> None:
        if actor == ANON:
            return
        with self.ctx.uow() as uow:
            user = uow.users.get(self.person(actor).user_id)
            if user is not None and user.role is not Role.PATIENT and user.totp_secret is None:
                two_factor.begin(uow, self.ctx.settings, self.person(actor), self.password(actor))

    def totp_on(self, actor: str) -> None:
        self.totp_pending(actor)
        if actor == ANON:
            return
        with self.ctx.uow() as uow:
            user = uow.users.get(self.person(actor).user_id)
            if user is not None and user.totp_secret is not None and user.totp_enabled_at is None:
                two_factor.confirm(uow, self.ctx.settings, self.person(actor), self.totp_code(actor))

    def one_time_password_token(self, actor: str) -> str:
        """The actor's account made to change its password first (as a new staff account must), and a fresh token."""
        with self.ctx.uow() as uow:
            user = uow.users.get(self.person(actor).user_id)
            assert user is not None
            user.must_change_password = True
            email = user.email  # a patient's may have changed in an earlier row
            uow.commit()
        return self.api_token(actor, email=email)

    def api_token(self, actor: str, *, email: str | None = None) -> str:
        person = self.person(actor)
        with self.ctx.uow() as uow:
            credentials = Credentials(email=email or person.email, password=self.password(actor))
            return accounts.login(uow, self.ctx.settings, credentials, ip='testclient', kind=SessionKind.API).token


def build_world(clinic: Clinic, clock: ManualClock) -> World:
    """Everything the matrix names; the clock ends at WALK_TIME. Carol is not blacklisted yet (the caller signs her
    in first)."""
    ctx = clinic.ctx
    ctx.settings = ctx.settings.model_copy(update={'max_future_bookings': 1000, 'redis_url': None})
    for doctor in (clinic.doctor, clinic.other_doctor):
        give_password(clinic, doctor)
    carol_user = make_patient(ctx, 'carol@example.com', name='Carol Danvers')
    carol = Principal(
        user_id=carol_user.id,
        role=Role.PATIENT,
        name=carol_user.name,
        email=carol_user.email,
        must_change_password=False,
    )
    receptionist = make_receptionist(ctx, clinic.admin)  # created by the administrator, password already changed
    world = World(clinic, clock, carol, receptionist)
    a, b, x, y = clinic.patient, clinic.other_patient, clinic.doctor, clinic.other_doctor
    ids = world.ids
    # This morning (booked at 08:00, started by the walk's 12:05).
    ids['started'] = world.book(a, x, local(2, 9))
    ids['started_2'] = world.book(a, x, local(2, 9, 30))
    ids['completed'] = world.book(a, x, local(2, 10))
    world.book(b, y, local(2, 10, 30))
    world.book(carol, x, local(2, 11))
    clock.set(WALK_TIME)
    ids['booked'] = world.book(a, x)
    with ctx.uow() as uow:
        records.complete_visit(uow, ctx.settings, x, ids['completed'], TreatmentIn.model_validate(TREATMENT))
    with ctx.uow() as uow:
        records.amend_treatment(
            uow, ctx.settings, x, ids['completed'], TreatmentIn.model_validate({**TREATMENT, 'treatment': 'Rest'})
        )
    ids['export'] = finished_export(world.ctx, a)
    now = clock.now()
    with ctx.uow() as uow:
        run = JobRun(
            job='daily-reminders', started_at=now, finished_at=now, status='done', detail={'day': '2026-03-02'}
        )
        delivery = Delivery(
            key='reminder:2026-03-02:appointment:1:email',
            kind='reminder',
            channel=Channel.EMAIL,
            user_id=a.user_id,
            appointment_id=ids['started'],
            recipient=a.email,
            subject='Your appointment',
            status=DeliveryStatus.FAILED,
            attempts=5,
            last_error='SMTP 550',
            created_at=now,
            claimed_at=now,
        )
        uow.session.add_all([run, delivery])
        uow.session.flush()
        ids['run'], ids['delivery'] = run.id, delivery.id
        uow.commit()
    return world


# --- One request per API cell -----------------------------------------------------------------------------------------


@dataclass
class Call:
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    headers: dict[str, str] | None = None  # replaces the actor's own (logout uses a fresh token)


Build = Callable[[World, str], Call]
BUILDERS: dict[str, Build] = {}


def builds(*keys: str) -> Callable[[Build], Build]:
    def register(function: Build) -> Build:
        for key in keys:
            BUILDERS[key] = function
        return function

    return register


def _simple(path: str, **ids: str) -> Build:
    def build(world: World, actor: str) -> Call:
        return Call(path.format(**{name: world.ids[key] for name, key in ids.items()}))

    return build


for _key, _build in {
    'GET /api/openapi.json': _simple('/api/openapi.json'),
    'GET /api/docs': _simple('/api/docs'),
    'GET /api/docs/oauth2-redirect': _simple('/api/docs/oauth2-redirect'),
    'GET /api/health': _simple('/api/health'),
    'GET /api/auth/totp': _simple('/api/auth/totp'),
    'GET /api/me': _simple('/api/me'),
    'GET /api/departments': _simple('/api/departments'),
    'GET /api/doctors': _simple('/api/doctors'),
    'GET /api/appointments': _simple('/api/appointments'),
    'GET /api/doctor/availability': _simple('/api/doctor/availability'),
    'GET /api/doctor/appointments': _simple('/api/doctor/appointments'),
    'GET /api/doctor/patients': _simple('/api/doctor/patients'),
    'GET /api/doctor/schedule': _simple('/api/doctor/schedule'),
    'GET /api/patient/history': _simple('/api/patient/history'),
    'GET /api/patient/profile': _simple('/api/patient/profile'),
    'GET /api/patient/access-log': _simple('/api/patient/access-log'),
    'GET /api/patient/notices': _simple('/api/patient/notices'),
    'POST /api/patient/notices/read': _simple('/api/patient/notices/read'),
    'GET /api/exports': _simple('/api/exports'),
    'GET /api/exports/{export_id}': _simple('/api/exports/{e}', e='export'),
    'GET /api/exports/{export_id}/download': _simple('/api/exports/{e}/download', e='export'),
    'GET /api/appointments/{appointment_id}': _simple('/api/appointments/{a}', a='booked'),
    'GET /api/appointments/{appointment_id}/calendar.ics': _simple('/api/appointments/{a}/calendar.ics', a='booked'),
    'GET /api/doctor/appointments/{appointment_id}/treatment/versions': _simple(
        '/api/doctor/appointments/{a}/treatment/versions', a='completed'
    ),
    'POST /api/doctor/appointments/{appointment_id}/complete': lambda w, _: Call(
        f'/api/doctor/appointments/{w.ids["started"]}/complete', json=TREATMENT
    ),
    'POST /api/doctor/appointments/{appointment_id}/no-show': _simple(
        '/api/doctor/appointments/{a}/no-show', a='started_2'
    ),
    'PUT /api/doctor/appointments/{appointment_id}/treatment': lambda w, _: Call(
        f'/api/doctor/appointments/{w.ids["completed"]}/treatment', json={**TREATMENT, 'tests': w.unique('test ')}
    ),
    'PUT /api/doctor/availability': lambda w, _: Call('/api/doctor/availability', json=WORKING_WEEK),
    'GET /api/admin/departments': _simple('/api/admin/departments'),
    'GET /api/admin/doctors': _simple('/api/admin/doctors'),
    'GET /api/admin/patients': _simple('/api/admin/patients'),
    'GET /api/admin/appointments': _simple('/api/admin/appointments'),
    'GET /api/admin/appointments/{appointment_id}/treatment/versions': _simple(
        '/api/admin/appointments/{a}/treatment/versions', a='completed'
    ),
    'GET /api/admin/stats': _simple('/api/admin/stats'),
    'GET /api/visits/{appointment_id}/summary.pdf': _simple('/api/visits/{a}/summary.pdf', a='completed'),
    'GET /api/visits/{appointment_id}/prescription.pdf': _simple('/api/visits/{a}/prescription.pdf', a='completed'),
    'GET /api/verify/{code}': lambda w, _: Call(f'/api/verify/{_document_code(w)}'),
    'GET /api/admin/boards': _simple('/api/admin/boards'),
    'POST /api/admin/boards': lambda w, _: Call('/api/admin/boards', json={'name': 'Waiting room'}),
    'DELETE /api/admin/boards/{board_id}': lambda w, _: Call(f'/api/admin/boards/{_board(w)[0]}'),
    'GET /api/admin/audit': _simple('/api/admin/audit'),
    'GET /api/admin/jobs': _simple('/api/admin/jobs'),
    'GET /api/admin/jobs/runs/{run_id}': _simple('/api/admin/jobs/runs/{r}', r='run'),
    'GET /api/admin/deliveries': _simple('/api/admin/deliveries'),
    'POST /api/admin/deliveries/{delivery_id}/retry': _simple('/api/admin/deliveries/{d}/retry', d='delivery'),
    'POST /api/admin/jobs/{name}/run': _simple('/api/admin/jobs/daily-reminders/run'),
}.items():
    BUILDERS[_key] = _build


@builds('GET /api/doctors/{doctor_id}')
def _doctor(world: World, actor: str) -> Call:
    return Call(f'/api/doctors/{world.clinic.doctor.user_id}')


@builds('GET /api/doctors/{doctor_id}/slots')
def _slots(world: World, actor: str) -> Call:
    return Call(f'/api/doctors/{world.clinic.doctor.user_id}/slots')


@builds('POST /api/register')
def _register(world: World, actor: str) -> Call:
    return Call('/api/register', json=patient_data(world.unique('newcomer') + '@example.com'))


@builds('POST /api/password-reset')
def _password_reset(world: World, actor: str) -> Call:
    return Call('/api/password-reset', json={'email': world.unique('forgetful') + '@example.com'})


@builds('POST /api/password-reset/confirm')
def _password_reset_confirm(world: World, actor: str) -> Call:
    return Call('/api/password-reset/confirm', json={'token': 'not-a-token', 'password': 'a new and long passphrase'})


@builds('POST /api/verify-email')
def _verify_email(world: World, actor: str) -> Call:
    return Call('/api/verify-email', json={'token': 'not-a-token'})


@builds('POST /api/login')
def _login(world: World, actor: str) -> Call:
    if actor == ANON:
        return Call('/api/login', json={'email': 'nobody@example.com', 'password': PATIENT_PASSWORD})
    return Call('/api/login', json={'email': world.person(actor).email, 'password': world.password(actor)})


@builds('POST /api/logout')
def _logout(world: World, actor: str) -> Call:
    if actor in matrix.SIGNED_IN:
        return Call('/api/logout', headers={'Authorization': f'Bearer {world.api_token(actor)}'})
    return Call('/api/logout')


def _with_one_time_password(path: str) -> Build:
    """The request with a token of the caller's account once it must change its password (no change for callers who
    cannot sign in: anonymous, blacklisted)."""

    def build(world: World, actor: str) -> Call:
        if actor not in matrix.SIGNED_IN:
            return Call(path)
        return Call(path, headers={'Authorization': f'Bearer {world.one_time_password_token(actor)}'})

    return build


BUILDERS['GET /api/appointments [one-time password]'] = _with_one_time_password('/api/appointments')
BUILDERS['GET /api/me [one-time password]'] = _with_one_time_password('/api/me')


@builds('POST /api/me/password')
def _password(world: World, actor: str) -> Call:
    return Call('/api/me/password', json={'current_password': world.password(actor), 'new_password': NEW_PASSWORD})


@builds('POST /api/auth/totp/setup')
def _totp_setup(world: World, actor: str) -> Call:
    return Call('/api/auth/totp/setup', json={'password': world.password(actor)})


@builds('POST /api/auth/totp/confirm')
def _totp_confirm(world: World, actor: str) -> Call:
    world.totp_pending(actor)
    return Call('/api/auth/totp/confirm', json={'code': world.totp_code(actor)})


@builds('POST /api/auth/totp/recovery-codes')
def _totp_recovery(world: World, actor: str) -> Call:
    world.totp_on(actor)
    return Call('/api/auth/totp/recovery-codes', json={'code': world.totp_code(actor)})


@builds('POST /api/auth/totp/disable')
def _totp_disable(world: World, actor: str) -> Call:
    world.totp_on(actor)
    return Call('/api/auth/totp/disable', json={'password': world.password(actor), 'code': world.totp_code(actor)})


@builds('POST /api/patient/profile/email')
def _email(world: World, actor: str) -> Call:
    new = world.unique('moved') + '@example.com'
    return Call('/api/patient/profile/email', json={'new_email': new, 'password': world.password(actor)})


@builds('PATCH /api/patient/profile')
def _profile(world: World, actor: str) -> Call:
    return Call('/api/patient/profile', json={'allergies': 'Penicillin'})


@builds('PATCH /api/patient/profile [forged patient_id]')
def _profile_forged(world: World, actor: str) -> Call:
    return Call('/api/patient/profile', json={'allergies': 'None', 'patient_id': world.clinic.other_patient.user_id})


@builds('POST /api/appointments')
def _book(world: World, actor: str) -> Call:
    start = world.next_slot()
    return Call('/api/appointments', json={'doctor_id': world.clinic.doctor.user_id, 'start': start.isoformat()})


@builds('POST /api/appointments [forged patient_id]')
def _book_forged_patient(world: World, actor: str) -> Call:
    call = _book(world, actor)
    call.json['patient_id'] = world.clinic.other_patient.user_id
    return call


@builds('POST /api/appointments [forged status]')
def _book_forged_status(world: World, actor: str) -> Call:
    call = _book(world, actor)
    call.json['status'] = 'completed'
    return call


@builds('PATCH /api/appointments/{appointment_id}')
def _reschedule(world: World, actor: str) -> Call:
    appointment = world.book(world.clinic.patient, world.clinic.doctor)
    return Call(f'/api/appointments/{appointment}', json={'start': world.next_slot().isoformat()})


@builds('PATCH /api/appointments/{appointment_id} [forged status]')
def _reschedule_forged(world: World, actor: str) -> Call:
    return Call(
        f'/api/appointments/{world.ids["booked"]}', json={'start': world.next_slot().isoformat(), 'status': 'completed'}
    )


@builds('POST /api/appointments/{appointment_id}/cancel')
def _cancel(world: World, actor: str) -> Call:
    appointment = world.book(world.clinic.patient, world.clinic.doctor)
    return Call(f'/api/appointments/{appointment}/cancel', json={'reason': 'Plans changed'})


@builds('POST /api/doctor/appointments/{appointment_id}/cancel')
def _doctor_cancel(world: World, actor: str) -> Call:
    appointment = world.book(world.clinic.patient, world.clinic.doctor)
    return Call(f'/api/doctor/appointments/{appointment}/cancel', json={'reason': 'Doctor unwell'})


@builds('GET /api/doctor/patients/{patient_id}/history')
def _doctor_history_a(world: World, actor: str) -> Call:
    return Call(f'/api/doctor/patients/{world.clinic.patient.user_id}/history')


@builds('GET /api/doctor/patients/{patient_id}/history [patient B]')
def _doctor_history_b(world: World, actor: str) -> Call:
    return Call(f'/api/doctor/patients/{world.clinic.other_patient.user_id}/history')


EXPORT_KIND = {
    Role.PATIENT: 'my-history',
    Role.DOCTOR: 'my-appointments',
    Role.ADMIN: 'appointments',
    Role.RECEPTION: 'my-history',  # reception has no export: it asks for a patient's history, and is refused
}


@builds('POST /api/exports')
def _export(world: World, actor: str) -> Call:
    role = world.person(actor).role if actor != ANON else Role.PATIENT
    body: dict[str, Any] = {'kind': EXPORT_KIND[role]}
    if role is not Role.PATIENT:
        body |= {'from': '2026-03-01', 'to': '2026-03-31'}
    return Call('/api/exports', json=body)


@builds('POST /api/exports [other kind]')
def _export_patients(world: World, actor: str) -> Call:
    return Call('/api/exports', json={'kind': 'patients'})


@builds('POST /api/admin/departments')
def _new_department(world: World, actor: str) -> Call:
    return Call('/api/admin/departments', json={'name': world.unique('Ward ')})


@builds('PATCH /api/admin/departments/{department_id}')
def _patch_department(world: World, actor: str) -> Call:
    return Call(f'/api/admin/departments/{world.fresh_department()}', json={'description': 'Renovated'})


@builds('DELETE /api/admin/departments/{department_id}')
def _delete_department(world: World, actor: str) -> Call:
    return Call(f'/api/admin/departments/{world.fresh_department()}')


@builds('POST /api/admin/doctors')
def _new_doctor(world: World, actor: str) -> Call:
    return Call(
        '/api/admin/doctors',
        json={
            'name': 'New Doctor',
            'email': world.unique('new') + '@clinic.test',
            'department_id': world.clinic.department_id,
        },
    )


@builds('PATCH /api/admin/doctors/{doctor_id}')
def _patch_doctor(world: World, actor: str) -> Call:
    return Call(f'/api/admin/doctors/{world.fresh_doctor()}', json={'experience_years': 3})


@builds('DELETE /api/admin/doctors/{doctor_id}')
def _delete_doctor(world: World, actor: str) -> Call:
    return Call(f'/api/admin/doctors/{world.fresh_doctor()}')


@builds('PUT /api/admin/doctors/{doctor_id}/availability')
def _admin_availability(world: World, actor: str) -> Call:
    return Call(f'/api/admin/doctors/{world.clinic.doctor.user_id}/availability', json=WORKING_WEEK)


@builds('PATCH /api/admin/patients/{patient_id}')
def _patch_patient(world: World, actor: str) -> Call:
    return Call(f'/api/admin/patients/{world.fresh_patient()}', json={'phone': '+49 30 555 0101'})


@builds('POST /api/admin/users/{user_id}/blacklist')
def _blacklist(world: World, actor: str) -> Call:
    return Call(f'/api/admin/users/{world.fresh_patient()}/blacklist', json={'reason': 'Abusive messages'})


# --- the clinic day ---------------------------------------------------------------------------------------------------
AFTERNOON = local(2, 14)  # today, after the walk's 12:05: a time the desk may still book


def _desk_booking(world: World, doctor: Principal) -> int:
    """A fresh patient booked by the desk today with ``doctor`` (a double-booking: the time may be taken)."""
    data = DeskBookingIn(
        patient_id=world.fresh_patient(),
        doctor_id=doctor.user_id,
        start=AFTERNOON,
        reason='At the desk',
        overbook=True,
        override_reason='Matrix',
    )
    with world.ctx.uow() as uow:
        return front_desk.book_for(uow, world.ctx.settings, world.clinic.admin, data).id


def _arrived(world: World, doctor: Principal) -> int:
    appointment = _desk_booking(world, doctor)
    with world.ctx.uow() as uow:
        queue.check_in(uow, world.ctx.settings, world.clinic.admin, appointment)
    return appointment


@builds('POST /api/reception/appointments')
def _desk_book(world: World, actor: str) -> Call:
    body = {'patient_id': world.clinic.patient.user_id, 'doctor_id': world.clinic.doctor.user_id}
    return Call('/api/reception/appointments', json=body | {'start': world.next_slot().isoformat(), 'reason': 'Desk'})


@builds('PATCH /api/reception/appointments/{appointment_id}')
def _desk_move(world: World, actor: str) -> Call:
    appointment = world.book(world.clinic.patient, world.clinic.doctor)
    body = {'start': world.next_slot().isoformat(), 'reason': 'Doctor away'}
    return Call(f'/api/reception/appointments/{appointment}', json=body)


@builds('POST /api/reception/appointments/{appointment_id}/cancel')
def _desk_cancel(world: World, actor: str) -> Call:
    appointment = world.book(world.clinic.patient, world.clinic.doctor)
    return Call(f'/api/reception/appointments/{appointment}/cancel', json={'reason': 'Called in'})


@builds('POST /api/reception/walk-ins')
def _walk_in(world: World, actor: str) -> Call:
    body = {'patient_id': world.fresh_patient(), 'doctor_id': world.clinic.other_doctor.user_id, 'reason': 'Cough'}
    return Call('/api/reception/walk-ins', json=body)


@builds('POST /api/reception/appointments/{appointment_id}/check-in')
def _check_in(world: World, actor: str) -> Call:
    return Call(f'/api/reception/appointments/{_desk_booking(world, world.clinic.other_doctor)}/check-in')


@builds('GET /api/reception/today')
def _today(world: World, actor: str) -> Call:
    return Call('/api/reception/today')


@builds('GET /api/reception/doctors/{doctor_id}/slots')
def _desk_slots(world: World, actor: str) -> Call:
    return Call(f'/api/reception/doctors/{world.clinic.doctor.user_id}/slots', params={'date': '2026-03-03'})


@builds('POST /api/doctor/call-next')
def _call_next(world: World, actor: str) -> Call:
    person = world.person(actor) if actor != ANON else world.clinic.doctor
    _arrived(world, person if person.role is Role.DOCTOR else world.clinic.doctor)
    return Call('/api/doctor/call-next')


@builds('POST /api/doctor/appointments/{appointment_id}/call')
def _call(world: World, actor: str) -> Call:
    return Call(f'/api/doctor/appointments/{_arrived(world, world.clinic.doctor)}/call')


@builds('POST /api/admin/receptionists')
def _new_receptionist(world: World, actor: str) -> Call:
    return Call('/api/admin/receptionists', json={'name': 'New Desk', 'email': world.unique('desk') + '@clinic.test'})


@builds('PATCH /api/admin/receptionists/{receptionist_id}')
def _patch_receptionist(world: World, actor: str) -> Call:
    return Call(f'/api/admin/receptionists/{world.fresh_receptionist()}', json={'name': 'Renamed Desk'})


@builds('DELETE /api/admin/receptionists/{receptionist_id}')
def _delete_receptionist(world: World, actor: str) -> Call:
    return Call(f'/api/admin/receptionists/{world.fresh_receptionist()}')


@builds('POST /api/reception/patients')
def _desk_patient(world: World, actor: str) -> Call:
    name = world.unique('Walk In ')
    return Call('/api/reception/patients', json={'name': name, 'dob': '1970-01-01', 'phone': '+49 30 555 0199'})


@builds('POST /api/admin/users/{user_id}/reactivate')
def _reactivate(world: World, actor: str) -> Call:
    patient = world.fresh_patient()
    world.blacklist(patient)
    return Call(f'/api/admin/users/{patient}/reactivate')


def _by_path(template: str, **objects: Callable[[World], int]) -> Build:
    def build(world: World, actor: str) -> Call:
        return Call(template.format(**{name: get(world) for name, get in objects.items()}))

    return build


_X: Callable[[World], int] = lambda w: w.clinic.doctor.user_id  # noqa: E731
_A: Callable[[World], int] = lambda w: w.clinic.patient.user_id  # noqa: E731
BUILDERS.update(
    {
        'GET /api/departments/{department_id}': _by_path('/api/departments/{d}', d=lambda w: w.clinic.department_id),
        'GET /api/admin/departments/{department_id}': _by_path(
            '/api/admin/departments/{d}', d=lambda w: w.clinic.department_id
        ),
        'GET /api/admin/doctors/{doctor_id}': _by_path('/api/admin/doctors/{x}', x=_X),
        'GET /api/admin/doctors/{doctor_id}/deactivation-impact': _by_path(
            '/api/admin/doctors/{x}/deactivation-impact', x=_X
        ),
        'GET /api/admin/doctors/{doctor_id}/availability': _by_path('/api/admin/doctors/{x}/availability', x=_X),
        'GET /api/admin/doctors/{doctor_id}/schedule': _by_path('/api/admin/doctors/{x}/schedule', x=_X),
        'GET /api/admin/patients/{patient_id}': _by_path('/api/admin/patients/{a}', a=_A),
        'GET /api/admin/patients/{patient_id}/history': _by_path('/api/admin/patients/{a}/history', a=_A),
        'GET /api/admin/receptionists': _by_path('/api/admin/receptionists'),
        'GET /api/reception/patients': _by_path('/api/reception/patients'),
        'GET /api/reception/patients/{patient_id}': _by_path('/api/reception/patients/{a}', a=_A),
    }
)


# The waitlist and leave (issue 20): days far from the bookings the other rows make (3 to 6 March).
LEAVE_DAYS = {'first_day': '2026-03-20', 'last_day': '2026-03-20', 'reason': 'Course'}


def _a_waits(world: World) -> int:
    from hms.domain.waitlist import WaitlistIn
    from hms.services import waitlist

    data = WaitlistIn(doctor_id=world.clinic.doctor.user_id, first_day=local(3, 0).date(), last_day=local(6, 0).date())
    with world.ctx.uow() as uow:
        return waitlist.join(uow, world.ctx.settings, world.clinic.patient, data).id


def _held_for_a(world: World) -> int:
    from hms.db.models import SlotOffer

    entry, start, now = _a_waits(world), world.next_slot(), world.clock.now()
    with world.ctx.uow() as uow:
        offer = SlotOffer(
            entry_id=entry,
            patient_id=world.clinic.patient.user_id,
            doctor_id=world.clinic.doctor.user_id,
            start_at=start,
            end_at=start + timedelta(minutes=30),
            state='held',
            offered_at=now,
            expires_at=now + timedelta(minutes=30),
        )
        uow.session.add(offer)
        uow.commit()
        return offer.id


def _leave_of_x(world: World) -> int:
    from hms.domain.waitlist import LeaveIn
    from hms.services import leave

    with world.ctx.uow() as uow:
        view = leave.add_leave(uow, world.ctx.settings, world.clinic.doctor, LeaveIn.model_validate(LEAVE_DAYS))
        return view.id


def _closure(world: World) -> int:
    from hms.domain.waitlist import LeaveIn
    from hms.services import leave

    with world.ctx.uow() as uow:
        days = LeaveIn.model_validate({**LEAVE_DAYS, 'first_day': '2026-03-21', 'last_day': '2026-03-21'})
        return leave.add_closure(uow, world.ctx.settings, world.clinic.admin, days).id


for _key, _build in {
    'POST /api/patient/waitlist': lambda w, _: Call(
        '/api/patient/waitlist',
        json={'doctor_id': w.clinic.doctor.user_id, 'first_day': '2026-03-03', 'last_day': '2026-03-06'},
    ),
    'GET /api/patient/waitlist': _simple('/api/patient/waitlist'),
    'DELETE /api/patient/waitlist/{entry_id}': lambda w, _: Call(f'/api/patient/waitlist/{_a_waits(w)}'),
    'GET /api/patient/offers': _simple('/api/patient/offers'),
    'POST /api/patient/offers/{offer_id}/accept': lambda w, _: Call(f'/api/patient/offers/{_held_for_a(w)}/accept'),
    'POST /api/patient/offers/{offer_id}/decline': lambda w, _: Call(f'/api/patient/offers/{_held_for_a(w)}/decline'),
    'POST /api/doctor/leave': lambda w, _: Call('/api/doctor/leave', json=LEAVE_DAYS),
    'GET /api/doctor/leave': _simple('/api/doctor/leave'),
    'DELETE /api/doctor/leave/{leave_id}': lambda w, _: Call(f'/api/doctor/leave/{_leave_of_x(w)}'),
    'POST /api/admin/doctors/{doctor_id}/leave': lambda w, _: Call(
        f'/api/admin/doctors/{w.clinic.doctor.user_id}/leave', json=LEAVE_DAYS
    ),
    'GET /api/admin/leave': _simple('/api/admin/leave'),
    'DELETE /api/admin/leave/{leave_id}': lambda w, _: Call(f'/api/admin/leave/{_leave_of_x(w)}'),
    'POST /api/admin/closures': lambda w, _: Call(
        '/api/admin/closures', json={**LEAVE_DAYS, 'first_day': '2026-03-21', 'last_day': '2026-03-21'}
    ),
    'GET /api/admin/closures': _simple('/api/admin/closures'),
    'DELETE /api/admin/closures/{closure_id}': lambda w, _: Call(f'/api/admin/closures/{_closure(w)}'),
    'GET /api/admin/stranded': _simple('/api/admin/stranded'),
}.items():
    BUILDERS[_key] = _build


# One-tap links, the worklists and recalls (issue 20).
def _link_of_booked(world: World) -> str:
    from hms.services import appointment_actions

    with world.ctx.uow() as uow:
        appointment = uow.appointments.get(world.ids['booked'])
        assert appointment is not None
        url = appointment_actions.links(world.ctx.settings, appointment)['confirm']
    return url.rsplit('/a/', 1)[1]


def _past_booked_of_a_with_x(world: World) -> int:
    """A fresh appointment of A with X that ended a week ago and is still booked (each call its own time)."""
    start = world.clock.now().replace(second=0, microsecond=0) - timedelta(days=7, minutes=30 * next(world._serial))
    return insert_appointment(
        world.clinic, world.clinic.doctor.user_id, world.clinic.patient.user_id, start, AppointmentStatus.BOOKED
    )


BUILDERS.update(
    {
        'GET /api/links/{token}': lambda w, _: Call(f'/api/links/{_link_of_booked(w)}'),
        'POST /api/links/{token}': lambda w, _: Call('/api/links/not-a-token'),
        'GET /api/reception/unclosed': _simple('/api/reception/unclosed'),
        'POST /api/reception/unclosed/{appointment_id}/close': lambda w, _: Call(
            f'/api/reception/unclosed/{_past_booked_of_a_with_x(w)}/close', json={'outcome': 'no_show'}
        ),
        'GET /api/reception/recalls': _simple('/api/reception/recalls'),
    }
)


# --- The API walk -----------------------------------------------------------------------------------------------------


@pytest.fixture
def world(clinic: Clinic, clock: ManualClock) -> World:
    return build_world(clinic, clock)


def _api_client() -> Iterator[TestClient]:
    app = FastAPI()
    mount(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize('actor', ACTORS)
def test_every_api_cell_of_the_matrix(world: World, actor: str) -> None:
    """Every API row for one actor: allowed cells answer their `ok` status, refused ones 401/403/404 (422 for forged
    fields) without a trace of patient A's identity or record, and never anything else."""
    headers: dict[str, str] = {}
    if actor != ANON:
        headers = {'Authorization': f'Bearer {world.api_token(actor)}'}
        if actor == BLACKLISTED:
            world.blacklist(world.carol.user_id)
    failures = []
    # What a refusal must never show: patient A's identity and clinical record.
    a = world.clinic.patient
    secrets = (a.name, a.email, TREATMENT['diagnosis'], TREATMENT['treatment'], 'Check-up')
    client_iter = _api_client()
    client = next(client_iter)
    try:
        for rule in matrix.API_RULES:
            call = BUILDERS[rule.key](world, actor)
            response = client.request(
                rule.method, call.path, json=call.json, params=call.params, headers=call.headers or headers
            )
            expected = rule.ok if actor in rule.allowed else rule.refused
            if response.status_code not in expected:
                verdict = 'allowed' if actor in rule.allowed else 'refused'
                failures.append(
                    f'{rule.key} ({rule.object}): {verdict} expected {expected}, got '
                    f'{response.status_code} {response.text[:160]}'
                )
            elif actor not in rule.allowed and (leaked := [s for s in secrets if s in response.text]):
                failures.append(f'{rule.key} ({rule.object}): refused, but the answer shows {leaked}')
            elif rule.problem and actor in matrix.SIGNED_IN and response.json().get('code') != rule.problem:
                failures.append(f'{rule.key} ({rule.object}): expected problem {rule.problem}, got {response.text}')
    finally:
        client_iter.close()
    assert not failures, f'{actor}: {len(failures)} cells wrong:\n' + '\n'.join(failures)


# --- The page walk ----------------------------------------------------------------------------------------------------


def _board(world: World, *, revoked: bool = False) -> tuple[int, str]:
    """A new waiting-room board of the clinic (revoked at once with ``revoked``): its id and secret."""
    with world.ctx.uow() as uow:
        created = boards.create_board(uow, world.ctx.settings, world.clinic.admin)
    if revoked:
        with world.ctx.uow() as uow:
            boards.revoke_board(uow, world.clinic.admin, created.id)
    return created.id, created.url.rsplit('/', 1)[1]


def _document_code(world: World) -> str:
    """The verification code on the summary of A's completed visit with X (made as the completion email makes it)."""
    with world.ctx.uow() as uow:
        return documents.completion_documents(uow, world.ctx.settings, world.ids['completed'])[0].code


def _feed_secret(world: World, *, revoked: bool = False) -> str:
    """A new calendar feed of doctor X (revoked at once with ``revoked``): its secret."""
    with world.ctx.uow() as uow:
        secret = calendars.create_feed(uow, world.clinic.doctor).secret
    if revoked:
        with world.ctx.uow() as uow:
            calendars.revoke_feed(uow, world.clinic.doctor)
    return secret


PAGE_OBJECTS: dict[str, Callable[[World], dict[str, int | str]]] = {
    '/exports/{export_id}/download': lambda w: {'export_id': w.ids['export']},
    '/patient/doctors/{doctor_id}': lambda w: {'doctor_id': w.clinic.doctor.user_id},
    '/doctor/patients/{patient_id}': lambda w: {'patient_id': w.clinic.patient.user_id},
    '/doctor/patients/{patient_id} [patient B]': lambda w: {'patient_id': w.clinic.other_patient.user_id},
    '/doctor/appointments/{appointment_id}': lambda w: {'appointment_id': w.ids['booked']},
    '/calendar/{secret}.ics': lambda w: {'secret': _feed_secret(w)},
    '/calendar/{secret}.ics [revoked]': lambda w: {'secret': _feed_secret(w, revoked=True)},
    '/board/{secret}': lambda w: {'secret': _board(w)[1]},
    '/board/{secret} [revoked]': lambda w: {'secret': _board(w, revoked=True)[1]},
    '/board/{secret} [unknown]': lambda w: {'secret': 'A' * 43},
    '/reset/{token}': lambda w: {'token': 'not-a-token'},
    '/a/{token}': lambda w: {'token': 'not-a-token'},
    '/verify/{value}': lambda w: {'value': 'not-a-token'},
    '/verify/{value} [document code]': lambda w: {'value': _document_code(w)},
    '/visits/{appointment_id}/summary': lambda w: {'appointment_id': w.ids['completed']},
    '/visits/{appointment_id}/prescription': lambda w: {'appointment_id': w.ids['completed']},
    '/admin/doctors/{doctor_id}': lambda w: {'doctor_id': w.clinic.doctor.user_id},
    '/admin/patients/{patient_id}': lambda w: {'patient_id': w.clinic.patient.user_id},
    '/reception/patients/{patient_id}': lambda w: {'patient_id': w.clinic.patient.user_id},
}
HOME_HEADINGS = {
    PATIENT_A: 'My health',
    PATIENT_B: 'My health',
    DOCTOR_X: 'My day',
    DOCTOR_Y: 'My day',
    ADMIN: 'Clinic dashboard',
    BLACKLISTED: 'My health',
}


async def _sign_in(user: User, world: World, actor: str) -> None:
    if actor == RECEPTION:  # signed in towards a page of every role; the desk's home has a row of its own
        await user.open('/login?next=/profile')
        submit_credentials(user, world.person(actor).email, world.password(actor))
        await see(user, 'My account')
        return
    await sign_in(user, world.person(actor).email, world.password(actor), HOME_HEADINGS[actor])


def page_outcome(status: int, location: str, body: str) -> str:
    """What a visitor got: 'login' (sent to sign in), 'refused' (told no), 'redirect' (sent elsewhere), 'shown'."""
    if status in (301, 302, 303, 307):
        return 'login' if location.startswith('/login') else 'redirect'
    if status in (401, 403, 404) or any(text in body for text in FORBIDDEN_TEXTS):
        return 'refused'
    return 'shown' if status == 200 else f'status {status}'


@pytest.mark.parametrize('actor', ACTORS)
async def test_every_page_cell_of_the_matrix(user: User, clinic: Clinic, clock: ManualClock, actor: str) -> None:
    """Every page for one actor: allowed pages are shown (or do their redirect), refused ones send the visitor to
    /login or show a refusal, never the page."""
    world = build_world(clinic, clock)
    if actor != ANON:
        await _sign_in(user, world, actor)
        if actor == BLACKLISTED:
            world.blacklist(world.carol.user_id)
    failures = []
    # What a refusal must never show: patient A's record, and her identity to anyone but herself.
    a = world.clinic.patient
    secrets = (TREATMENT['diagnosis'], TREATMENT['treatment']) + (() if actor == PATIENT_A else (a.name, a.email))
    for rule in matrix.PAGE_RULES:
        objects = PAGE_OBJECTS.get(rule.key.removeprefix('GET '), lambda w: {})(world)
        response = await user.http_client.get(rule.path.format(**objects), follow_redirects=False)
        outcome = page_outcome(response.status_code, response.headers.get('location', ''), response.text)
        if actor in rule.allowed:
            good = outcome in ('shown', 'redirect') or (rule.ok == (303,) and outcome == 'login')
            good = good and response.status_code in rule.ok
        else:
            good = outcome in ('login', 'refused') and not any(secret in response.text for secret in secrets)
        if not good:
            verdict = 'allowed' if actor in rule.allowed else 'refused'
            failures.append(f'{rule.key} ({rule.object}): {verdict} expected, got {outcome} ({response.status_code})')
    assert not failures, f'{actor}: {len(failures)} page cells wrong:\n' + '\n'.join(failures)


# --- Completeness: every route and page has a row, and the document is current ---------------------------------------


def _api_routes(routes: list[Any]) -> set[str]:
    """`METHOD /api/path` of every route of the API, through FastAPI's included routers."""
    found: set[str] = set()
    for route in routes:
        if hasattr(route, 'effective_candidates'):  # an included router (FastAPI >= 0.16x)
            found |= _api_routes(route.effective_candidates())
            continue
        original = getattr(route, 'original_route', route)
        for method in getattr(original, 'methods', None) or ():
            if method != 'HEAD':
                found.add(f'{method} {API_PREFIX}{route.path}')
    return found


def test_every_api_route_has_a_row_and_every_row_a_route() -> None:
    routes = _api_routes(create_api().routes)
    rows = {f'{rule.method} {rule.path}' for rule in matrix.API_RULES}
    assert not routes - rows, f'API routes without a row in tests/access_matrix.py: {sorted(routes - rows)}'
    assert not rows - routes, f'rows for API routes that do not exist: {sorted(rows - routes)}'
    assert all(rule.key in BUILDERS for rule in matrix.API_RULES), 'every API row needs a request builder here'


def _page_routes() -> set[str]:
    from nicegui import app

    return {
        f'{method} {route.path}'
        for route in app.routes
        if isinstance(route, APIRoute) and not route.path.startswith(('/_nicegui', API_PREFIX))
        for method in route.methods
        if method != 'HEAD'
    }


async def test_every_page_has_a_row_and_every_row_a_page(user: User) -> None:
    await user.open('/login')  # main.py has registered every page
    pages = _page_routes()
    rows = {f'{rule.method} {rule.path}' for rule in matrix.PAGE_RULES}
    assert not pages - rows, f'pages without a row in tests/access_matrix.py: {sorted(pages - rows)}'
    assert not rows - pages, f'rows for pages that do not exist: {sorted(rows - pages)}'


def test_the_document_is_generated_from_the_matrix() -> None:
    assert DOC.read_text(encoding='utf-8') == matrix.render(), (
        'docs/access-matrix.md is stale: run `python -m tests.access_matrix > docs/access-matrix.md`'
    )


def test_security_md_states_the_current_number_of_cells() -> None:
    security = (DOC.parent / 'security.md').read_text(encoding='utf-8')
    assert f'**{matrix.cells()}**' in security, f'docs/security.md should say the matrix has {matrix.cells()} cells'


def test_every_actor_is_refused_somewhere_and_allowed_somewhere() -> None:
    """A sanity check of the table itself: nobody is all-powerful, and the blacklisted user reaches only public
    routes."""
    for actor in ACTORS:
        assert any(actor not in rule.allowed for rule in matrix.ALL_RULES), actor
    assert all(BLACKLISTED not in rule.allowed or rule.allowed == matrix.EVERYONE for rule in matrix.ALL_RULES)
    assert matrix.cells() == len(matrix.ALL_RULES) * len(ACTORS)
