"""Polish of the pages: remembered colour theme, confirmations before destructive actions, empty states,
accessible basics and the length of the booking flow, driven through NiceGUI's simulated user.

``user`` comes first in each signature: main.py (run by the fixture) initialises the context, then ``clinic``
re-initialises it over the same database and sets the clock and the Berlin time zone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from nicegui import ui
from nicegui.testing import User

from hms import i18n as hms_i18n
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import InvalidInput
from hms.domain.scheduling import BookingIn, DepartmentIn
from hms.services import appointments, departments, preferences, stats
from hms.services.principal import Principal
from hms.services.stats import StatsQuery
from hms.services.views import AppointmentView
from pages.components import charts, forms
from pages.patient import appointments as patient_appointments
from pages.ui import theme
from pages.ui.navigation import NAVIGATION

from . import scheduling_fixtures
from .factories import PATIENT_PASSWORD
from .page_steps import PATIENCE, as_admin, as_doctor, as_patient, eventually, see, switch_to, table
from .scheduling_fixtures import Clinic, local

clinic = scheduling_fixtures.clinic  # the fixture


def dark_mode(user: User) -> Any:
    return next(iter(user.find(kind=ui.dark_mode).elements)).value


def stored_theme(clinic: Clinic, who: Any) -> str:
    with clinic.ctx.uow() as uow:
        return preferences.get(uow, who).theme


# --- colour theme, remembered per user -----------------------------------------------------------------------------


async def test_dark_mode_is_remembered_per_user_across_browsers(
    user: User, create_user: Callable[[], User], clinic: Clinic
) -> None:
    await as_patient(user)
    assert dark_mode(user) is None  # 'auto': the browser follows the device
    user.find(marker='theme-dark').click()
    await eventually(lambda: dark_mode(user) is True, 'dark mode on')
    await see(user, 'Colour theme: Dark')
    assert stored_theme(clinic, clinic.patient) == 'dark'

    await user.open('/patient/appointments')  # every page of this browser opens dark
    assert dark_mode(user) is True

    elsewhere = create_user()  # another browser: a fresh sign-in reads the choice from the account
    await as_patient(elsewhere)
    await eventually(lambda: dark_mode(elsewhere) is True, 'dark mode in the other browser')

    bob = create_user()
    await as_patient(bob, 'bob@example.com')
    await asyncio.sleep(0.3)  # give a wrong theme the chance to arrive
    assert dark_mode(bob) is None
    assert stored_theme(clinic, clinic.other_patient) == 'auto'


async def test_the_same_browser_shows_each_user_their_own_theme(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        preferences.set_theme(uow, clinic.patient, 'light')
    await as_patient(user)
    await eventually(lambda: dark_mode(user) is False, 'light mode for Ada')
    await user.open('/logout')
    await as_patient(user, 'bob@example.com')
    await eventually(lambda: dark_mode(user) is None, 'auto mode for Bob')
    user.find(marker='theme-light').click()
    await eventually(lambda: stored_theme(clinic, clinic.other_patient) == 'light', 'saved')
    user.find(marker='theme-auto').click()
    await eventually(lambda: stored_theme(clinic, clinic.other_patient) == 'auto', 'back to auto')
    assert dark_mode(user) is None


def test_only_known_themes_and_languages_are_stored(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        with pytest.raises(InvalidInput) as refused:
            preferences.set_theme(uow, clinic.patient, 'neon')
        assert 'theme' in refused.value.field_errors
        with pytest.raises(InvalidInput):
            preferences.set_language(uow, clinic.patient, 'xx')
        assert preferences.set_language(uow, clinic.patient, 'de').language == 'de'
    assert stored_theme(clinic, clinic.patient) == 'auto'


# --- contrast and charts in both modes -----------------------------------------------------------------------------


def test_text_colours_have_aa_contrast_in_light_and_dark_mode() -> None:
    for ink in (theme.PRIMARY, theme.CHART_INK, theme.SUBTLE_INK[0]):
        assert all(theme.contrast(ink, surface) >= 4.5 for surface in theme.LIGHT_SURFACES), ink
    for ink in (theme.PRIMARY_ON_DARK, theme.CHART_INK_ON_DARK, theme.SUBTLE_INK[1]):
        assert all(theme.contrast(ink, surface) >= 4.5 for surface in theme.DARK_SURFACES), ink
    assert theme.contrast('#ffffff', theme.PRIMARY) >= 4.5  # the header and filled buttons
    assert theme.contrast(theme.PRIMARY, theme.DARK_SURFACES[0]) < 4.5  # why dark mode needs its own primary text
    assert f'.body--dark .text-primary {{ color: {theme.PRIMARY_ON_DARK}' in theme.CSS
    assert f'fill: {theme.CHART_INK_ON_DARK}' in theme.CSS
    assert 'dark:' in theme.SUBTLE and 'dark:' in theme.ERROR_BANNER


def test_charts_draw_on_transparent_backgrounds_with_readable_hover_labels(clinic: Clinic) -> None:
    today = date(2026, 3, 2)
    with clinic.ctx.uow() as uow:
        data = stats.dashboard(uow, clinic.ctx.settings, clinic.admin, StatsQuery.preset('last30', today))
    for title, build, _, _ in charts.CHARTS:
        layout = build(data)['layout']
        assert layout['paper_bgcolor'] == layout['plot_bgcolor'] == 'rgba(0,0,0,0)', title
        assert layout['font']['color'] == theme.CHART_INK, title
        hover = layout['hoverlabel']
        assert theme.contrast(hover['font']['color'], hover['bgcolor']) >= 4.5, title
    empty_cell = charts.HEAT[0][1]
    assert empty_cell.startswith('rgba(') and float(empty_cell.rstrip(')').split(',')[-1]) < 0.2  # no white blocks


# --- confirmations before destructive actions: they say what happens, and backing out changes nothing -------------


def book(clinic: Clinic, patient: Principal, day: int, hour: int) -> AppointmentView:
    with clinic.ctx.uow() as uow:
        return appointments.book(
            uow, clinic.ctx.settings, patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(day, hour))
        )


def status_of(clinic: Clinic, appointment_id: int) -> AppointmentStatus:
    with clinic.ctx.uow() as uow:
        return appointments.get_appointment(uow, clinic.admin, appointment_id).status


def is_active(clinic: Clinic, who: Principal) -> bool:
    with clinic.ctx.uow() as uow:
        account = uow.users.get(who.user_id)
        return account is not None and account.is_active


async def dismiss(user: User, label: str) -> None:
    user.find(kind=ui.button, content=label).click()
    await eventually(lambda: not any(isinstance(e, ui.dialog) for e in user.client.layout.descendants()), 'closed')


async def test_patient_cancel_asks_first_and_keeping_it_changes_nothing(user: User, clinic: Clinic) -> None:
    visit = book(clinic, clinic.patient, 3, 10)
    await as_patient(user)
    await user.open('/patient/appointments')
    await see(user, marker='cancel')
    user.find(marker='cancel').click()
    await see(user, 'Cancel this appointment?')
    await see(user, 'The time is given back for other patients')
    assert unnamed(user) == []
    await dismiss(user, 'Keep the appointment')
    assert status_of(clinic, visit.id) is AppointmentStatus.BOOKED
    await see(user, 'Cancel', kind=ui.button, marker='cancel')


async def test_admin_confirmations_explain_and_backing_out_changes_nothing(user: User, clinic: Clinic) -> None:
    visit = book(clinic, clinic.patient, 3, 10)
    with clinic.ctx.uow() as uow:
        departments.create_department(uow, clinic.admin, DepartmentIn(name='Dermatology'))
    await as_admin(user)

    await user.open('/admin/departments')
    await eventually(lambda: len(table(user, 'departments-table').rows) == 2, 'departments listed')
    row = next(r for r in table(user, 'departments-table').rows if r['name'] == 'Dermatology')
    user.find(kind=ui.table, marker='departments-table').trigger('delete', row)
    await see(user, 'will be removed for good')
    assert unnamed(user) == []
    await dismiss(user, 'Cancel')
    with clinic.ctx.uow() as uow:
        assert 'Dermatology' in [d.name for d in departments.list_departments(uow)]

    await user.open('/admin/doctors')
    await eventually(lambda: len(table(user, 'doctors-table').rows) == 2, 'doctors listed')
    row = next(r for r in table(user, 'doctors-table').rows if r['name'] == 'Meredith Grey')
    user.find(kind=ui.table, marker='doctors-table').trigger('deactivate', row)
    await see(user, 'can no longer sign in')
    await see(user, '1 upcoming appointment will be cancelled and the patient notified.')
    await dismiss(user, 'Cancel')
    assert is_active(clinic, clinic.doctor)

    await user.open(f'/admin/patients/{clinic.patient.user_id}')
    await see(user, marker='blacklist')
    user.find(marker='blacklist').click()
    await see(user, 'can no longer sign in or book')
    assert unnamed(user) == []
    await see(user, '1 upcoming appointment will be cancelled and the patient notified.')
    await dismiss(user, 'Cancel')
    assert is_active(clinic, clinic.patient)

    await user.open('/admin/appointments')
    await eventually(lambda: len(table(user, 'appointments-table').rows) == 1, 'the appointment listed')
    user.find(kind=ui.table, marker='appointments-table').trigger('cancel', table(user, 'appointments-table').rows[0])
    await see(user, 'The patient is notified with your reason, and the time becomes free for others.')
    await dismiss(user, 'Keep appointment')
    assert status_of(clinic, visit.id) is AppointmentStatus.BOOKED


# --- empty states say what to do next ------------------------------------------------------------------------------


async def test_empty_states_say_what_to_do_next(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    await see(user, 'Nothing booked yet. Use "Book an appointment" to find a doctor and a free time.')
    await user.open('/patient/appointments')
    await see(user, 'No upcoming appointments. Use "Book an appointment" to find a doctor and a time.')
    await see(user, 'Book an appointment', kind=ui.button)
    await user.open('/patient/doctors')
    user.find('Name or specialization').type('nobody-like-this').trigger('keydown.enter')
    await see(user, 'No doctors match your search. Try another name or specialization')

    await as_doctor(user, clinic)
    await see(user, 'No appointments booked in the next 7 days. Check your availability so that patients can book.')


# --- the booking flow: at most three steps from the patient's home -------------------------------------------------


def first_slot_marker(user: User) -> str:
    assert user.client is not None
    for element in user.client.layout.descendants():
        if isinstance(element, ui.button):
            found = [m for m in element._markers if m.startswith('slot-')]
            if found:
                return found[0]
    raise AssertionError('no free time offered')


async def test_a_patient_books_in_three_steps_from_home(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    steps = 0

    steps += 1  # 1: the doctor, straight from the home page
    user.find(kind=ui.link, content='Meredith Grey (Cardiology)').click()
    await see(user, 'Free times in the next 7 days')

    steps += 1  # 2: the time
    user.find(kind=ui.button, marker=first_slot_marker(user)).click()
    await see(user, 'Confirm your appointment')
    assert unnamed(user) == []

    steps += 1  # 3: confirm
    user.find(marker='confirm-booking').click()
    await see(user, 'Booked:')
    with clinic.ctx.uow() as uow:
        booked = appointments.my_appointments(uow, clinic.patient, upcoming=True)
    assert [a.doctor_name for a in booked] == ['Meredith Grey'] and steps <= 3


async def test_every_doctor_is_one_choice_away_from_the_patients_home(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    picker = next(iter(user.find(kind=ui.select, marker='pick-doctor').elements))
    assert sorted(picker.options.values()) == ['Derek Shepherd (Cardiology)', 'Meredith Grey (Cardiology)']
    with user:
        picker.value = clinic.other_doctor.user_id
    await see(user, 'Free times in the next 7 days')
    await see(user, 'Derek Shepherd')


# --- accessible basics: every field labelled, every button named ----------------------------------------------------

FIELDS = (ui.input, ui.select, ui.number, ui.textarea)  # ui.textarea is a ui.input; listed for clarity


def unnamed(user: User) -> list[str]:
    """Fields without a label and buttons without text or aria-label on the current page."""
    assert user.client is not None
    problems = []
    for element in user.client.layout.descendants():
        props = element.props
        named = bool(props.get('label') or props.get('aria-label'))
        if isinstance(element, FIELDS) and not named:
            problems.append(f'field {element}')
        elif isinstance(element, ui.button) and not (named or element.text):
            problems.append(f'button {element}')
    return problems


async def test_the_accessibility_check_finds_unnamed_controls(user: User) -> None:
    @ui.page('/polish-unnamed')
    def unnamed_page() -> None:
        ui.input()
        ui.button(icon='close')
        ui.input('Labelled')
        ui.button(icon='close').props('aria-label="Dismiss"')

    await user.open('/polish-unnamed')
    assert [problem.split()[0] for problem in unnamed(user)] == ['field', 'button']


async def walk(user: User, paths: list[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        await user.open(path)
        await asyncio.sleep(0.2)  # let parts built after the first paint arrive
        if problems := unnamed(user):
            found[path] = problems
    return found


async def test_main_pages_label_every_field_and_name_every_button(user: User, clinic: Clinic) -> None:
    visit = book(clinic, clinic.patient, 3, 10)
    assert await walk(user, ['/login', '/register']) == {}

    await as_patient(user)
    patient_pages = [
        '/patient',
        '/patient/doctors',
        f'/patient/doctors/{clinic.doctor.user_id}',
        '/patient/appointments',
        '/patient/visits',
        '/patient/profile',
        '/patient/access-log',
        '/exports',
        '/profile',
    ]
    assert await walk(user, patient_pages) == {}

    await as_doctor(user, clinic)
    doctor_pages = [
        '/doctor',
        '/doctor/patients',
        '/doctor/availability',
        f'/doctor/appointments/{visit.id}',
        f'/doctor/patients/{clinic.patient.user_id}',
        '/exports',
        '/profile',
    ]
    assert await walk(user, doctor_pages) == {}

    await as_admin(user)
    admin_pages = [
        '/admin',
        '/admin/departments',
        '/admin/doctors',
        f'/admin/doctors/{clinic.doctor.user_id}',
        '/admin/patients',
        f'/admin/patients/{clinic.patient.user_id}',
        '/admin/appointments',
        '/admin/jobs',
        '/admin/outbox',
        '/exports',
        '/profile',
    ]
    assert await walk(user, admin_pages) == {}


def test_dates_and_times_are_formatted_in_one_place() -> None:
    """Pages format dates through pages/formats.py (the clinic's zone and format), never by hand."""
    pages = Path(charts.__file__).parents[1]  # every module below pages/
    stray = []
    for source in sorted(pages.rglob('*.py')):
        if source.name == 'formats.py':
            continue
        text = source.read_text()
        for pattern in ('strftime(', ':%a}', ':%b', ':%A}', ':%B', ':%d ', 'astimezone(timezone.utc)'):
            if pattern in text:
                stray.append(f'{source.name}: {pattern}')
    assert stray == []


# --- installable web app --------------------------------------------------------------------------------------------


async def test_the_app_is_installable_with_a_manifest_and_icons(user: User) -> None:
    page = await user.http_client.get('/login')
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    response = await user.http_client.get('/manifest.webmanifest')
    assert response.status_code == 200
    assert response.headers['content-type'].startswith('application/manifest+json')
    manifest = response.json()
    assert manifest['name'] == 'Riverside Clinic' and manifest['display'] == 'standalone'
    assert manifest['start_url'] == '/'
    sizes = set()
    for icon in manifest['icons']:
        image = await user.http_client.get(icon['src'])
        assert image.status_code == 200 and image.content.startswith(b'\x89PNG'), icon
        sizes.add(icon['sizes'])
    assert {'192x192', '512x512'} <= sizes
    assert any(icon['purpose'] == 'maskable' for icon in manifest['icons'])


# --- keyboard: Enter submits -----------------------------------------------------------------------------------------


async def test_enter_submits_dialogs_and_forms(user: User, clinic: Clinic) -> None:
    await as_admin(user)
    await user.open('/admin/departments')
    await see(user, marker='add-department')
    user.find(marker='add-department').click()
    await see(user, 'Add department', kind=ui.label)
    user.find(kind=ui.input, content='Name').type('Neurology').trigger('keydown.enter')
    await see(user, 'Department Neurology added.')

    await as_patient(user)
    await user.open('/patient/profile')
    await see(user, marker='save-profile')
    phone = next(e for e in user.find(kind=ui.input).elements if e.props.get('label') == 'Phone')
    with user:
        phone.value = '+49 30 5555-0100'
    user.find(kind=ui.input, marker=None, content='Phone').trigger('keydown.enter')
    await see(user, 'Your details are saved.')
    with clinic.ctx.uow() as uow:
        assert uow.patients.get(clinic.patient.user_id).phone == '+49 30 5555-0100'


async def test_slow_lists_show_a_loading_state_while_they_load(user: User, clinic: Clinic) -> None:
    await as_admin(user)
    with user:
        table = ui.table(columns=[], rows=[])
        with forms.loading(table):
            assert table.props.get('loading') is True
        assert 'loading' not in table.props
    await see(user, marker='figure-patients')
    bars = [e for e in user.client.layout.descendants() if 'loading' in e._markers]
    assert [type(e) for e in bars] == [ui.linear_progress] and not bars[0].visible  # shown while filters reload


# --- English and German, per user ----------------------------------------------------------------------------------


async def test_a_patient_switches_to_german_and_it_follows_them(
    user: User, create_user: Callable[[], User], clinic: Clinic
) -> None:
    await as_patient(user)
    user.find(marker='language-de').click()
    await see(user, 'Meine Gesundheit')
    await see(user, 'Termin buchen', kind=ui.button)
    with clinic.ctx.uow() as uow:
        assert preferences.get(uow, clinic.patient).language == 'de'

    await user.open(f'/patient/doctors/{clinic.doctor.user_id}')
    await see(user, 'Freie Zeiten in den nächsten 7 Tagen')
    await see(user, 'Mo., 2. März')  # the clinic's days, named in German (CLDR)
    user.find(kind=ui.button, marker=first_slot_marker(user)).click()
    await see(user, 'Termin bestätigen')
    await user.open('/patient/visits')
    await see(user, 'Frühere Besuche')
    await see(user, 'Keine anstehenden Termine. Über „Arzt finden“ im Menü buchen Sie einen.')
    await user.open('/patient/profile')
    await see(user, 'Persönliche Angaben')
    await see(user, 'Meine Angaben speichern', kind=ui.button)

    elsewhere = create_user()
    await switch_to(elsewhere, 'ada@example.com', PATIENT_PASSWORD, 'Ada Lovelace')  # in either language
    for _ in range(PATIENCE):  # the first page there learns the choice from the account; the pages then follow it
        await elsewhere.open('/patient')
        assert elsewhere.client is not None
        if any(getattr(e, 'text', '') == 'Meine Gesundheit' for e in elsewhere.client.layout.descendants()):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError('the other browser stayed in English')

    bob = create_user()
    await as_patient(bob, 'bob@example.com')
    await asyncio.sleep(0.3)
    await see(bob, 'Book an appointment', kind=ui.button)


def test_every_translated_text_has_its_german() -> None:
    """Each message the pages mark for translation (as `make translations` extracts them), and each patient
    navigation, theme and status label, has its German in the catalogue."""
    method_map = [('**.py', 'python')]
    keywords = {**DEFAULT_KEYWORDS, 'lazy_gettext': None}
    pages_folder = Path(charts.__file__).parents[1]
    messages = [found[2] for found in extract_from_dir(str(pages_folder), method_map, keywords=keywords)]
    singular = [message[0] if isinstance(message, tuple) else message for message in messages]
    labels = [item.label for item in NAVIGATION[Role.PATIENT]] + list(preferences.THEMES.values())
    labels += [label for label, _ in patient_appointments.STATUS.values()]
    with (hms_i18n.LOCALE_DIR / 'de' / 'LC_MESSAGES' / 'messages.po').open('rb') as handle:
        german = read_po(handle, locale='de')

    def translated(text: str) -> bool:  # in the catalogue, not fuzzy, every form filled ('Name' is German too)
        entry = german.get(text)
        if entry is None or entry.fuzzy:
            return False
        return all(entry.string) if isinstance(entry.string, tuple) else bool(entry.string)

    missing = [text for text in singular + labels if not translated(text)]
    assert len(singular) > 50 and missing == []


def test_empty_charts_say_what_to_do_instead_of_showing_bare_axes(clinic: Clinic) -> None:
    query = StatsQuery.preset('last30', date(2026, 3, 2))
    with clinic.ctx.uow() as uow:
        empty = stats.dashboard(uow, clinic.ctx.settings, clinic.admin, query)
    layout = charts.per_day(empty)['layout']
    assert layout['annotations'][0]['text'] == charts.EMPTY and layout['xaxis']['visible'] is False

    book(clinic, clinic.patient, 2, 10)
    with clinic.ctx.uow() as uow:
        busy = stats.dashboard(uow, clinic.ctx.settings, clinic.admin, StatsQuery.preset('last7', date(2026, 3, 2)))
    assert 'annotations' not in charts.per_day(busy)['layout']
    assert 'annotations' not in charts.utilisation(busy)['layout']
