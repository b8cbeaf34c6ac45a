"""The administrator's pages (departments, doctors, patients, appointments), driven through NiceGUI's simulated user.

``user`` comes first in each signature: main.py (run by the fixture) initialises the context, then ``clinic``
re-initialises it over the same database and sets the clock and the Berlin time zone.
"""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from hms import context
from hms.domain.enums import AppointmentStatus, SessionKind
from hms.domain.errors import AccountBlocked, NotAuthenticated
from hms.domain.scheduling import BookingIn, DepartmentIn
from hms.domain.schemas import Credentials
from hms.services import accounts, appointments, departments, doctors, patients
from hms.services.views import AppointmentView

from . import scheduling_fixtures
from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from .factories import DOCTOR_PASSWORD, PATIENT_PASSWORD, make_doctor, make_patient
from .page_steps import (
    FORBIDDEN,
    PATIENCE,
    column,
    element,
    eventually,
    fill,
    fill_in,
    pick,
    row_action,
    rows,
    see,
    sign_in,
    sign_in_admin,
    text_of,
)
from .scheduling_fixtures import Clinic, local

clinic = scheduling_fixtures.clinic  # the fixture (the conftest may share it too)
ADMIN_PAGES = ('/admin/departments', '/admin/doctors', '/admin/patients', '/admin/patients/1', '/admin/appointments')


def confirm(user: User) -> None:
    user.find(kind=ui.button, marker='dialog-confirm').click()


def book(clinic: Clinic, patient_index: int, doctor_index: int, day: int, hour: int, reason: str) -> AppointmentView:
    patient = (clinic.patient, clinic.other_patient)[patient_index]
    doctor = (clinic.doctor, clinic.other_doctor)[doctor_index]
    with clinic.ctx.uow() as uow:
        return appointments.book(
            uow,
            clinic.ctx.settings,
            patient,
            BookingIn(doctor_id=doctor.user_id, start=local(day, hour), reason=reason),
        )


def appointment(clinic: Clinic, appointment_id: int) -> AppointmentView:
    with clinic.ctx.uow() as uow:
        return appointments.get_appointment(uow, clinic.admin, appointment_id)


async def test_admin_adds_a_department_then_a_doctor_and_sees_the_one_time_password(user: User) -> None:
    await sign_in_admin(user)
    await user.open('/admin/departments')
    await see(user, 'No departments yet')
    user.find(marker='add-department').click()
    await see(user, 'Add department', kind=ui.label)
    fill_in(user, {'Name': 'Neurology', 'Description': 'Brain and nerves'})
    confirm(user)
    await see(user, 'Department Neurology added.')
    await eventually(lambda: column(user, 'departments-table', 'name') == ['Neurology'], 'the new department')
    assert rows(user, 'departments-table')[0]['doctors'] == 0

    await user.open('/admin/doctors')
    await see(user, 'No doctors yet')
    user.find(marker='add-doctor').click()
    await see(user, 'Full name')
    fill_in(user, {'Full name': 'Gregory House', 'Email': 'House@Clinic.test'})
    pick(user, 'Department', 'Neurology')
    fill_in(
        user,
        {
            'Years of experience': '21',
            'Qualifications': 'MD, nephrology and infectious diseases',
            'Short biography': 'Diagnostician.',
            'Consultation length (minutes)': '40',
        },
    )
    confirm(user)
    await see(user, 'Doctor account created')
    await see(user, 'must change it at first sign-in')
    password = text_of(user, 'initial-password')
    assert len(password) >= 12
    user.find(marker='password-done').click()
    await user.should_not_see(marker='initial-password', retries=PATIENCE)
    await eventually(lambda: column(user, 'doctors-table', 'name') == ['Gregory House'], 'the new doctor listed')
    row = rows(user, 'doctors-table')[0]
    assert (row['department'], row['experience'], row['minutes'], row['status']) == (
        'Neurology',
        '21 yr',
        '40 min',
        'Active',
    )

    ctx = context.get()
    with ctx.uow() as uow:
        result = accounts.login(
            uow,
            ctx.settings,
            Credentials(email='house@clinic.test', password=password),
            ip='test',
            kind=SessionKind.WEB,
        )
    assert result.principal.must_change_password


