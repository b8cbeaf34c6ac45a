"""The no-show policy: 12-month counts of no-shows and late cancellations (for staff and the patient), and online
booking paused after HMS_NO_SHOW_LIMIT no-shows (the front desk still books)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from nicegui.testing import User

from hms.db.models import Appointment
from hms.domain.enums import AppointmentStatus
from hms.domain.front_desk import DeskBookingIn
from hms.domain.scheduling import BookingIn
from hms.services import appointments, front_desk, no_shows
from hms.services.no_shows import NoShowLimitReached

from .api_fixtures import People, assert_problem, login
from .factories import RECEPTION_PASSWORD, make_receptionist
from .page_steps import as_patient, see
from .scheduling_fixtures import Clinic, insert_appointment, local


def missed(clinic: Clinic, start: datetime, patient_id: int | None = None) -> int:
    return insert_appointment(
        clinic, clinic.doctor.user_id, patient_id or clinic.patient.user_id, start, AppointmentStatus.NO_SHOW
    )


def cancelled(clinic: Clinic, start: datetime, *, by: int, before_start: timedelta) -> int:
    appointment_id = insert_appointment(
        clinic, clinic.doctor.user_id, clinic.patient.user_id, start, AppointmentStatus.CANCELLED
    )
    with clinic.ctx.uow() as uow:
        appointment = uow.appointments.get(appointment_id)
        assert isinstance(appointment, Appointment)
        appointment.cancelled_by_id, appointment.cancelled_at = by, start - before_start
        uow.commit()
    return appointment_id


def test_counts_cover_twelve_months_and_only_the_patients_late_cancellations(clinic: Clinic) -> None:
    desk = make_receptionist(clinic.ctx, clinic.admin)
    missed(clinic, local(10, 9, month=2))
    missed(clinic, local(20, 9, month=1))
    missed(clinic, local(20, 9, month=1) - timedelta(days=400))  # older than 12 months
    missed(clinic, local(11, 9, month=2), clinic.other_patient.user_id)  # someone else's
    ada = clinic.patient.user_id
    cancelled(clinic, local(12, 9, month=2), by=ada, before_start=timedelta(hours=1))  # late (cut-off 2 h)
    cancelled(clinic, local(13, 9, month=2), by=desk.user_id, before_start=timedelta(minutes=30))  # late, by phone
    cancelled(clinic, local(16, 9, month=2), by=ada, before_start=timedelta(hours=5))  # in time
    cancelled(clinic, local(17, 9, month=2), by=clinic.doctor.user_id, before_start=timedelta(minutes=10))  # clinic's
    with clinic.ctx.uow() as uow:
        found = no_shows.counts(uow, clinic.ctx.settings, [ada, clinic.other_patient.user_id])
    assert found[ada] == no_shows.Counts(no_shows_12m=2, late_cancellations_12m=2)
    assert found[clinic.other_patient.user_id] == no_shows.Counts(no_shows_12m=1, late_cancellations_12m=0)
    # the window is the existing cut-off: widen it and the in-time cancellation becomes late
    wider = clinic.ctx.settings.model_copy(update={'cancel_cutoff_hours': 6})
    with clinic.ctx.uow() as uow:
        assert no_shows.counts(uow, wider, [ada])[ada].late_cancellations_12m == 3


def test_the_limit_pauses_online_booking_but_not_the_front_desk(clinic: Clinic) -> None:
    settings = clinic.ctx.settings
    for day in (5, 6):
        missed(clinic, local(day, 9, month=2))
    with clinic.ctx.uow() as uow:  # two of three: still books online
        appointments.book(uow, settings, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 9)))
    missed(clinic, local(9, 9, month=2))
    with clinic.ctx.uow() as uow, pytest.raises(NoShowLimitReached) as refused:
        appointments.book(uow, settings, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 10)))
    assert refused.value.status_code == 403 and refused.value.code == 'no_show_limit'
    assert 'front desk' in refused.value.message and '3' in refused.value.message
    desk = make_receptionist(clinic.ctx, clinic.admin)
    with clinic.ctx.uow() as uow:
        front_desk.book_for(
            uow,
            settings,
            desk,
            DeskBookingIn(
                patient_id=clinic.patient.user_id, doctor_id=clinic.doctor.user_id, start=local(3, 10), reason='Phone'
            ),
        )
    # the limit is a setting
    relaxed = settings.model_copy(update={'no_show_limit': 4})
    with clinic.ctx.uow() as uow:
        appointments.book(uow, relaxed, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 11)))
    # no-shows older than 12 months are forgiven
    with clinic.ctx.uow() as uow:
        assert not no_shows.standing_of(uow, settings, clinic.other_patient.user_id).booking_paused


def test_the_api_refuses_with_a_problem_and_shows_the_counts(clinic: Clinic, api: TestClient, people: People) -> None:
    for day in (5, 6, 9):
        missed(clinic, local(day, 9, month=2))
    cancelled(clinic, local(12, 9, month=2), by=clinic.patient.user_id, before_start=timedelta(hours=1))
    body = {'doctor_id': clinic.doctor.user_id, 'start': local(3, 9).isoformat()}
    problem = assert_problem(api.post('/api/appointments', headers=people.ada, json=body), 403, 'front desk')
    assert problem['code'] == 'no_show_limit'
    profile = api.get('/api/patient/profile', headers=people.ada).json()
    assert (profile['no_shows_12m'], profile['late_cancellations_12m']) == (3, 1)
    assert profile['no_show_limit'] == 3 and profile['online_booking_paused'] is True
    assert api.get('/api/patient/profile', headers=people.bob).json()['online_booking_paused'] is False
    ada = clinic.patient.user_id
    detail = api.get(f'/api/admin/patients/{ada}', headers=people.admin).json()['patient']
    assert (detail['no_shows_12m'], detail['late_cancellations_12m']) == (3, 1)
    listed = api.get('/api/admin/patients', headers=people.admin, params={'q': 'ada'}).json()['items']
    assert [(p['id'], p['no_shows_12m']) for p in listed] == [(ada, 3)]
    desk = make_receptionist(clinic.ctx, clinic.admin)
    desk_headers = login(api, desk.email, RECEPTION_PASSWORD)
    at_desk = api.get(f'/api/reception/patients/{ada}', headers=desk_headers).json()['patient']
    assert (at_desk['no_shows_12m'], at_desk['late_cancellations_12m']) == (3, 1)
    found = api.get('/api/reception/patients', headers=desk_headers, params={'q': 'ada'}).json()['items']
    assert found[0]['no_shows_12m'] == 3


async def test_the_patients_pages_explain_the_limit_and_their_state(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    await user.open('/patient/profile')
    await see(user, marker='no-show-standing')
    await see(user, 'You missed 0 appointments in the last 12 months.')
    for day in (5, 6, 9):
        missed(clinic, local(day, 9, month=2))
    await user.open(f'/patient/doctors/{clinic.doctor.user_id}')
    await see(user, marker='booking-paused')
    await see(user, 'Please call or visit the front desk to book')
    await user.open('/patient/profile')
    await see(user, 'You missed 3 appointments in the last 12 months without cancelling')
