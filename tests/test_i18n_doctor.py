"""The doctor's pages and the shared page components in English, German and French: the texts come from the
catalogues, dates and times from the locale (Babel), and English reads as it always has.

``user`` comes first in every page test's signature (it runs main.py); ``clinic`` then replaces the application
context with the Berlin clinic and its frozen clock (Monday 2 March 2026, 08:00 in Berlin).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User

from hms.domain.scheduling import BookingIn
from hms.i18n import use_language
from hms.services import appointments, preferences
from pages.components import charts, dialogs, forms, tables

from .api_fixtures import give_password
from .factories import DOCTOR_PASSWORD
from .page_steps import PATIENCE, see, switch_to
from .scheduling_fixtures import Clinic, local

NUMBERS: dict[str, Any] = {
    'weeks': ['2025-12-29', '2026-01-05', '2026-03-02'],
    'visits_per_week': [0, 1, 2],
}
DASHBOARD: dict[str, Any] = {
    'utilisation': [{'doctor': 'Meredith Grey', 'booked': 3, 'published': 70, 'share': round(3 / 70, 4)}],
    'heatmap': {
        'weekdays': ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
        'hours': list(range(24)),
        'z': [[1 if (day, hour) == (1, 10) else 0 for hour in range(24)] for day in range(7)],
    },
    'per_day': {'dates': ['2026-03-02', '2026-03-03'], 'series': {'booked': [0, 1], 'completed': [0, 0]}},
}


def book(clinic: Clinic, day: int, hour: int) -> int:
    with clinic.ctx.uow() as uow:
        booked = appointments.book(
            uow,
            clinic.ctx.settings,
            clinic.patient,
            BookingIn(doctor_id=clinic.doctor.user_id, start=local(day, hour), reason='Fever'),
        )
    return booked.id


def texts(user: User) -> list[str]:
    """Every text of the current page: labels, buttons, links and their accessible names."""
    assert user.client is not None
    found = []
    for element in user.client.layout.descendants():
        for value in (getattr(element, 'text', None), element.props.get('label'), element.props.get('aria-label')):
            if isinstance(value, str) and value:
                found.append(value)
    return found


async def doctor_in(user: User, clinic: Clinic, language: str, path: str, expect: str) -> list[str]:
    """The clinic's doctor, whose account speaks ``language``, signed in and on ``path`` once it shows ``expect``."""
    give_password(clinic, clinic.doctor)
    with clinic.ctx.uow() as uow:
        preferences.set_language(uow, clinic.doctor, language)
    await switch_to(user, clinic.doctor.email, DOCTOR_PASSWORD, 'Riverside Clinic')
    for _attempt in range(PATIENCE):  # the first page after signing in learns the account's language
        await user.open(path)
        if any(expect == text for text in texts(user)):
            return texts(user)
        await asyncio.sleep(0.1)
    raise AssertionError(f'{path} never showed {expect!r} in {language}: {texts(user)}')


async def all_shown(user: User, expected: set[str]) -> list[str]:
    """The page's texts once all of ``expected`` are among them: its later parts (the waiting room, the export
    panel) are drawn after the heading, once their data is read."""
    for _attempt in range(PATIENCE):
        shown = texts(user)
        if expected <= set(shown):
            return shown
        await asyncio.sleep(0.1)
    raise AssertionError(expected - set(texts(user)))


# --- Pages ------------------------------------------------------------------------------------------------------------


async def test_the_doctors_day_in_german(user: User, clinic: Clinic) -> None:
    book(clinic, 2, 10)
    book(clinic, 3, 10)
    shown = await doctor_in(user, clinic, 'de', '/doctor', 'Mein Tag')
    assert 'Willkommen, Meredith Grey' in shown
    assert {'Heute gebucht', 'Heute abgeschlossen', 'Gebucht in den nächsten 7 Tagen', 'Meine Zahlen'} <= set(shown)
    assert 'Meine Verfügbarkeit verwalten' in shown and 'Manage my availability' not in shown
    assert any('Dienstag' in text and '3. März' in text for text in shown), shown  # Tuesday 3 March, by CLDR
    assert not any('Tuesday' in text or 'March' in text for text in shown)
    assert {'Öffnen', 'Den Termin um 10:00 mit Ada Lovelace öffnen', 'Ada Lovelace, 35 Jahre'} <= set(shown)


