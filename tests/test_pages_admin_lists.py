"""The admin's long lists: sortable columns read from the server, pages, and the filters kept in the address."""

from __future__ import annotations

import pytest
from nicegui.functions.navigate import History
from nicegui.testing import User

from hms.domain.errors import InvalidInput
from hms.domain.scheduling import BookingIn
from hms.services import accounts, appointments, patients

from . import scheduling_fixtures
from .factories import make_patient
from .page_steps import column, element, eventually, fill, rows, see, sign_in_admin
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
