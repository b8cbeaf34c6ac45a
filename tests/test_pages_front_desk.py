"""The receptionist accounts page of the administrator (/admin/receptionists) and the front desk's patients
(/reception/patients, /reception/patients/{id}), driven through NiceGUI's simulated user.

``user`` comes first in each signature: main.py (run by the fixture) initialises the context, then ``clinic``
re-initialises it over the same database and sets the clock and the Berlin time zone.
"""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import select

from hms import context
from hms.clock import ManualClock
from hms.db.models import User as UserRow
from hms.domain.enums import SessionKind
from hms.domain.errors import AccountBlocked, NotAuthenticated
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import BookingIn
from hms.domain.schemas import Credentials
from hms.services import accounts, appointments, records

from . import scheduling_fixtures
from .factories import RECEPTION_PASSWORD, TREATMENT, make_receptionist
from .page_steps import (
    FORBIDDEN,
    PATIENCE,
    column,
    eventually,
    fill_in,
    row_action,
    rows,
    see,
    sign_in,
    sign_in_admin,
    text_of,
)
from .scheduling_fixtures import Clinic, local

clinic = scheduling_fixtures.clinic


def confirm(user: User) -> None:
    user.find(kind=ui.button, marker='dialog-confirm').click()


async def sign_in_desk(user: User, clinic: Clinic) -> None:
    rita = make_receptionist(clinic.ctx, clinic.admin)
    await user.open('/login?next=/reception/patients')
    user.find('Email').type(rita.email)
    user.find('Password').type(RECEPTION_PASSWORD)
    user.find(kind=ui.button, content='Sign in').click()
    await see(user, 'Register a patient')


async def test_admin_adds_a_receptionist_sees_the_password_once_then_edits_and_deactivates(
    user: User, clinic: Clinic
) -> None:
    await sign_in_admin(user)
    await user.open('/admin/receptionists')
    await see(user, 'No receptionists yet')
    user.find(marker='add-receptionist').click()
    await see(user, 'Full name')
    confirm(user)
    await see(user, 'This field is required.')  # nothing is created from an empty form
    fill_in(user, {'Full name': 'Rita Desk', 'Email': 'Rita@Clinic.test'})
    confirm(user)
    await see(user, 'Receptionist account created')
    password = text_of(user, 'initial-password')
    assert len(password) >= 12
    user.find(marker='password-done').click()
    await user.should_not_see(marker='initial-password', retries=PATIENCE)
    await eventually(lambda: column(user, 'receptionists-table', 'name') == ['Rita Desk'], 'the new receptionist')
    assert rows(user, 'receptionists-table')[0]['status'] == 'Active, one-time password not changed yet'
    ctx = context.get()
    with ctx.uow() as uow:
        signed_in = accounts.login(
            uow, ctx.settings, Credentials(email='rita@clinic.test', password=password), ip='t', kind=SessionKind.WEB
        )
    assert signed_in.principal.must_change_password

    row_action(user, 'receptionists-table', 'edit', name='Rita Desk')
    await see(user, 'Edit Rita Desk')
    fill_in(user, {'Full name': 'Rita Front'})
    confirm(user)
    await eventually(lambda: column(user, 'receptionists-table', 'name') == ['Rita Front'], 'the new name')

    row_action(user, 'receptionists-table', 'deactivate', name='Rita Front')
    await see(user, 'Deactivate Rita Front?')
    confirm(user)
    await see(user, 'Rita Front deactivated.')
    with ctx.uow() as uow, pytest.raises((NotAuthenticated, AccountBlocked)):  # the session ended at once
        accounts.authenticate(uow, ctx.settings, signed_in.token, kind=SessionKind.WEB)


async def test_the_desk_finds_a_patient_and_opens_their_contact_details_without_clinical_content(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    ctx = clinic.ctx
    with ctx.uow() as uow:
        visit = appointments.book(
            uow,
            ctx.settings,
            clinic.patient,
            BookingIn(doctor_id=clinic.doctor.user_id, start=local(2, 9), reason='Cough'),
        )
    clock.set(local(2, 9, 10))
    with ctx.uow() as uow:
        records.complete_visit(uow, ctx.settings, clinic.doctor, visit.id, TreatmentIn.model_validate(TREATMENT))
    await sign_in_desk(user, clinic)
    await eventually(lambda: len(rows(user, 'desk-patients-table')) == 2, 'both patients listed')
    fill_in(user, {'Name, patient ID, phone or email': 'lovel'})
    await eventually(lambda: column(user, 'desk-patients-table', 'name') == ['Ada Lovelace'], 'the search result')
    row = rows(user, 'desk-patients-table')[0]
    assert row['phone'] == '+44 20 7946 0000' and row['email'] == 'ada@example.com'

    await user.open(f'/reception/patients/{clinic.patient.user_id}')
    await see(user, 'Contact details')
    await see(user, 'Past appointments')
    await eventually(lambda: column(user, 'past-appointments-table', 'reason') == ['Cough'], 'the past visit')
    assert column(user, 'past-appointments-table', 'status') == ['Completed']
    await see(user, 'Book an appointment for Ada Lovelace')
    link = user.find(marker='book-link').elements.pop()
    assert link.props['href'] == f'/reception/book?patient={clinic.patient.user_id}'
    for clinical in (TREATMENT['diagnosis'], TREATMENT['treatment'], TREATMENT['notes'], 'Paracetamol'):
        await user.should_not_see(clinical)

    await user.open('/reception/patients/999999')
    await see(user, 'No such patient')


async def test_the_desk_registers_a_patient_and_is_asked_about_a_possible_duplicate(user: User, clinic: Clinic) -> None:
    await sign_in_desk(user, clinic)
    form = {'Full name': 'ada LOVELACE', 'Date of birth': '1990-12-10', 'Phone': '+44 (20) 7946-0000'}
    fill_in(user, form)
    user.find(marker='register-patient-button').click()
    await see(user, 'This may be the same person')
    await see(user, 'Open Ada Lovelace')
    link = user.find(marker=f'open-duplicate-{clinic.patient.user_id}').elements.pop()
    assert link.props['href'] == f'/reception/patients/{clinic.patient.user_id}'
    user.find(marker='register-anyway').click()
    await see(user, 'Upcoming appointments')  # the new patient's page
    await see(user, 'none (cannot sign in)')
    with clinic.ctx.uow() as uow:
        names = list(uow.session.scalars(select(UserRow.name).where(UserRow.name.ilike('ada lovelace'))))
    assert sorted(names) == ['Ada Lovelace', 'ada LOVELACE']


async def test_the_registration_form_names_the_missing_and_wrong_fields(user: User, clinic: Clinic) -> None:
    await sign_in_desk(user, clinic)
    user.find(marker='register-patient-button').click()
    await see(user, 'This field is required.')
    fill_in(
        user, {'Full name': 'New Person', 'Date of birth': '2001-02-03', 'Phone': 'call me', 'Email (optional)': 'x'}
    )
    user.find(marker='register-patient-button').click()
    await see(user, 'Enter a phone number of digits, optionally starting with +.')


async def test_patients_and_doctors_are_refused_the_desk_pages(user: User, clinic: Clinic) -> None:
    await sign_in(user, clinic.patient.email, 'Meadow-Violet-Thunder-7', 'My health')
    for path in ('/reception/patients', f'/reception/patients/{clinic.patient.user_id}', '/admin/receptionists'):
        await user.open(path)
        await see(user, FORBIDDEN)