async def test_add_doctor_form_shows_errors_next_to_fields(user: User) -> None:
    ctx = context.get()
    await sign_in_admin(user)
    with ctx.uow() as uow:
        admin = accounts.login(
            uow, ctx.settings, Credentials(email=ADMIN_EMAIL, password=ADMIN_PASSWORD), ip='x', kind=SessionKind.WEB
        ).principal
        departments.create_department(uow, admin, DepartmentIn(name='Neurology'))
    await user.open('/admin/doctors')
    user.find(marker='add-doctor').click()
    await see(user, 'Full name')
    fill_in(user, {'Email': 'not-an-email', 'Consultation length (minutes)': '2'})
    confirm(user)
    await eventually(lambda: bool(element(user, label='Department').error), 'the department error')
    assert element(user, label='Full name').error == 'This field is required.'
    assert element(user, label='Email').error
    assert '5' in element(user, label='Consultation length (minutes)').error
    await user.should_not_see('Doctor account created')


async def test_department_delete_is_refused_while_doctors_belong_and_allowed_when_empty(
    user: User, clinic: Clinic
) -> None:
    with clinic.ctx.uow() as uow:
        departments.create_department(uow, clinic.admin, DepartmentIn(name='Dermatology', description='Skin'))
    await sign_in_admin(user)
    await user.open('/admin/departments')
    await eventually(lambda: column(user, 'departments-table', 'name') == ['Cardiology', 'Dermatology'], 'two rows')
    assert column(user, 'departments-table', 'doctors') == [2, 0]

    row_action(user, 'departments-table', 'delete', name='Cardiology')
    await see(user, 'Delete Cardiology?')
    await see(user, 'move its doctors to another department first')
    confirm(user)
    await see(user, 'Cardiology cannot be deleted: 2 doctors belong to it. Move them to another department first.')
    user.find(kind=ui.button, content='Cancel').click()
    await user.should_not_see('Delete Cardiology?', retries=PATIENCE)

    row_action(user, 'departments-table', 'delete', name='Dermatology')
    await see(user, 'Delete Dermatology?')
    confirm(user)
    await see(user, 'Department Dermatology deleted.')
    await eventually(lambda: column(user, 'departments-table', 'name') == ['Cardiology'], 'Dermatology gone')
    with clinic.ctx.uow() as uow:
        assert [d.name for d in departments.list_departments(uow)] == ['Cardiology']


async def test_department_can_be_renamed_and_described(user: User, clinic: Clinic) -> None:
    await sign_in_admin(user)
    await user.open('/admin/departments')
    await eventually(lambda: bool(rows(user, 'departments-table')), 'the table')
    row_action(user, 'departments-table', 'edit', name='Cardiology')
    await see(user, 'Edit Cardiology')
    fill_in(user, {'Name': 'Cardiology and Vascular Medicine', 'Description': 'Hearts and vessels'})
    confirm(user)
    await see(user, 'Department Cardiology and Vascular Medicine saved.')
    await eventually(
        lambda: column(user, 'departments-table', 'description') == ['Hearts and vessels'], 'the new description'
    )


async def test_doctor_deactivation_shows_the_impact_and_cancels_upcoming_appointments(
    user: User, clinic: Clinic
) -> None:
    booked = book(clinic, 0, 0, 2, 10, 'Checkup')
    await sign_in_admin(user)
    await user.open('/admin/doctors')
    await eventually(
        lambda: column(user, 'doctors-table', 'name') == ['Derek Shepherd', 'Meredith Grey'], 'both doctors'
    )
    row_action(user, 'doctors-table', 'deactivate', name='Meredith Grey')
    await see(user, 'Deactivate Meredith Grey?')
    await see(user, '1 upcoming appointment will be cancelled and the patient notified.')
    confirm(user)
    await see(user, 'Meredith Grey deactivated. 1 appointment cancelled; patients notified.')
    await eventually(lambda: column(user, 'doctors-table', 'name') == ['Derek Shepherd'], 'Grey hidden')
    cancelled = appointment(clinic, booked.id)
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.cancel_reason == doctors.DEACTIVATION_REASON

    user.find(marker='include-inactive').click()
    await eventually(lambda: 'Deactivated' in column(user, 'doctors-table', 'status'), 'deactivated doctors listed')
    row_action(user, 'doctors-table', 'reactivate', name='Meredith Grey')
    await see(user, 'Meredith Grey reactivated')
    await eventually(lambda: column(user, 'doctors-table', 'status') == ['Active', 'Active'], 'both active again')