async def test_the_visit_page_in_french_with_french_dates(user: User, clinic: Clinic) -> None:
    visit = book(clinic, 2, 10)
    shown = await doctor_in(user, clinic, 'fr', f'/doctor/appointments/{visit}', 'Consigner la consultation')
    assert {'Annuler le rendez-vous', 'Signaler une absence', 'Terminer la consultation', 'Diagnostic'} <= set(shown)
    assert 'Consultation : Ada Lovelace' in shown  # the page's title
    assert any('2 mars 2026' in text and '10:00' in text for text in shown), shown  # the appointment's time
    assert 'Record the visit' not in shown and 'Cancel appointment' not in shown


async def test_the_availability_page_in_german_names_the_weekdays_by_the_locale(user: User, clinic: Clinic) -> None:
    shown = await doctor_in(user, clinic, 'de', '/doctor/availability', 'Wochenvorlage')
    assert {'Montag', 'Dienstag', 'Sonntag', 'Die nächsten 7 Tage', 'Zeiten bearbeiten'} <= set(shown)
    assert '09:00–13:00, 14:00–17:00' in shown  # Monday's hours (the clinic's working week), the locale's times
    assert 'Freier Tag' in shown  # Saturday
    assert not any(text in shown for text in ('Monday', 'Weekly template', 'Edit hours', 'Day off'))


async def test_the_patients_list_in_french(user: User, clinic: Clinic) -> None:
    book(clinic, 3, 10)
    shown = await doctor_in(user, clinic, 'fr', '/doctor/patients', 'Rechercher parmi mes patients')
    assert user.client is not None
    table = next(e for e in user.client.layout.descendants() if isinstance(e, ui.table))
    labels = [column['label'] for column in table.columns]
    assert labels == ['Patient', 'Dernière consultation', 'Prochain rendez-vous', 'Rendez-vous']
    [row] = table.rows
    assert 'mars 2026' in row['next_visit'] and 'Mar' not in row['next_visit']
    assert 'Une partie du nom suffit' in [e.props.get('hint') for e in user.client.layout.descendants()]
    assert 'Mes patients' in shown


async def test_english_reads_as_before(user: User, clinic: Clinic) -> None:
    book(clinic, 3, 10)
    shown = await doctor_in(user, clinic, 'en', '/doctor', 'My day')
    expected = {
        'Welcome, Meredith Grey',
        'Booked today',
        'Completed today',
        'Cancelled today',
        'No-show today',
        'Booked in the next 7 days',
        'Manage my availability',
        'My numbers',
        "This month's visits",
        'Completion rate',
        'No-show rate',
        'Visits per week over the last 3 months (0 in all)',
        'Bar chart of completed visits per week, 0 in the last 13 weeks',
        'Export my appointments',
        'Schedule',
        'Show one day or a week',
    }
    shown = await all_shown(user, expected)
    assert any('Tuesday' in text and '3 March' in text for text in shown), shown
    await user.open('/doctor/availability')
    await see(user, 'Monday')
    await see(user, '1 booking')
    await see(user, '09:00–13:00, 14:00–17:00')
    await see(user, 'Day off')


# --- Components, without a page ---------------------------------------------------------------------------------------


def test_a_chart_in_german_has_german_hover_text_axis_and_dates() -> None:
    with use_language('de'):
        weekly = charts.visits_per_week(NUMBERS)
        usage = charts.utilisation(DASHBOARD)
        heat = charts.heatmap(DASHBOARD)
        per_day = charts.per_day(DASHBOARD)
    [bar] = weekly['data']
    assert bar['name'] == 'Besuche'
    assert bar['x'] == NUMBERS['weeks']  # the values stay ISO dates; the labels are the locale's
    assert bar['hovertext'] == [
        'Woche ab 29.12.2025: 0 Besuche',
        'Woche ab 05.01.2026: 1 Besuch',
        'Woche ab 02.03.2026: 2 Besuche',
    ]
    assert bar['hovertemplate'] == '%{hovertext}<extra></extra>'
    axis = weekly['layout']['xaxis']
    assert axis['tickvals'] == NUMBERS['weeks'] and axis['ticktext'] == [
        '29. Dez. 2025',
        '5. Jan. 2026',
        '2. März 2026',
    ]
    assert weekly['layout']['separators'] == ',.'  # decimal comma, thousands dot
    assert usage['layout']['xaxis']['title']['text'] == 'Anteil gebuchter Zeitfenster (%)'
    assert usage['data'][0]['name'] == 'Gebuchter Anteil'
    assert usage['data'][0]['hovertext'] == ['Meredith Grey: 4,3% (3 von 70 Zeitfenstern)']
    assert heat['data'][0]['y'] == ['Mo.', 'Di.', 'Mi.', 'Do.', 'Fr.', 'Sa.', 'So.']
    assert heat['data'][0]['hovertext'][1][2] == 'Di. 10:00: 1 Termin'
    assert [trace['name'] for trace in per_day['data']] == ['Gebucht', 'Abgeschlossen']
    assert per_day['data'][0]['hovertext'] == ['Gebucht am 02.03.2026: 0', 'Gebucht am 03.03.2026: 1']
    assert per_day['layout']['xaxis']['ticktext'] == ['2. März', '3. März']


