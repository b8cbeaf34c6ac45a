"""The pages in the visitor's language: the browser's Accept-Language before signing in, the language menu on every
page (kept for the browser before signing in, saved on the account after), the account's preference after signing
in, ``<html lang>``, dates and times from CLDR, date fields and pickers in the page's language, and every text of the
frame, account and patient pages translated into German and French.

``user`` comes first in the page tests' signatures: main.py (run by the fixture) initialises the context, then
``clinic`` re-initialises it over the same database and sets the clock and the Berlin time zone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.pofile import read_po
from nicegui import ui
from nicegui.testing import User

from hms import context
from hms import i18n as hms_i18n
from hms.domain.errors import InvalidInput
from hms.services import preferences, profile
from pages.ui import dates, formats, theme

from . import scheduling_fixtures
from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, PATIENT_PASSWORD
from .page_steps import as_doctor, element, eventually, fill, see, sign_in, sign_out
from .scheduling_fixtures import Clinic, local

clinic = scheduling_fixtures.clinic  # the fixture
ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {**DEFAULT_KEYWORDS, 'lazy_gettext': None}


def account_language(clinic: Clinic, who: object) -> str:
    with clinic.ctx.uow() as uow:
        return preferences.get(uow, who).language


async def html_of(user: User, path: str) -> str:
    response = await user.http_client.get(path, follow_redirects=True)
    return response.text


# --- Before signing in: the browser's language, then the menu's choice ------------------------------------------------


async def test_the_sign_in_page_speaks_the_browsers_language(user: User) -> None:
    user.http_client.headers['Accept-Language'] = 'fr-CH, fr;q=0.9, en;q=0.5'
    await user.open('/login')
    await see(user, kind=ui.button, content='Se connecter')
    await see(user, 'Nouveau patient ?')
    await see(user, marker='language-menu')
    assert '<html lang="fr"' in await html_of(user, '/login')

    user.http_client.headers['Accept-Language'] = 'es, it'  # nothing we speak: the clinic's default
    await user.open('/login')
    await see(user, kind=ui.button, content='Sign in')
    assert '<html lang="en-GB"' in await html_of(user, '/login')


async def test_the_language_menu_before_signing_in_is_kept_for_this_browser(user: User) -> None:
    await user.open('/login')
    await see(user, kind=ui.button, content='Sign in')
    user.find(marker='language-de').click()
    await see(user, kind=ui.button, content='Anmelden')
    await see(user, 'Neu bei uns?')

    user.http_client.headers['Accept-Language'] = 'fr'  # the choice beats what the browser sends
    await user.open('/register')
    await see(user, 'Ihr Patientenkonto anlegen')
    await see(user, 'Geburtsdatum')
    assert '<html lang="de"' in await html_of(user, '/register')

    user.find(marker='language-en').click()
    await see(user, 'Create your patient account')


async def test_a_new_account_keeps_the_language_it_was_made_in(user: User) -> None:
    user.http_client.headers['Accept-Language'] = 'de'
    await user.open('/register')
    for label, value in {
        'Vollständiger Name': 'Grete Weiss',
        'E-Mail': 'grete@example.com',
        'Passwort': 'Lange-Geheime-Phrase-7',
        'Geburtsdatum': '17.05.1990',  # as German dates are written
        'Telefon': '+49 30 1234567',
    }.items():
        user.find(label).type(value)
    user.find('Geschlecht').click()
    user.find('Weiblich').click()
    user.find(kind=ui.button, content='Konto anlegen').click()
    await see(user, 'Wenn Sie Ihr Konto gerade erstellt haben, können Sie sich jetzt anmelden.')
    user.find(kind=ui.button, content='Anmelden').click()  # registering does not sign in
    await see(user, kind=ui.button, marker='sign-in')
    user.find('E-Mail').type('grete@example.com')
    user.find(kind=ui.input, content='Passwort').type('Lange-Geheime-Phrase-7')
    user.find(marker='sign-in').click()
    await see(user, 'Willkommen, Grete Weiss')
    with context.get().uow() as uow:
        grete = uow.users.by_email('grete@example.com')
        assert grete is not None and grete.language == 'de'
        assert grete.patient is not None and grete.patient.date_of_birth == date(1990, 5, 17)


async def test_the_not_found_and_error_pages_speak_the_visitors_language(user: User) -> None:
    user.http_client.headers['Accept-Language'] = 'fr'
    response = await user.http_client.get('/no/such/page')
    assert response.status_code == 404
    assert '<html lang="fr"' in response.text and 'aucune page' in response.text
    assert 'Langue : Fran' in response.text  # the language menu is there too

    api = await user.http_client.get('/api/no-such-thing')  # the API answers as the API does
    assert api.status_code == 404 and 'html' not in api.headers['content-type']


# --- Signed in: the menu saves the choice on the account; the account's choice wins ----------------------------------


async def test_a_doctor_has_the_menu_and_the_choice_is_saved_on_the_account(user: User, clinic: Clinic) -> None:
    await as_doctor(user, clinic)
    await see(user, marker='language-menu')
    user.find(marker='language-fr').click()
    await see(user, 'Ma journée')
    await eventually(lambda: account_language(clinic, clinic.doctor) == 'fr', 'saved on the account')
    await user.open('/profile')
    await see(user, 'Mon compte')
    await see(user, 'Changer le mot de passe', kind=ui.button)
    await see(user, 'Médecin')  # the role, in words
    assert '<html lang="fr"' in await html_of(user, '/profile')


async def test_after_signing_in_the_accounts_language_wins_over_the_browsers(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        preferences.set_language(uow, clinic.admin, 'de')
    await user.open('/login')
    user.find(marker='language-fr').click()  # chosen on the sign-in page of this browser
    await see(user, kind=ui.button, content='Se connecter')
    user.find('E-mail').type(ADMIN_EMAIL)
    user.find(kind=ui.input, content='Mot de passe').type(ADMIN_PASSWORD)
    user.find(marker='sign-in').click()
    await see(user, 'Mein Konto', kind=ui.item_section)  # the administrator's navigation, in German at once
    await see(user, marker='language-menu')
    assert '<html lang="de"' in await html_of(user, '/account/security')
    await user.open('/account/security')
    await see(user, 'Zwei-Schritt-Verifizierung')


async def test_an_account_without_a_choice_follows_the_browser_and_a_choice_then_wins(
    user: User, clinic: Clinic
) -> None:
    with clinic.ctx.uow() as uow:
        assert preferences.get(uow, clinic.patient).language is None  # nobody chose for Ada
    user.http_client.headers['Accept-Language'] = 'fr'
    await user.open('/login')
    user.find('E-mail').type(clinic.patient.email)
    user.find(kind=ui.input, content='Mot de passe').type(PATIENT_PASSWORD)
    user.find(marker='sign-in').click()
    await see(user, 'Ma santé')  # her browser's language, kept after signing in
    await user.open('/patient/appointments')
    await see(user, 'Mes rendez-vous')
    with clinic.ctx.uow() as uow:
        preferences.set_language(uow, clinic.patient, 'de')
    await sign_out(user)
    await user.open('/login')
    # The form speaks the browser's language, or the last signed-in account's (the frame copied it into this
    # browser's storage if a page was drawn after the change): filled in by field type, whichever it is.
    fields = {field.props.get('type'): field for field in user.find(kind=ui.input).elements}
    fields['email'].set_value(clinic.patient.email)
    fields['password'].set_value(PATIENT_PASSWORD)
    user.find(marker='sign-in').click()
    await see(user, 'Meine Gesundheit')  # her own choice now wins over the browser's


async def test_a_patient_whose_account_speaks_french_books_in_french(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        preferences.set_language(uow, clinic.patient, 'fr')
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'Ma santé')  # the form in English, the pages in French
    await user.open(f'/patient/doctors/{clinic.doctor.user_id}')
    await see(user, 'Créneaux libres dans les 7 prochains jours')
    await see(user, 'lun. 2 mars')  # the clinic's days, named in French
    await user.open('/patient/appointments')
    await see(user, 'Prendre rendez-vous', kind=ui.button)


async def test_a_date_field_shows_and_reads_dates_as_the_language_writes_them(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        preferences.set_language(uow, clinic.patient, 'de')
        born = profile.get_profile(uow, clinic.patient).dob
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'Meine Gesundheit')
    await user.open('/patient/profile')
    await see(user, 'Persönliche Angaben')
    field = element(user, label='Geburtsdatum')
    assert field.value == f'{born.day:02}.{born.month:02}.{born.year}'
    picker = next(iter(user.find(kind=ui.date).elements))
    assert picker.props['locale']['months'][2] == 'März' and picker.props['locale']['firstDayOfWeek'] == 1

    fill(user, '11.12.1990', label='Geburtsdatum')
    assert picker.value == '1990-12-11'  # the calendar follows what was typed
    user.find(marker='save-profile').click()
    await see(user, 'Ihre Angaben sind gespeichert.')
    with clinic.ctx.uow() as uow:
        assert profile.get_profile(uow, clinic.patient).dob == date(1990, 12, 11)

    fill(user, '31.02.1990', label='Geburtsdatum')
    user.find(marker='save-profile').click()
    await eventually(
        lambda: element(user, label='Geburtsdatum').error == 'Geben Sie ein Datum wie 31.12.2026 ein.', 'no date'
    )


# --- Formats and date inputs, language by language --------------------------------------------------------------------


def test_dates_and_times_in_english_read_as_before(clinic: Clinic) -> None:
    start, end = local(3, 9, 30), local(3, 10, 0)
    with hms_i18n.use_language('en'):
        assert formats.moment(start) == 'Tue 3 Mar 2026, 09:30'
        assert formats.span(start, end) == 'Tue 3 Mar 2026, 09:30–10:00'
        assert formats.time_of_day(start) == '09:30'
        assert formats.day(date(2026, 3, 3)) == 'Tue 3 Mar'
        assert formats.day(date(2026, 3, 3), year=True) == 'Tue 3 Mar 2026'
        assert formats.day(date(2026, 3, 2), long=True) == 'Monday 2 March'
        assert formats.day(date(2026, 3, 2), long=True, year=True) == 'Monday 2 March 2026'
        assert formats.date_only(date(2026, 3, 3)) == '3 Mar 2026'
        assert formats.moment(None) == '–'


@pytest.mark.parametrize(
    ('language', 'moment', 'day', 'long', 'date_only'),
    [
        ('de', 'Di., 3. März 2026, 09:30', 'Di., 3. März', 'Dienstag, 3. März', '3. März 2026'),
        ('fr', 'mar. 3 mars 2026, 09:30', 'mar. 3 mars', 'mardi 3 mars', '3 mars 2026'),
    ],
)
def test_dates_and_times_in_german_and_french_come_from_cldr(
    clinic: Clinic, language: str, moment: str, day: str, long: str, date_only: str
) -> None:
    with hms_i18n.use_language(language):
        assert formats.moment(local(3, 9, 30)) == moment
        assert formats.day(date(2026, 3, 3)) == day
        assert formats.day(date(2026, 3, 3), long=True) == long
        assert formats.date_only(date(2026, 3, 3)) == date_only
        assert formats.time_of_day(local(3, 0, 5)) == '00:05'  # 24 hours, in the clinic's zone


@pytest.mark.parametrize(
    ('language', 'typed', 'shown', 'months', 'first_day', 'wrong'),
    [
        ('en', '31/12/2026', '05/03/2026', 'January', 1, 'Enter a date like 31/12/2026.'),
        ('de', '31.12.2026', '05.03.2026', 'Januar', 1, 'Geben Sie ein Datum wie 31.12.2026 ein.'),
        ('fr', '31/12/2026', '05/03/2026', 'janvier', 1, 'Saisissez une date comme 31/12/2026.'),
    ],
)
def test_date_inputs_and_pickers_follow_the_language(
    clinic: Clinic, language: str, typed: str, shown: str, months: str, first_day: int, wrong: str
) -> None:
    with hms_i18n.use_language(language):
        assert dates.parse(typed) == date(2026, 12, 31)
        assert dates.parse('2026-12-31') == date(2026, 12, 31)  # ISO is always understood
        assert dates.iso(typed) == '2026-12-31' and dates.iso('') is None
        assert dates.shown(date(2026, 3, 5)) == shown
        assert dates.example() == typed
        for nonsense in ('31.02.2026', 'tomorrow', '31/12/26'):
            with pytest.raises(ValueError, match='31') as refused:
                dates.parse(nonsense)
            assert str(refused.value) == wrong
        locale = dates.date_picker_locale()
        assert locale['months'][0] == months and len(locale['days']) == len(locale['daysShort']) == 7
        assert locale['firstDayOfWeek'] == first_day  # Monday, in all three


def test_the_pickers_name_days_sunday_first_as_quasar_counts() -> None:
    with hms_i18n.use_language('de'):
        assert dates.date_picker_locale()['days'][:2] == ['Sonntag', 'Montag']
    with hms_i18n.use_language('fr'):
        assert dates.date_picker_locale()['daysShort'][1] == 'lun.'


def test_labels_and_preference_messages_are_translated_where_shown(clinic: Clinic) -> None:
    with hms_i18n.use_language('fr'):
        assert theme.status_label('booked') == 'Réservé'
        assert theme.gender_label('undisclosed') == 'Non précisé'
        assert theme.role_label('doctor') == 'Médecin'
        assert theme.status_label('unknown-value') == 'unknown-value'
        with clinic.ctx.uow() as uow, pytest.raises(InvalidInput) as refused:
            preferences.set_language(uow, clinic.patient, 'xx')
        assert refused.value.message == 'Choisissez une langue : English, Deutsch ou Français.'
    assert preferences.LANGUAGES == {'en': 'English', 'de': 'Deutsch', 'fr': 'Français'}  # each in itself


# --- Every text of these pages has its German and French --------------------------------------------------------------


def test_every_text_of_the_frame_account_and_patient_pages_is_translated() -> None:
    """What `make translations` extracts from these files has its German and French (every plural form, none
    fuzzy)."""
    found = [message for folder in ('ui', 'account', 'patient') for message in _extracted(ROOT / 'pages' / folder)]
    found += [
        message
        for _line, message, _comments, _context in extract_from_file(
            'python', str(ROOT / 'hms' / 'services' / 'preferences.py'), keywords=KEYWORDS
        )
    ]
    messages = {str(message[0] if isinstance(message, tuple) else message) for message in found}
    assert len(messages) > 200
    for language in ('de', 'fr'):
        with (hms_i18n.LOCALE_DIR / language / 'LC_MESSAGES' / 'messages.po').open('rb') as handle:
            catalogue = read_po(handle, locale=language)
        missing = sorted(text for text in messages if not _translated(catalogue.get(text)))
        assert missing == [], language


def _extracted(folder: Path) -> list[object]:
    return [found[2] for found in extract_from_dir(str(folder), [('**.py', 'python')], keywords=KEYWORDS)]


def _translated(entry: object) -> bool:
    if entry is None or getattr(entry, 'fuzzy', True):
        return False
    text = getattr(entry, 'string', '')
    return all(text) if isinstance(text, tuple) else bool(text)