async def test_doctor_search_and_edit(user: User, clinic: Clinic) -> None:
    await sign_in_admin(user)
    await user.open('/admin/doctors')
    await eventually(lambda: len(rows(user, 'doctors-table')) == 2, 'both doctors')
    fill(user, 'SHEP', marker='doctor-search')
    await eventually(lambda: column(user, 'doctors-table', 'name') == ['Derek Shepherd'], 'the search result')
    fill(user, 'cardio', marker='doctor-search')
    await eventually(lambda: len(rows(user, 'doctors-table')) == 2, 'search by department')
    fill(user, 'nobody', marker='doctor-search')
    await see(user, 'No doctor matches this search.')

    fill(user, '', marker='doctor-search')
    await eventually(lambda: len(rows(user, 'doctors-table')) == 2, 'both doctors again')
    row_action(user, 'doctors-table', 'edit', name='Derek Shepherd')
    await see(user, 'Edit Derek Shepherd')
    fill_in(user, {'Consultation length (minutes)': '15', 'Short biography': 'Neurosurgeon and cardiologist'})
    confirm(user)
    await see(user, 'Derek Shepherd saved.')
    with clinic.ctx.uow() as uow:
        changed = doctors.get_doctor(uow, clinic.other_doctor.user_id)
    assert (changed.consultation_minutes, changed.bio) == (15, 'Neurosurgeon and cardiologist')


async def test_patient_search_by_partial_email_phone_and_id(user: User, clinic: Clinic) -> None:
    await sign_in_admin(user)
    await user.open('/admin/patients')
    await eventually(lambda: column(user, 'patients-table', 'name') == ['Ada Lovelace', 'Bob Builder'], 'patients')
    bob = clinic.other_patient.user_id
    for text in ('BOB@Exam', '1234-56', '30 1234', '12345678'):
        fill(user, text, marker='patient-search')
        await eventually(lambda: column(user, 'patients-table', 'id') == [bob], f'only Bob for {text!r}')
    fill(user, str(bob), marker='patient-search')
    await eventually(lambda: bob in column(user, 'patients-table', 'id'), 'Bob by his ID')
    fill(user, 'nobody-here', marker='patient-search')
    await see(user, 'No patient matches this search.')


async def test_patient_list_has_pages_of_25(user: User, clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, 'hash_password', lambda password: 'not-a-hash')  # these never sign in; fast
    for number in range(25):
        make_patient(clinic.ctx, f'p{number:02}@example.com', name=f'Patient {number:02}')
    await sign_in_admin(user)
    await user.open('/admin/patients')
    await eventually(lambda: len(rows(user, 'patients-table')) == 25, 'the first page')
    await see(user, '1 to 25 of 27')
    user.find(marker='patients-table').trigger('request', {'pagination': {'page': 2, 'rowsPerPage': 25}})  # Next
    await eventually(lambda: len(rows(user, 'patients-table')) == 2, 'the second page')
    await see(user, '26 to 27 of 27')
    user.find(marker='patients-table').trigger('request', {'pagination': {'page': 1, 'rowsPerPage': 25}})  # Previous
    await eventually(lambda: len(rows(user, 'patients-table')) == 25, 'back to the first page')


async def test_patient_detail_edit_shows_inline_errors_then_saves(user: User, clinic: Clinic) -> None:
    booked = book(clinic, 0, 0, 2, 10, 'Checkup')
    ada = clinic.patient.user_id
    await sign_in_admin(user)
    await user.open(f'/admin/patients/{ada}')
    await see(user, 'Contact details')
    await eventually(lambda: len(rows(user, 'patient-appointments')) == 1, 'her appointment')
    assert rows(user, 'patient-appointments')[0]['when'] == 'Mon 2 Mar 2026, 10:00'
    assert rows(user, 'patient-appointments')[0]['status'] == 'Booked'
    assert booked.id == rows(user, 'patient-appointments')[0]['id']

    fill(user, 'call me maybe', label='Phone')
    user.find(marker='save-contact').click()
    await eventually(lambda: bool(element(user, label='Phone').error), 'the phone error')
    assert 'phone number' in element(user, label='Phone').error
    await user.should_not_see('Contact details saved.')

    fill_in(user, {'Phone': '+49 30 5555 1234', 'Emergency contact': 'Charles Babbage, +44 20 7946 0001'})
    user.find(marker='save-contact').click()
    await see(user, 'Contact details saved.')
    with clinic.ctx.uow() as uow:
        detail = patients.patient_detail(uow, clinic.admin, ada)
    assert (detail.patient.phone, detail.patient.emergency_contact) == (
        '+49 30 5555 1234',
        'Charles Babbage, +44 20 7946 0001',
    )