def test_charts_in_french_and_the_empty_state() -> None:
    with use_language('fr'):
        weekly = charts.visits_per_week(NUMBERS)
        empty = charts.visits_per_week({'weeks': NUMBERS['weeks'], 'visits_per_week': [0, 0, 0]})
        heat = charts.heatmap(DASHBOARD)
    assert weekly['data'][0]['hovertext'][2] == 'Semaine du 2 mars 2026 : 2 consultations'
    assert weekly['layout']['separators'] == ',\u202f'
    assert empty['layout']['annotations'][0]['text'].startswith('Rien à afficher pour cette période')
    assert heat['data'][0]['y'][0] == 'lun.'


def test_charts_in_english_read_as_before() -> None:
    weekly = charts.visits_per_week(NUMBERS)
    heat = charts.heatmap(DASHBOARD)
    assert weekly['data'][0]['name'] == 'Visits' and weekly['layout']['separators'] == '.,'
    assert weekly['data'][0]['hovertext'][1] == 'Week of 5 Jan 2026: 1 visit'
    assert weekly['layout']['xaxis']['ticktext'] == ['29 Dec 2025', '5 Jan 2026', '2 Mar 2026']
    assert heat['data'][0]['y'] == DASHBOARD['heatmap']['weekdays']  # 'Mon' … 'Sun', as the data names them
    assert heat['data'][0]['x'][:2] == ['08:00', '09:00']
    assert heat['data'][0]['hovertext'][1][2] == 'Tue 10:00: 1 appointment'
    assert charts.per_day(DASHBOARD)['layout']['xaxis']['ticktext'] == ['2 Mar', '3 Mar']
    assert charts.EMPTY == 'Nothing to show for this period yet. Try a longer period, or other filters.'
    assert charts.CHARTS[0][0] == 'Appointments per day'  # marked, translated where shown


@pytest.mark.parametrize(
    ('language', 'required', 'cancel', 'columns'),
    [
        ('en', 'This field is required.', 'Cancel', ['Patient', 'Last visit']),
        ('de', 'Dieses Feld ist erforderlich.', None, ['Patient/in', 'Letzter Besuch']),
        ('fr', 'Ce champ est obligatoire.', 'Annuler', ['Patient', 'Dernière consultation']),
    ],
)
async def test_components_speak_the_language_in_force(
    user: User, language: str, required: str, cancel: str | None, columns: list[str]
) -> None:
    @ui.page(f'/i18n-components-{language}')
    def components_page() -> None:
        with use_language(language):
            field = ui.input('Reason')
            forms.missing({'reason': field}, {'reason': ''}, ('reason',))
            field.mark('required')
            dialog = dialogs.ConfirmDialog('Title', 'Confirm')
            dialog.dismiss_button.mark('dismiss')
            table = tables.ListTable(
                'patients',
                [tables.column('name', 'Patient'), tables.column('last', 'Last visit')],
                lambda row: row,
                empty='',
            )
            ui.label(str([column['label'] for column in table.columns])).mark('columns')

    await user.open(f'/i18n-components-{language}')
    with user:
        [field] = user.find(marker='required').elements
        assert field.error == required
        [button] = user.find(marker='dismiss').elements
        assert cancel is None or button.text == cancel
        [label] = user.find(marker='columns').elements
        assert label.text == str(columns)
