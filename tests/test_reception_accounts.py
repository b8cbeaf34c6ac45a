"""Receptionist accounts and the front desk's registration of patients (hms/services/receptionists.py,
hms/services/desk_patients.py, /api/admin/receptionists, /api/reception/patients).

The administrator creates receptionists like doctors (a one-time password shown once, changed at the first sign-in;
deactivation ends their sessions at once). Reception finds patients and registers new ones: possible duplicates
(same name ignoring case and accents, same date of birth, same phone or email) answer 409 unless confirmed; a patient
with an address gets a welcome link to choose a password, one without exists without sign-in and is sent nothing.
Reception never reads clinical content."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hms import clock
from hms.clock import ManualClock
from hms.context import AppContext
from hms.db.models import Appointment, AuditEntry, User
from hms.domain.desk import DeskPatientIn
from hms.domain.enums import AppointmentStatus, Role, SessionKind
from hms.domain.errors import EmailTaken, InvalidCredentials, NotAllowed
from hms.domain.records import TreatmentIn
from hms.domain.schemas import Credentials, PasswordReset
from hms.notify.sink import SmtpSink, read_outbox
from hms.services import account_links, accounts, desk_patients, records, reminders
from hms.services.principal import Principal

from .api_fixtures import PROBLEM, Headers, People, login
from .factories import (
    RECEPTION_PASSWORD,
    TREATMENT,
    build_export,
    make_receptionist,
)
from .scheduling_fixtures import Clinic, local

NEW_PASSWORD = 'Harbour-Lantern-Quiet-77'
DIAGNOSIS = TREATMENT['diagnosis']


class Tasks:
    """Stands in for the context's task producer: records the account emails that would go to the worker."""

    available = True

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, task: str, kwargs: dict[str, Any], *, retry_policy: object = None) -> None:
        assert task == account_links.EMAIL_TASK
        self.sent.append(kwargs)


def desk_data(**overrides: object) -> dict[str, Any]:
    data: dict[str, Any] = {'name': 'José García', 'dob': '1984-05-17', 'phone': '+34 612 345 678'}
    data.update(overrides)
    return data


@pytest.fixture
def rita(clinic: Clinic) -> Principal:
    return make_receptionist(clinic.ctx, clinic.admin)


@pytest.fixture
def desk(people: People, rita: Principal) -> Headers:
    return login(people.api, rita.email, RECEPTION_PASSWORD)


def register(ctx: AppContext, actor: Principal, tasks: Tasks | None = None, **fields: object) -> Any:
    with ctx.uow() as uow:
        return desk_patients.register(uow, actor, DeskPatientIn.model_validate(desk_data(**fields)), tasks=tasks)


def audit_actions(ctx: AppContext) -> list[str]:
    with ctx.uow() as uow:
        return list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- Receptionist accounts -------------------------------------------------------------------------------------------