async def test_unknown_patient_id_says_so(user: User) -> None:
    await sign_in_admin(user)
    for path in ('/admin/patients/999999', '/admin/patients/not-a-number'):
        await user.open(path)
        await see(user, 'No such patient')
        await see(user, 'Back to the patient search')


async def test_blacklisting_a_patient_ends_their_session_and_cancels_upcoming(user: User, clinic: Clinic) -> None:
    booked = book(clinic, 0, 0, 3, 9, 'Checkup')
    with clinic.ctx.uow() as uow:
        token = accounts.login(
            uow,
            clinic.ctx.settings,
            Credentials(email='ada@example.com', password=PATIENT_PASSWORD),
            ip='test',
            kind=SessionKind.WEB,
        ).token
    await sign_in_admin(user)
    await user.open(f'/admin/patients/{clinic.patient.user_id}')
    user.find(marker='blacklist').click()
    await see(user, 'Blacklist Ada Lovelace?')
    await see(user, 'signed out everywhere at once')
    await see(user, '1 upcoming appointment will be cancelled')
    confirm(user)
    await eventually(lambda: bool(element(user, marker='blacklist-reason').error), 'the reason is required')
    fill(user, 'Abusive behaviour at the desk', marker='blacklist-reason')
    confirm(user)
    await see(user, 'Ada Lovelace is blacklisted and signed out. 1 appointment cancelled.')
    await see(user, 'Blacklisted: the patient cannot sign in. Reason: Abusive behaviour at the desk')

    with clinic.ctx.uow() as uow, pytest.raises((NotAuthenticated, AccountBlocked)):
        accounts.authenticate(uow, clinic.ctx.settings, token, kind=SessionKind.WEB)
    assert appointment(clinic, booked.id).status is AppointmentStatus.CANCELLED

    user.find(marker='reactivate').click()
    await see(user, 'The patient is reactivated')
    await see(user, 'The patient can sign in and book appointments.')


async def test_appointments_filter_by_status_and_admin_cancels_with_a_reason(user: User, clinic: Clinic) -> None:
    ada_visit = book(clinic, 0, 0, 2, 10, 'Checkup')
    bob_visit = book(clinic, 1, 1, 3, 11, 'Follow-up')
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.other_patient, bob_visit.id)
    await sign_in_admin(user)
    await user.open('/admin/appointments')
    await eventually(lambda: column(user, 'appointments-table', 'id') == [bob_visit.id, ada_visit.id], 'newest first')
    first = rows(user, 'appointments-table')[1]
    assert (first['when'], first['doctor'], first['department'], first['patient'], first['status']) == (
        'Mon 2 Mar 2026, 10:00',
        'Meredith Grey',
        'Cardiology',
        'Ada Lovelace',
        'Booked',
    )
    assert first['reason'] == 'Checkup'

    fill(user, 'cancelled', label='Status')
    await eventually(lambda: column(user, 'appointments-table', 'id') == [bob_visit.id], 'only the cancelled one')
    fill(user, 'booked', label='Status')
    await eventually(lambda: column(user, 'appointments-table', 'id') == [ada_visit.id], 'only the booked one')

    row_action(user, 'appointments-table', 'cancel', id=ada_visit.id)
    await see(user, 'Ada Lovelace with Meredith Grey (Cardiology) on Mon 2 Mar 2026, 10:00.')
    confirm(user)
    await eventually(lambda: element(user, marker='cancel-reason').error == 'A reason is required.', 'reason needed')
    fill(user, 'Dr Grey is ill today.', marker='cancel-reason')
    confirm(user)
    await see(user, 'Appointment cancelled; the patient is notified.')
    await see(user, 'No appointment matches these filters.')
    cancelled = appointment(clinic, ada_visit.id)
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.cancel_reason == 'Dr Grey is ill today.'


