"""The services' and the domain's messages in the user's language, and the API's problems: `detail` and the field
messages follow `Accept-Language`; `type`, `status`, `title` and `code` are the same in every language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from hms import i18n
from hms.domain.criteria import AppointmentFilter
from hms.domain.enums import Gender
from hms.domain.errors import InvalidInput, NotAllowed, NotBookable, NotFound, SlotTaken
from hms.domain.scheduling import BookingIn
from hms.domain.schemas import PatientRegistration
from hms.domain.validation import field_errors, parse
from hms.services import appointments, doctors, notices

from .api_fixtures import People, assert_problem
from .factories import PATIENT_PASSWORD, patient_data
from .scheduling_fixtures import local

# What must not change with the language: the members programs read.
STABLE = ('type', 'status', 'title', 'code', 'instance')


def _book(api: TestClient, people: People, headers: dict[str, str], start: datetime, **extra: str) -> Any:
    body = {'doctor_id': people.clinic.doctor.user_id, 'start': start.isoformat(), 'reason': 'Check-up'}
    return api.post('/api/appointments', headers={**headers, **extra}, json=body)


def _in(language: str | None) -> dict[str, str]:
    return {'Accept-Language': language} if language else {}


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body.get(key) for key in STABLE}


# --- A refusal of a service: 409, slot taken ------------------------------------------------------------------------

SLOT_TAKEN = {
    None: 'This slot was just taken. Please choose another time.',
    'en': 'This slot was just taken. Please choose another time.',
    'de': 'Diese Zeit wurde gerade vergeben. Bitte wählen Sie eine andere.',
    'fr': 'Ce créneau vient d’être pris. Veuillez choisir un autre horaire.',
    'es': 'This slot was just taken. Please choose another time.',  # not offered: the default language
}


def test_a_taken_slot_is_refused_in_the_language_asked_for_with_the_same_type_status_title_and_code(
    api: TestClient, people: People
) -> None:
    assert _book(api, people, people.ada, local(3, 9)).status_code == 201
    answers = {
        language: assert_problem(_book(api, people, {**people.bob, **_in(language)}, local(3, 9)), 409)
        for language in SLOT_TAKEN
    }
    for language, body in answers.items():
        assert body['detail'] == SLOT_TAKEN[language], language
    english = _stable(answers[None])
    assert english == {
        'type': 'about:blank',
        'status': 409,
        'title': 'Slot taken',
        'code': 'slot_taken',
        'instance': '/api/appointments',
    }
    assert all(_stable(body) == english for body in answers.values())


def test_quality_values_choose_the_language(api: TestClient, people: People) -> None:
    assert _book(api, people, people.ada, local(3, 9)).status_code == 201
    headers = {**people.bob, 'Accept-Language': 'es;q=1, fr;q=0.8, de;q=0.5'}
    body = assert_problem(_book(api, people, headers, local(3, 9)), 409)
    assert body['detail'] == SLOT_TAKEN['fr']


# --- Validation: 422 with field messages -----------------------------------------------------------------------------

BAD_REGISTRATION = patient_data(email='nope', password='123', dob=None, gender='robot', extra='x')


@pytest.mark.parametrize(
    ('language', 'expected'),
    [
        (
            None,
            {
                'email': 'Enter a valid email address.',
                'password': 'Use at least 8 characters.',
                'dob': 'Enter a date as YYYY-MM-DD.',
                'gender': "Choose one of 'female', 'male', 'other' or 'undisclosed'.",
                'extra': 'This field is not expected here.',
            },
        ),
        (
            'de',
            {
                'email': 'Geben Sie eine gültige E-Mail-Adresse ein.',
                'password': 'Verwenden Sie mindestens 8 Zeichen.',
                'dob': 'Geben Sie ein Datum als JJJJ-MM-TT ein.',
                'gender': "Wählen Sie 'female', 'male', 'other' oder 'undisclosed'.",
                'extra': 'Dieses Feld ist hier nicht vorgesehen.',
            },
        ),
        (
            'fr',
            {
                'email': 'Saisissez une adresse e-mail valide.',
                'password': 'Utilisez au moins 8 caractères.',
                'dob': 'Saisissez une date au format AAAA-MM-JJ.',
                'gender': "Choisissez 'female', 'male', 'other' ou 'undisclosed'.",
                'extra': 'Ce champ n’est pas attendu ici.',
            },
        ),
    ],
)
def test_invalid_fields_are_explained_in_the_language_asked_for(
    api: TestClient, language: str | None, expected: dict[str, str]
) -> None:
    body = assert_problem(api.post('/api/register', json=BAD_REGISTRATION, headers=_in(language)), 422)
    assert body['errors'] == expected
    assert _stable(body) == {
        'type': 'about:blank',
        'status': 422,
        'title': 'Invalid input',
        'code': 'invalid_input',
        'instance': '/api/register',
    }
    for field, message in expected.items():
        assert message in body['detail'], (field, body['detail'])  # the summary names every field, translated too
    start = {None: 'The request is not valid.', 'de': 'Die Anfrage ist ungültig.', 'fr': 'La requête n’est pas valide.'}
    assert body['detail'].startswith(start[language])


def test_a_required_field_and_a_validator_of_ours_in_german(api: TestClient) -> None:
    data = {key: value for key, value in patient_data(dob='2999-01-01').items() if key != 'phone'}
    body = assert_problem(api.post('/api/register', json=data, headers=_in('de-CH')), 422)
    assert body['errors']['phone'] == 'Dieses Feld ist erforderlich.'
    assert body['errors']['dob'] == 'Das Geburtsdatum darf nicht in der Zukunft liegen.'


def test_a_service_refusal_with_field_messages_in_french(api: TestClient, people: People) -> None:
    headers = {**people.ada, 'Accept-Language': 'fr'}
    body = assert_problem(_book(api, people, headers, local(3, 7)), 422)  # 07:00: before the doctor's hours
    assert body['code'] == 'not_bookable' and body['title'] == 'Not bookable'
    message = 'Cet horaire ne fait pas partie des créneaux du médecin. Choisissez l’un des créneaux libres proposés.'
    assert body['errors'] == {'start': message}
    assert body['detail'] == message


# --- Signing in: 401 --------------------------------------------------------------------------------------------------

WRONG_PASSWORD = {
    None: 'Wrong email or password.',
    'de': 'E-Mail-Adresse oder Passwort ist falsch.',
    'fr': 'E-mail ou mot de passe incorrect.',
    'es': 'Wrong email or password.',
}


@pytest.mark.parametrize('language', list(WRONG_PASSWORD))
def test_a_wrong_password_is_401_in_the_language_asked_for(
    api: TestClient, people: People, language: str | None
) -> None:
    credentials = {'email': people.clinic.patient.email, 'password': PATIENT_PASSWORD + 'x'}
    response = api.post('/api/login', json=credentials, headers=_in(language))
    body = assert_problem(response, 401)
    assert body['detail'] == WRONG_PASSWORD[language]
    assert (body['title'], body['code']) == ('Invalid credentials', 'invalid_credentials')
    assert response.headers['www-authenticate'] == 'Bearer'


def test_framework_errors_and_role_refusals_follow_the_language(api: TestClient, people: People) -> None:
    missing = assert_problem(api.get('/api/no-such-route', headers=_in('de')), 404)
    assert missing['detail'] == 'Unter dieser Adresse gibt es nichts.'
    assert (missing['title'], missing['code']) == ('Not Found', 'not_found')
    refused = assert_problem(api.get('/api/doctor/availability', headers={**people.ada, 'Accept-Language': 'fr'}), 403)
    assert refused['detail'] == 'Votre rôle ne donne pas accès à cette ressource.'
    assert (refused['title'], refused['code']) == ('Forbidden', 'forbidden')
    query = assert_problem(api.get('/api/doctors/abc', headers={**people.ada, 'Accept-Language': 'fr'}), 422)
    assert query['errors'] == {'doctor_id': 'Saisissez un nombre entier.'}


def test_a_successful_answer_speaks_the_language_too(api: TestClient, people: People) -> None:
    response = api.post('/api/logout', headers={**people.ada, 'Accept-Language': 'de'})
    assert response.status_code == 200 and response.json() == {'detail': 'Abgemeldet.'}


# --- Services and the domain, without the API ------------------------------------------------------------------------


def test_a_service_refusal_under_use_language_is_in_french(people: People) -> None:
    clinic = people.clinic
    with i18n.use_language('fr'), clinic.ctx.uow() as uow, pytest.raises(NotAllowed) as refused:
        appointments.my_appointments(uow, clinic.doctor)
    assert refused.value.message == 'Votre rôle ne vous permet pas de lister vos rendez-vous.'
    with i18n.use_language('fr'), clinic.ctx.uow() as uow, pytest.raises(NotFound) as missing:
        appointments.get_appointment(uow, clinic.patient, 999_999)
    assert str(missing.value) == 'Ce rendez-vous n’existe pas.'
    with clinic.ctx.uow() as uow, pytest.raises(NotFound) as english:  # the default language outside
        appointments.get_appointment(uow, clinic.patient, 999_999)
    assert english.value.message == 'No such appointment.'


@pytest.mark.parametrize(
    ('minutes', 'language', 'expected'),
    [
        (1, 'en', 'Appointments must be booked at least 1 minute ahead.'),
        (2, 'en', 'Appointments must be booked at least 2 minutes ahead.'),
        (1, 'de', 'Termine müssen mindestens 1 Minute im Voraus gebucht werden.'),
        (2, 'de', 'Termine müssen mindestens 2 Minuten im Voraus gebucht werden.'),
        (1, 'fr', 'Les rendez-vous doivent être réservés au moins 1 minute à l’avance.'),
        (2, 'fr', 'Les rendez-vous doivent être réservés au moins 2 minutes à l’avance.'),
    ],
)
def test_plural_messages_follow_the_count_in_each_language(
    people: People, minutes: int, language: str, expected: str
) -> None:
    clinic = people.clinic
    settings = clinic.ctx.settings.model_copy(update={'booking_notice_minutes': minutes})
    soon = local(2, 8) + timedelta(seconds=30)  # the clock stands at 08:00
    data = BookingIn(doctor_id=clinic.doctor.user_id, start=soon)
    with i18n.use_language(language), clinic.ctx.uow() as uow, pytest.raises(NotBookable) as refused:
        appointments.book(uow, settings, clinic.patient, data)
    assert refused.value.message == expected
    assert refused.value.field_errors == {'start': expected}


def test_domain_defaults_are_translated_when_raised_not_at_import() -> None:
    with i18n.use_language('de'):
        assert SlotTaken().message == 'Diese Zeit wurde gerade vergeben. Bitte wählen Sie eine andere.'
    assert SlotTaken().message == 'This slot was just taken. Please choose another time.'
    assert SlotTaken.title == 'Slot taken' and SlotTaken.code == 'slot_taken'


def test_pydantic_messages_are_mapped_to_our_sentences_in_the_language_in_force() -> None:
    class Form(BaseModel):
        count: int = Field(ge=1, le=5)
        name: str = Field(max_length=3)
        tags: list[str] = Field(max_length=1)

    with pytest.raises(ValidationError) as invalid:
        Form.model_validate({'count': 9, 'name': 'abcd', 'tags': ['a', 'b']})
    with i18n.use_language('de'):
        assert field_errors(invalid.value) == {
            'count': 'Geben Sie eine Zahl von höchstens 5 ein.',
            'name': 'Verwenden Sie höchstens 3 Zeichen.',
            'tags': 'Geben Sie höchstens 1 Eintrag an.',
        }
    assert field_errors(invalid.value) == {
        'count': 'Enter a number of at most 5.',
        'name': 'Use at most 3 characters.',
        'tags': 'Give at most 1 item.',
    }


def test_parse_raises_invalid_input_in_the_language_in_force() -> None:
    data = patient_data(password='password', gender=Gender.FEMALE.value)
    with i18n.use_language('fr'), pytest.raises(InvalidInput) as invalid:
        parse(PatientRegistration, data)
    assert invalid.value.message == 'Veuillez corriger les champs signalés.'
    assert invalid.value.field_errors == {
        'password': 'Ce mot de passe est trop courant ; choisissez-en un plus difficile à deviner.'
    }


# --- What the clinic writes for a patient is in the patient's language, whoever acts ----------------------------------


def _speaks(clinic: Any, user_id: int, language: str) -> None:
    with clinic.ctx.uow() as uow:
        user = uow.users.get(user_id)
        assert user is not None
        user.language = language
        uow.commit()


def test_the_admin_moving_an_appointment_tells_the_patient_in_the_patients_language(people: People) -> None:
    clinic = people.clinic
    _speaks(clinic, clinic.patient.user_id, 'de')
    with clinic.ctx.uow() as uow:
        booked = appointments.book(
            uow, clinic.ctx.settings, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 9))
        )
    with i18n.use_language('fr'), clinic.ctx.uow() as uow:  # the admin reads French
        appointments.reschedule(uow, clinic.ctx.settings, clinic.admin, booked.id, local(3, 10))
    with clinic.ctx.uow() as uow:  # the move's notice, not the welcome
        [notice] = [
            found for found in notices.my_notices(uow, clinic.patient) if found.appointment_id
        ]  # not the welcome
    assert notice.subject == 'Ihr Termin wurde verschoben'
    assert notice.body.startswith('Die Praxis hat Ihren Termin bei Meredith Grey von ')
    assert notice.body.endswith(' verschoben.')


def test_a_deactivated_doctors_appointments_keep_the_reason_in_each_patients_language(people: People) -> None:
    clinic = people.clinic
    _speaks(clinic, clinic.other_patient.user_id, 'fr')
    for patient, start in ((clinic.patient, local(3, 9)), (clinic.other_patient, local(3, 10))):
        with clinic.ctx.uow() as uow:
            appointments.book(
                uow, clinic.ctx.settings, patient, BookingIn(doctor_id=clinic.doctor.user_id, start=start)
            )
    with i18n.use_language('de'), clinic.ctx.uow() as uow:  # the admin reads German
        assert doctors.set_active(uow, clinic.ctx.settings, clinic.admin, clinic.doctor.user_id, active=False) == 2
    with clinic.ctx.uow() as uow:
        reasons = {
            view.patient_id: uow.appointments.get(view.id).cancel_reason
            for view in appointments.search(uow, clinic.admin, AppointmentFilter()).items
        }
    assert reasons == {
        clinic.patient.user_id: 'The doctor is no longer available at the clinic.',
        clinic.other_patient.user_id: 'Le médecin n’exerce plus à la clinique.',
    }