def test_the_admin_adds_lists_edits_and_deactivates_a_receptionist(people: People, clinic: Clinic) -> None:
    api = people.api
    created = api.post(
        '/api/admin/receptionists', headers=people.admin, json={'name': 'Rita Desk', 'email': 'Rita@Clinic.test'}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    rita, password = body['receptionist'], body['initial_password']
    assert rita['email'] == 'rita@clinic.test' and rita['is_active'] and rita['must_change_password']
    assert len(password) >= 12

    # The one-time password signs in, but only to change it.
    token = login(api, 'rita@clinic.test', password)
    refused = api.get('/api/reception/patients', headers=token)
    assert refused.status_code == 403 and refused.json()['code'] == 'password_change_required'
    changed = api.post(
        '/api/me/password', headers=token, json={'current_password': password, 'new_password': NEW_PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    assert api.get('/api/reception/patients', headers=token).status_code == 200
    assert api.get('/api/me', headers=token).json()['role'] == 'reception'

    listed = api.get('/api/admin/receptionists', headers=people.admin, params={'q': 'rita'}).json()
    assert listed['total'] == 1 and listed['items'][0]['id'] == rita['id']
    assert not listed['items'][0]['must_change_password']

    edited = api.patch(
        f'/api/admin/receptionists/{rita["id"]}',
        headers=people.admin,
        json={'name': 'Rita Front', 'email': 'rf@clinic.test'},
    )
    assert edited.status_code == 200 and edited.json()['name'] == 'Rita Front'

    # Deactivated: the token in use is refused at once, and signing in is refused.
    gone = api.delete(f'/api/admin/receptionists/{rita["id"]}', headers=people.admin)
    assert gone.status_code == 200 and gone.json()['is_active'] is False
    assert api.get('/api/reception/patients', headers=token).status_code == 401
    assert api.post('/api/login', json={'email': 'rf@clinic.test', 'password': NEW_PASSWORD}).status_code == 403
    assert api.get('/api/admin/receptionists', headers=people.admin).json()['total'] == 0
    everyone = api.get('/api/admin/receptionists', headers=people.admin, params={'include_inactive': True}).json()
    assert [item['is_active'] for item in everyone['items']] == [False]

    actions = audit_actions(clinic.ctx)
    for action in ('receptionist.created', 'password.changed', 'receptionist.updated', 'account.blacklisted'):
        assert action in actions


def test_a_taken_address_an_unknown_receptionist_and_other_roles_are_refused(
    people: People, clinic: Clinic, desk: Headers
) -> None:
    api = people.api
    taken = api.post('/api/admin/receptionists', headers=people.admin, json={'name': 'X', 'email': 'grey@clinic.test'})
    assert taken.status_code == 409 and taken.json()['code'] == 'email_taken'
    # A doctor's id is no receptionist's.
    doctor_id = clinic.doctor.user_id
    assert (
        api.patch(f'/api/admin/receptionists/{doctor_id}', headers=people.admin, json={'name': 'Y'}).status_code == 404
    )
    assert api.delete(f'/api/admin/receptionists/{doctor_id}', headers=people.admin).status_code == 404
    for headers in (desk, people.grey, people.ada):
        response = api.post('/api/admin/receptionists', headers=headers, json={'name': 'Z', 'email': 'z@clinic.test'})
        assert response.status_code == 403
        assert api.get('/api/admin/receptionists', headers=headers).status_code == 403


def test_receptionists_may_turn_on_two_step_verification(people: People, desk: Headers) -> None:
    status = people.api.get('/api/auth/totp', headers=desk).json()
    assert status['eligible'] is True


# --- Registering patients at the desk -------------------------------------------------------------------------------


def test_a_patient_registered_with_an_address_gets_a_welcome_link_and_takes_the_account_over(
    clinic: Clinic, rita: Principal
) -> None:
    ctx, tasks = clinic.ctx, Tasks()
    created = register(ctx, rita, tasks, email='Jose@Example.com')
    assert created.welcome_sent and created.patient.email == 'jose@example.com'
    (mail,) = tasks.sent
    assert mail['kind'] == account_links.WELCOME
    # Nobody can sign in yet: the account has no password anyone knows.
    with ctx.uow() as uow, pytest.raises(InvalidCredentials):
        accounts.login(
            uow, ctx.settings, Credentials(email='jose@example.com', password='x'), ip='t', kind=SessionKind.API
        )
    with ctx.uow() as uow:
        composed = account_links.compose(uow, ctx.settings, **mail)
    assert composed is not None
    _user_id, message = composed
    assert message.subject.startswith('Welcome to') and '/reset/' in message.text
    account_links.confirm_reset(
        ctx.uow, ctx.settings, Tasks(), PasswordReset(token=mail['token'], password=NEW_PASSWORD), ip='t'
    )  # type: ignore[arg-type]
    with ctx.uow() as uow:
        signed_in = accounts.login(
            uow,
            ctx.settings,
            Credentials(email='jose@example.com', password=NEW_PASSWORD),
            ip='t',
            kind=SessionKind.API,
        )
    assert signed_in.principal.role is Role.PATIENT and signed_in.principal.user_id == created.patient.id
    assert 'patient.registered_at_desk' in audit_actions(ctx)


def test_the_welcome_email_goes_through_the_mail_sink(clinic: Clinic, rita: Principal, mail_sink: SmtpSink) -> None:
    from jobs.accounts import account_email

    ctx, tasks = clinic.ctx, Tasks()
    register(ctx, rita, tasks, email='jose@example.com')
    (mail,) = tasks.sent
    assert account_email.apply(kwargs=mail).get() == 'sent'
    assert account_email.apply(kwargs=mail).get() == 'already sent'  # exactly once
    (message,) = read_outbox(ctx.settings.outbox_path)
    assert message.to == 'José García <jose@example.com>'
    assert 'choose your password' in message.subject
    assert f'/reset/{mail["token"]}' in message.text and f'/reset/{mail["token"]}' in message.html


def test_a_patient_without_an_address_exists_without_sign_in_and_is_sent_nothing(
    people: People, clinic: Clinic, rita: Principal, desk: Headers
) -> None:
    ctx, tasks = clinic.ctx, Tasks()
    created = register(ctx, rita, tasks)
    patient_id = created.patient.id
    assert created.patient.email is None and not created.welcome_sent and tasks.sent == []
    # An appointment tomorrow: no email reminder nor confirmation is planned for an address that does not exist.
    now = clock.now()
    start = local(3, 9)
    with ctx.uow() as uow:
        appointment = Appointment(
            doctor_id=clinic.doctor.user_id,
            patient_id=patient_id,
            start_at=start,
            end_at=start + timedelta(minutes=30),
            status=AppointmentStatus.BOOKED,
            reason='Check-up',
            created_at=now,
            updated_at=now,
            booked_by_id=rita.user_id,
            sequence=0,
        )
        uow.session.add(appointment)
        uow.commit()
        appointment_id = appointment.id
    with ctx.uow() as uow:
        due = reminders.due_reminders(uow, ctx.settings, date(2026, 3, 3))
        assert [d for d in due if d.patient_id == patient_id] == []
        assert reminders.plan_confirmation(uow, ctx.settings, appointment_id, 'booked') is None
    # The admin and the desk read them with no address; the patients' export writes an empty cell.
    detail = people.api.get(f'/api/admin/patients/{patient_id}', headers=people.admin)
    assert detail.status_code == 200 and detail.json()['patient']['email'] is None
    seen = people.api.get(f'/api/reception/patients/{patient_id}', headers=desk).json()
    assert seen['patient']['email'] is None and [a['id'] for a in seen['upcoming']] == [appointment_id]
    _export_id, content, rows = build_export(ctx, clinic.admin, 'patients')
    assert rows == 3 and b'Jos' in content
    # Nobody can ask for a reset link for them, nor sign in as them.
    assert people.api.post('/api/login', json={'email': '', 'password': 'x'}).status_code in (401, 422)


def test_possible_duplicates_answer_409_until_the_desk_confirms(people: People, clinic: Clinic, desk: Headers) -> None:
    api = people.api
    first = api.post('/api/reception/patients', headers=desk, json=desk_data(email='jose@example.com'))
    assert first.status_code == 201, first.text
    first_id = first.json()['patient']['id']
    # Same person, typed differently: case, accents, spacing and phone formatting do not hide them.
    again = desk_data(name='jose  GARCIA', phone='0034 612-345-678')
    duplicate = api.post('/api/reception/patients', headers=desk, json=again)
    assert duplicate.status_code == 409 and duplicate.headers['content-type'].startswith(PROBLEM)
    problem = duplicate.json()
    assert problem['code'] == 'possible_duplicate'
    assert [d['id'] for d in problem['duplicates']] == [first_id]
    assert problem['duplicates'][0]['phone'] == '+34 612 345 678'
    # The same email with another phone is a duplicate too; another phone and no email is not.
    by_email = api.post(
        '/api/reception/patients', headers=desk, json=desk_data(phone='+34 699 000 111', email='JOSE@example.com')
    )
    assert by_email.status_code == 409 and by_email.json()['code'] == 'possible_duplicate'
    other = api.post('/api/reception/patients', headers=desk, json=desk_data(phone='+34 699 000 111'))
    assert other.status_code == 201
    # Confirmed: registered anyway (an address that has an account stays refused).
    confirmed = api.post('/api/reception/patients', headers=desk, json={**again, 'confirm_new': True})
    assert confirmed.status_code == 201 and confirmed.json()['patient']['id'] not in (first_id,)
    taken = api.post(
        '/api/reception/patients', headers=desk, json={**again, 'email': 'jose@example.com', 'confirm_new': True}
    )
    assert taken.status_code == 409 and taken.json()['code'] == 'email_taken'
    # Same name and phone but another birthday: someone else.
    assert api.post('/api/reception/patients', headers=desk, json=desk_data(dob='1985-05-17')).status_code == 201


def test_bad_input_is_refused_with_422_never_500(people: People, desk: Headers) -> None:
    api = people.api
    for body in (
        desk_data(dob='2999-01-01'),
        desk_data(phone='call me'),
        desk_data(email='not an address'),
        desk_data(name=''),
        desk_data(gender='robot'),
        {**desk_data(), 'password': 'x'},
        {'name': 'Only a name'},
    ):
        response = api.post('/api/reception/patients', headers=desk, json=body)
        assert response.status_code == 422, (body, response.text)


def test_the_desk_finds_patients_by_name_id_phone_and_email_a_page_at_a_time(
    people: People, clinic: Clinic, desk: Headers
) -> None:
    api = people.api
    ada = clinic.patient.user_id

    def found(**params: object) -> dict[str, Any]:
        response = api.get('/api/reception/patients', headers=desk, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    assert [p['id'] for p in found(q='lovelace')['items']] == [ada]
    assert ada in [p['id'] for p in found(q=str(ada))['items']]
    assert [p['id'] for p in found(q='ada@example')['items']] == [ada]
    assert [p['name'] for p in found(q='1234 5678')['items']] == ['Bob Builder']  # +49 30 1234-5678
    page = found(limit=1, offset=1)
    assert page['total'] == 2 and page['limit'] == 1 and [p['name'] for p in page['items']] == ['Bob Builder']
    item = found(q='lovelace')['items'][0]
    assert set(item) >= {'email', 'phone', 'address', 'date_of_birth'}


def test_patients_and_doctors_may_not_use_the_desk(people: People) -> None:
    for headers in (people.ada, people.grey):
        assert people.api.get('/api/reception/patients', headers=headers).status_code == 403
        assert people.api.post('/api/reception/patients', headers=headers, json=desk_data()).status_code == 403
    assert people.api.get('/api/reception/patients').status_code == 401


def test_the_admin_can_do_what_reception_can(people: People) -> None:
    created = people.api.post('/api/reception/patients', headers=people.admin, json=desk_data())
    assert created.status_code == 201
    assert people.api.get('/api/reception/patients', headers=people.admin).json()['total'] == 3


def test_reception_never_reads_clinical_content(
    people: People, clinic: Clinic, desk: Headers, clock: ManualClock
) -> None:
    """A completed visit of Ada's: every clinical route refuses the desk, and what the desk reads shows no diagnosis."""
    ctx, api = clinic.ctx, people.api
    ada, grey = clinic.patient, clinic.doctor
    start = local(2, 9)
    with ctx.uow() as uow:
        from hms.domain.scheduling import BookingIn
        from hms.services import appointments

        booked = appointments.book(
            uow, ctx.settings, ada, BookingIn(doctor_id=grey.user_id, start=start, reason='Cough')
        )
    clock.set(local(2, 9, 10))
    with ctx.uow() as uow:
        records.complete_visit(uow, ctx.settings, grey, booked.id, TreatmentIn.model_validate(TREATMENT))
    desk = login(api, 'rita@clinic.test', RECEPTION_PASSWORD)  # a new sign-in after the hour that passed
    clinical = [
        ('GET', f'/api/doctor/patients/{ada.user_id}/history', None),
        ('GET', f'/api/admin/patients/{ada.user_id}/history', None),
        ('GET', f'/api/admin/patients/{ada.user_id}', None),
        ('GET', '/api/patient/history', None),
        ('GET', f'/api/doctor/appointments/{booked.id}/treatment/versions', None),
        ('GET', f'/api/admin/appointments/{booked.id}/treatment/versions', None),
        ('GET', f'/api/visits/{booked.id}/summary.pdf', None),
        ('GET', f'/api/visits/{booked.id}/prescription.pdf', None),
        ('POST', '/api/exports', {'kind': 'my-history'}),
        ('POST', '/api/exports', {'kind': 'patients'}),
        ('POST', '/api/exports', {'kind': 'appointments', 'from': '2026-03-01', 'to': '2026-03-31'}),
        ('GET', '/api/admin/appointments', None),
    ]
    for method, path, body in clinical:
        response = api.request(method, path, headers=desk, json=body)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert DIAGNOSIS not in response.text
    seen = api.get(f'/api/reception/patients/{ada.user_id}', headers=desk)
    assert seen.status_code == 200 and [a['id'] for a in seen.json()['past']] == [booked.id]
    for text in (DIAGNOSIS, TREATMENT['treatment'], TREATMENT['notes'], TREATMENT['private_notes'], 'Paracetamol'):
        assert text not in seen.text
    assert api.get('/api/reception/patients/999999', headers=desk).status_code == 404


def test_the_desk_look_is_in_the_patients_access_log(people: People, clinic: Clinic, desk: Headers) -> None:
    ada = clinic.patient.user_id
    assert people.api.get(f'/api/reception/patients/{ada}', headers=desk).status_code == 200
    log = people.api.get('/api/patient/access-log', headers=people.ada)
    assert log.status_code == 200 and 'Rita Desk' in log.text


def test_the_service_refuses_other_roles(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        desk_patients.register(uow, clinic.doctor, DeskPatientIn.model_validate(desk_data()))
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        desk_patients.search(uow, clinic.patient, 'ada')


# --- Two desks at once ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('email', [None, 'jose@example.com'])
def test_two_desks_registering_the_same_person_at_once_get_one_patient(
    clinic: Clinic, rita: Principal, email: str | None
) -> None:
    ctx = clinic.ctx
    other_desk = make_receptionist(ctx, clinic.admin, 'rosa@clinic.test', name='Rosa Desk')
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(actor: Principal) -> None:
        barrier.wait()
        try:
            register(ctx, actor, Tasks(), email=email)
            outcomes.append('created')
        except desk_patients.PossibleDuplicate:
            outcomes.append('possible_duplicate')
        except EmailTaken:
            outcomes.append('email_taken')
        except Exception as error:
            outcomes.append(repr(error))

    threads = [threading.Thread(target=attempt, args=(actor,)) for actor in (rita, other_desk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ['created', 'possible_duplicate'] or sorted(outcomes) == ['created', 'email_taken'], (
        outcomes
    )
    with ctx.uow() as uow:
        same = uow.session.scalar(select(func.count()).select_from(User).where(User.name == 'José García'))
    assert same == 1


def test_the_migration_keeps_the_unique_address_and_allows_many_without(clinic: Clinic, rita: Principal) -> None:
    register(clinic.ctx, rita)
    register(clinic.ctx, rita, dob='1990-01-01')
    with clinic.ctx.uow() as uow:
        nulls = uow.session.scalar(select(func.count()).select_from(User).where(User.email.is_(None)))
    assert nulls == 2
    path = Path(__file__).resolve().parents[1] / 'hms' / 'migrations' / 'versions' / '0014_patients_without_email.py'
    assert "down_revision: str | None = '0013'" in path.read_text(encoding='utf-8')