async def test_appointments_filter_by_dates_doctor_department_and_patient(user: User, clinic: Clinic) -> None:
    ada_visit = book(clinic, 0, 0, 2, 10, 'Checkup')
    bob_visit = book(clinic, 1, 1, 3, 11, 'Follow-up')
    await sign_in_admin(user)
    await user.open('/admin/appointments')
    await eventually(lambda: len(rows(user, 'appointments-table')) == 2, 'both appointments')

    fill(user, '2026-03-03', label='From date')
    await eventually(lambda: column(user, 'appointments-table', 'id') == [bob_visit.id], 'from Tuesday')
    fill(user, '2026-03-02', label='To date')
    await eventually(lambda: element(user, label='To date').error is not None, 'the reversed range refused')
    fill(user, '', label='From date')
    await eventually(lambda: column(user, 'appointments-table', 'id') == [ada_visit.id], 'until Monday')
    fill(user, '', label='To date')

    fill(user, clinic.doctor.user_id, label='Doctor')
    await eventually(lambda: column(user, 'appointments-table', 'id') == [ada_visit.id], "Grey's appointments")
    fill_in(user, {'Doctor': None, 'Department': clinic.department_id})
    await eventually(lambda: len(rows(user, 'appointments-table')) == 2, 'the department')
    fill(user, None, label='Department')

    fill(user, 'builder', label='Patient (name or ID)')
    await eventually(lambda: column(user, 'appointments-table', 'id') == [bob_visit.id], "Bob's by name")
    fill(user, str(clinic.patient.user_id), label='Patient (name or ID)')
    await eventually(lambda: column(user, 'appointments-table', 'id') == [ada_visit.id], "Ada's by ID")
    fill(user, 'e', label='Patient (name or ID)')  # Ada Lovelace and Bob Builder
    await eventually(lambda: 'patients match' in (element(user, label='Patient (name or ID)').error or ''), 'ambiguous')


async def test_admin_reschedules_a_booked_appointment_to_a_free_slot(user: User, clinic: Clinic) -> None:
    booked = book(clinic, 0, 0, 2, 10, 'Checkup')
    await sign_in_admin(user)
    await user.open('/admin/appointments')
    await eventually(lambda: len(rows(user, 'appointments-table')) == 1, 'the appointment')
    row_action(user, 'appointments-table', 'reschedule', id=booked.id)
    await see(user, 'Reschedule appointment')
    await see(user, 'Tue 3 Mar')
    user.find(marker='slot-2026-03-03T09:00').click()
    await see(user, 'New time: Tue 3 Mar 2026, 09:00')
    confirm(user)
    await see(user, 'Appointment moved to Tue 3 Mar 2026, 09:00; the patient is notified.')
    assert appointment(clinic, booked.id).start == local(3, 9)
    await eventually(
        lambda: column(user, 'appointments-table', 'when') == ['Tue 3 Mar 2026, 09:00'], 'the table shows the new time'
    )


@pytest.mark.parametrize('role', ['doctor', 'patient'])
async def test_other_roles_are_refused_the_admin_pages(user: User, role: str) -> None:
    ctx = context.get()
    if role == 'doctor':
        await sign_in(user, make_doctor(ctx).email, DOCTOR_PASSWORD, 'My day')
    else:
        await sign_in(user, make_patient(ctx).email, PATIENT_PASSWORD, 'My health')
    for path in ADMIN_PAGES:
        await user.open(path)
        await see(user, FORBIDDEN)
        await user.should_not_see('Add doctor')


async def test_anonymous_visitors_are_sent_to_sign_in(user: User) -> None:
    for path in ADMIN_PAGES:
        await user.open(path)
        await see(user, kind=ui.button, content='Sign in')


async def test_admin_navigation_lists_the_admin_pages(user: User) -> None:
    await sign_in_admin(user)
    for label in ('Departments', 'Doctors', 'Patients', 'Appointments'):
        await see(user, label, kind=ui.item_section)
