"""The admin's long lists: sortable columns read from the server, pages, and the filters kept in the address."""

from __future__ import annotations

import pytest
from nicegui.functions.navigate import History
from nicegui.testing import User

from hms.db.models import Appointment
from hms.domain.errors import InvalidInput, NotAllowed
from hms.domain.scheduling import BookingIn, DepartmentIn
from hms.services import accounts, appointments, departments, doctors, patients

from . import factories, scheduling_fixtures
from .factories import make_doctor, make_patient
from .page_steps import column, element, eventually, fill, rows, see, sign_in_admin, table
from .scheduling_fixtures import Clinic, local

clinic = scheduling_fixtures.clinic


def many_patients(clinic: Clinic, monkeypatch: pytest.MonkeyPatch, count: int = 30) -> None:
    monkeypatch.setattr(accounts, 'hash_password', lambda password: 'not-a-hash')  # these never sign in; fast
    for number in range(count):
        make_patient(clinic.ctx, f'p{number:02}@example.com', name=f'Patient {number:02}')


def test_the_service_sorts_by_an_allowed_key_only(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        by_name = patients.search_patients(uow, clinic.admin, '', sort='name')
        by_email_last_first = patients.search_patients(uow, clinic.admin, '', sort='email', descending=True)
        with pytest.raises(InvalidInput):
            patients.search_patients(uow, clinic.admin, '', sort='password_hash')
    assert [p.name for p in by_name.items] == sorted(p.name for p in by_name.items)
    emails = [p.email for p in by_email_last_first.items]
    assert emails == sorted(emails, reverse=True) and emails != [p.email for p in by_name.items]


async def test_sorting_a_column_asks_the_server_and_keeps_it_in_the_address(
    user: User, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_patients(clinic, monkeypatch)
    addresses: list[str] = []
    monkeypatch.setattr(History, 'replace', lambda _history, url: addresses.append(url))
    await sign_in_admin(user)
    await user.open('/admin/patients')
    await eventually(lambda: column(user, 'patients-table', 'name')[0] == 'Ada Lovelace', 'by name')
    user.find(marker='patients-table').trigger(
        'request', {'pagination': {'page': 1, 'rowsPerPage': 25, 'sortBy': 'email', 'descending': True}}
    )
    await eventually(lambda: column(user, 'patients-table', 'email')[0] == 'p29@example.com', 'by email, last first')
    await eventually(lambda: addresses[-1:] == ['/admin/patients?sort=email&desc=1'], 'the order in the address')
    fill(user, 'p2', marker='patient-search')
    await eventually(lambda: addresses[-1:] == ['/admin/patients?q=p2&sort=email&desc=1'], 'the search too')


async def test_page_two_shows_the_next_rows(user: User, clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    many_patients(clinic, monkeypatch)
    await sign_in_admin(user)
    await user.open('/admin/patients?sort=email')
    await eventually(lambda: len(rows(user, 'patients-table')) == 25, 'the first page')
    first_page = column(user, 'patients-table', 'email')
    user.find(marker='patients-table').trigger(
        'request', {'pagination': {'page': 2, 'rowsPerPage': 25, 'sortBy': 'email', 'descending': False}}
    )
    await eventually(lambda: len(rows(user, 'patients-table')) == 7, 'the second page')
    second_page = column(user, 'patients-table', 'email')
    assert not set(first_page) & set(second_page)
    assert sorted(first_page + second_page) == first_page + second_page
    await see(user, '26 to 32 of 32')


async def test_an_address_with_filters_restores_them(
    user: User, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_patients(clinic, monkeypatch)
    await sign_in_admin(user)
    await user.open('/admin/patients?q=patient&page=2&rows=10&sort=email&desc=1')
    await eventually(lambda: element(user, marker='patient-search').value == 'patient', 'the search text')
    assert column(user, 'patients-table', 'email') == [f'p{n:02}@example.com' for n in range(19, 9, -1)]
    await see(user, '11 to 20 of 30')


async def test_an_unreadable_address_falls_back_with_a_notice(
    user: User, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_patients(clinic, monkeypatch, count=3)
    await sign_in_admin(user)
    await user.open('/admin/patients?sort=password_hash&page=minus-one&rows=7')
    await see(user, 'Some of the address could not be read (page, rows, sort)')
    await eventually(lambda: column(user, 'patients-table', 'name')[0] == 'Ada Lovelace', 'the default order')
    await see(user, '1 to 5 of 5')


async def test_appointments_sort_by_patient_from_the_server(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        for patient, doctor, day in ((clinic.other_patient, clinic.doctor, 2), (clinic.patient, clinic.doctor, 3)):
            booking = BookingIn(doctor_id=doctor.user_id, start=local(day, 10), reason='Check')
            appointments.book(uow, clinic.ctx.settings, patient, booking)
    await sign_in_admin(user)
    await user.open('/admin/appointments')
    await eventually(lambda: len(rows(user, 'appointments-table')) == 2, 'both, newest first')
    assert column(user, 'appointments-table', 'patient') == ['Ada Lovelace', 'Bob Builder']
    user.find(marker='appointments-table').trigger(
        'request', {'pagination': {'page': 1, 'rowsPerPage': 25, 'sortBy': 'patient', 'descending': True}}
    )
    await eventually(
        lambda: column(user, 'appointments-table', 'patient') == ['Bob Builder', 'Ada Lovelace'], 'by patient, Z to A'
    )


async def test_walk_ins_and_double_bookings_are_said_beside_the_status(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        for patient, day in ((clinic.other_patient, 2), (clinic.patient, 3)):
            booking = BookingIn(doctor_id=clinic.doctor.user_id, start=local(day, 10), reason='Check')
            view = appointments.book(uow, clinic.ctx.settings, patient, booking)
        marked = uow.session.get(Appointment, view.id)
        assert marked is not None
        marked.walk_in, marked.overbooked = True, True  # as the front desk's walk-in into a taken slot leaves it
        uow.commit()
    await sign_in_admin(user)
    await user.open('/admin/appointments')
    await eventually(lambda: len(rows(user, 'appointments-table')) == 2, 'both, newest first')
    assert column(user, 'appointments-table', 'status') == ['Booked · Walk-in · Double-booked', 'Booked']


# --- every admin list: the same address helper (page, rows, sort; filters), sorting and paging on the server ----------


def request(user: User, marker: str, page: int, rows_per_page: int, sort: str | None, descending: bool = False) -> None:
    """What Quasar sends when a header is clicked or a page is turned."""
    pagination = {'page': page, 'rowsPerPage': rows_per_page, 'sortBy': sort, 'descending': descending}
    user.find(marker=marker).trigger('request', {'pagination': pagination})


def book_two(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        for patient, doctor, day in (
            (clinic.other_patient, clinic.doctor, 2),
            (clinic.patient, clinic.other_doctor, 3),
        ):
            booking = BookingIn(doctor_id=doctor.user_id, start=local(day, 10), reason='Check')
            appointments.book(uow, clinic.ctx.settings, patient, booking)


async def test_appointment_filters_page_and_order_come_from_the_address(user: User, clinic: Clinic) -> None:
    book_two(clinic)
    await sign_in_admin(user)
    doctor = clinic.doctor.user_id
    await user.open(f'/admin/appointments?status=booked&doctor={doctor}&from=2026-03-01&to=2026-03-31&sort=patient')
    await eventually(lambda: column(user, 'appointments-table', 'patient') == ['Bob Builder'], 'one doctor only')
    assert element(user, label='Doctor').value == doctor
    assert element(user, label='Status').value == 'booked'
    assert element(user, label='From date').value  # shown as the page's language writes dates
    assert table(user, 'appointments-table').pagination['sortBy'] == 'patient'


async def test_appointment_filters_are_written_to_the_address(
    user: User, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    book_two(clinic)
    addresses: list[str] = []
    monkeypatch.setattr(History, 'replace', lambda _history, url: addresses.append(url))
    await sign_in_admin(user)
    await user.open('/admin/appointments')
    await eventually(lambda: len(rows(user, 'appointments-table')) == 2, 'both')
    fill(user, 'booked', label='Status')
    await eventually(lambda: addresses[-1:] == ['/admin/appointments?status=booked'], 'the status in the address')
    request(user, 'appointments-table', 1, 10, 'doctor', descending=True)
    expected = '/admin/appointments?status=booked&rows=10&sort=doctor&desc=1'
    await eventually(lambda: addresses[-1:] == [expected], 'rows and order too')
    assert column(user, 'appointments-table', 'doctor') == ['Meredith Grey', 'Derek Shepherd']


async def test_an_unreadable_appointment_address_falls_back_with_a_notice(user: User, clinic: Clinic) -> None:
    book_two(clinic)
    await sign_in_admin(user)
    await user.open('/admin/appointments?status=lost&doctor=999999&department=abc&from=2026-02-30&sort=reason')
    await see(user, 'Some of the address could not be read (from, doctor, department, status, sort)')
    await eventually(lambda: len(rows(user, 'appointments-table')) == 2, 'every appointment, newest first')
    assert element(user, label='Doctor').value is None and element(user, label='Status').value is None


def many_doctors(clinic: Clinic, monkeypatch: pytest.MonkeyPatch, count: int = 12) -> None:
    monkeypatch.setattr(factories, 'hash_password', lambda password: 'not-a-hash')  # these never sign in; fast
    for number in range(count):
        make_doctor(clinic.ctx, f'd{number:02}@clinic.test', name=f'Doctor {number:02}')


def test_the_doctor_and_department_lists_sort_by_allowed_keys_for_the_administrator_only(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        by_name = doctors.browse_doctors(uow, clinic.admin, sort='name', descending=True)
        by_doctors = departments.browse_departments(uow, clinic.admin, sort='doctors', descending=True)
        for refused in (
            lambda: doctors.browse_doctors(uow, clinic.admin, sort='password_hash'),
            lambda: departments.browse_departments(uow, clinic.admin, sort='id; drop table users'),
        ):
            with pytest.raises(InvalidInput):
                refused()
        for refused in (
            lambda: doctors.browse_doctors(uow, clinic.doctor),
            lambda: departments.browse_departments(uow, clinic.patient),
        ):
            with pytest.raises(NotAllowed):
                refused()
    assert [d.name for d in by_name.items] == ['Meredith Grey', 'Derek Shepherd'] and by_name.total == 2
    assert [(d.name, d.doctor_count) for d in by_doctors.items] == [('Cardiology', 2)]


async def test_the_doctors_list_sorts_pages_and_keeps_it_in_the_address(
    user: User, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_doctors(clinic, monkeypatch)
    addresses: list[str] = []
    monkeypatch.setattr(History, 'replace', lambda _history, url: addresses.append(url))
    await sign_in_admin(user)
    await user.open('/admin/doctors?rows=10&sort=department&desc=1')
    await eventually(lambda: len(rows(user, 'doctors-table')) == 10, 'a page of ten')
    assert column(user, 'doctors-table', 'department')[0] == 'General Medicine'
    await see(user, '1 to 10 of 14')
    request(user, 'doctors-table', 2, 10, 'name')
    await eventually(lambda: len(rows(user, 'doctors-table')) == 4, 'page two')
    assert column(user, 'doctors-table', 'name') == ['Doctor 09', 'Doctor 10', 'Doctor 11', 'Meredith Grey']
    await eventually(lambda: addresses[-1:] == ['/admin/doctors?page=2&rows=10'], 'page two in the address')
    fill(user, 'grey', marker='doctor-search')
    await eventually(lambda: column(user, 'doctors-table', 'name') == ['Meredith Grey'], 'the search')
    await eventually(lambda: addresses[-1:] == ['/admin/doctors?q=grey&rows=10'], 'the search in the address')


async def test_the_doctors_address_restores_the_search_and_deactivated_ones(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        doctors.set_active(uow, clinic.ctx.settings, clinic.admin, clinic.other_doctor.user_id, active=False)
    await sign_in_admin(user)
    await user.open('/admin/doctors?q=derek&inactive=1&sort=nonsense')
    await see(user, 'Some of the address could not be read (sort)')
    await eventually(lambda: column(user, 'doctors-table', 'name') == ['Derek Shepherd'], 'the deactivated doctor')
    assert element(user, marker='doctor-search').value == 'derek'
    assert element(user, marker='include-inactive').value is True


async def test_the_departments_list_sorts_pages_and_restores_its_address(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        for number in range(11):
            departments.create_department(uow, clinic.admin, DepartmentIn(name=f'Ward {number:02}', description=''))
    await sign_in_admin(user)
    await user.open('/admin/departments?sort=doctors&desc=1&rows=10')
    await eventually(lambda: len(rows(user, 'departments-table')) == 10, 'a page of ten')
    assert rows(user, 'departments-table')[0]['name'] == 'Cardiology'
    request(user, 'departments-table', 2, 10, 'name', descending=True)
    await eventually(lambda: len(rows(user, 'departments-table')) == 2, 'page two')
    assert column(user, 'departments-table', 'name') == ['Ward 00', 'Cardiology']
    await user.open('/admin/departments?q=ward&page=2&rows=10')
    await eventually(lambda: element(user, marker='department-search').value == 'ward', 'the search text')
    await eventually(lambda: column(user, 'departments-table', 'name') == ['Ward 10'], 'its second page')


async def test_the_audit_log_sorts_and_keeps_its_filters_in_the_address(user: User, clinic: Clinic) -> None:
    await sign_in_admin(user)
    await user.open('/admin/audit?result=success&action=login.&sort=action&rows=10&by=nobody@example.com')
    await see(user, 'Some of the address could not be read (by)')
    assert element(user, marker='filter-result').value == 'success'
    assert element(user, marker='filter-action').value == 'login.'
    assert element(user, marker='filter-actor').value == ''
    assert table(user, 'audit-table').pagination['sortBy'] == 'action'
    actions = column(user, 'audit-table', 'action')
    assert actions and all(action.startswith('login.') for action in actions) and actions == sorted(actions)
    request(user, 'audit-table', 1, 10, 'at', descending=False)
    await see(user, 'oldest first')


async def test_the_delivery_log_filters_come_from_the_address(user: User, clinic: Clinic) -> None:
    await sign_in_admin(user)
    await user.open('/admin/jobs?status=failed&channel=email&kind=pigeon&rows=10')
    await see(user, 'Some of the address could not be read (kind)')
    assert element(user, marker='filter-status').value == 'failed'
    assert element(user, marker='filter-channel').value == 'email'
    assert element(user, marker='filter-kind').value is None
