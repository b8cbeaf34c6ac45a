"""The administrator's pages in German and French (the account's language), and in English as before: labels,
messages, table columns and row buttons through the catalogues; dates, times and figures in the language's own
conventions, in the clinic's zone.

``user`` comes first in each signature (main.py initialises the context), then ``clinic`` (Monday 2 March 2026,
08:00 in Berlin).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from nicegui import ui
from nicegui.testing import User

from hms.db.models import Delivery, JobRun
from hms.domain.enums import AppointmentStatus, Channel, DeliveryStatus
from hms.services import preferences

from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, PATIENT_PASSWORD
from .page_steps import element, eventually, fill, label_text, rows, see, sign_in
from .scheduling_fixtures import Clinic, insert_appointment, local

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # the clinic fixture's clock: Monday 2 March 2026, 08:00 in Berlin
NBSP = '\N{NO-BREAK SPACE}'  # German and French put one before '%'


async def as_admin(user: User, clinic: Clinic, language: str, landing: str) -> None:
    """The administrator, whose account speaks ``language``, signed in and on the dashboard (``landing`` seen)."""
    with clinic.ctx.uow() as uow:
        preferences.set_language(uow, clinic.admin, language)
    await sign_in(user, ADMIN_EMAIL, ADMIN_PASSWORD, landing)


def visits_this_month(clinic: Clinic) -> None:
    """One completed and one cancelled visit in the last days: a cancellation rate of a half."""
    for days_ago, status in ((3, AppointmentStatus.COMPLETED), (4, AppointmentStatus.CANCELLED)):
        start = local(2, 10) - timedelta(days=days_ago)
        insert_appointment(clinic, clinic.doctor.user_id, clinic.patient.user_id, start, status)


def a_run_and_a_failed_delivery(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        uow.session.add(
            JobRun(
                job='daily-reminders',
                started_at=NOW - timedelta(days=1),
                finished_at=NOW - timedelta(days=1) + timedelta(seconds=3),
                status='done',
                sent=4,
                failed=1,
                skipped=0,
                detail={'day': '2026-03-01'},
            )
        )
        uow.session.add(
            Delivery(
                key='report:2026-02:doctor:1:email',
                kind='report',
                channel=Channel.EMAIL,
                recipient='grey@clinic.test',
                subject='Your report',
                status=DeliveryStatus.FAILED,
                attempts=1,
                last_error='SMTP 550',
                created_at=NOW,
                claimed_at=NOW,
            )
        )
        uow.commit()


def texts(user: User) -> set[str]:
    assert user.client is not None
    return {str(getattr(element, 'text', '')) for element in user.client.layout.descendants()}


def the_table(user: User, marker: str) -> ui.table:
    found = user.find(marker=marker).elements
    assert len(found) == 1
    table = next(iter(found))
    assert isinstance(table, ui.table)
    return table


def column_labels(user: User, marker: str) -> list[str]:
    return [spec['label'] for spec in the_table(user, marker).columns]


def options(user: User, marker: str) -> Any:
    found = next(iter(user.find(marker=marker).elements))
    assert isinstance(found, ui.select)
    return found.options


# --- the dashboard ----------------------------------------------------------------------------------------------------


async def test_the_dashboard_speaks_german_with_german_dates_and_figures(user: User, clinic: Clinic) -> None:
    visits_this_month(clinic)
    await as_admin(user, clinic, 'de', 'Praxis-Übersicht')
    await see(user, 'Aktive Ärztinnen und Ärzte')
    await see(user, 'Absagequote')
    await see(user, 'Aktuelle Sicherheitsereignisse')
    assert label_text(user, 'figure-cancellation_rate') == f'50,0{NBSP}%'
    assert label_text(user, 'period') == '1. Feb. 2026 bis 2. März 2026 · aktualisiert 08:00'
    assert options(user, 'filter-period')['last7'] == 'Letzte 7 Tage'
    assert 'Alle Fachbereiche' in options(user, 'filter-department').values()

    # A custom range: its date fields read and take dates as German writes them (ISO too).
    fill(user, 'custom', marker='filter-period')
    shown = (AssertionError,)  # the fields appear with the custom range
    await eventually(lambda: element(user, marker='filter-from').value == '01.02.2026', 'the range', tolerate=shown)
    assert element(user, marker='filter-to').value == '02.03.2026'
    fill(user, '25.02.2026', marker='filter-from')
    await eventually(lambda: label_text(user, 'period').startswith('25. Feb. 2026 bis 2. März 2026'), 'the new range')
    fill(user, '2026-02-27', marker='filter-from')
    await eventually(lambda: label_text(user, 'period').startswith('27. Feb. 2026 bis'), 'an ISO date')
    fill(user, '31.02.2026', marker='filter-from')
    await asyncio.sleep(0.2)
    assert label_text(user, 'period').startswith('27. Feb. 2026 bis')  # no such day: the range stays


async def test_a_live_update_keeps_the_dashboard_in_its_language(redis_url: str, user: User, clinic: Clinic) -> None:
    """A booking made elsewhere refreshes the open dashboard from the event hub, outside the page's request: the
    refreshed figures, period and charts stay German."""
    await as_admin(user, clinic, 'de', 'Praxis-Übersicht')
    assert label_text(user, 'figure-appointments_today') == '0'
    login = await user.http_client.post(
        '/api/login', json={'email': clinic.patient.email, 'password': PATIENT_PASSWORD}
    )
    response = await user.http_client.post(
        '/api/appointments',
        headers={'Authorization': f'Bearer {login.json()["access_token"]}'},
        json={'doctor_id': clinic.doctor.user_id, 'start': local(2, 11).isoformat(), 'reason': 'Check-up'},
    )
    assert response.status_code == 201, response.text
    await eventually(lambda: label_text(user, 'figure-appointments_today') == '1', 'the pushed booking')
    assert 'aktualisiert' in label_text(user, 'period')
    await see(user, 'Aktive Ärztinnen und Ärzte')


async def test_the_dashboard_speaks_french(user: User, clinic: Clinic) -> None:
    visits_this_month(clinic)
    await as_admin(user, clinic, 'fr', 'Tableau de bord de la clinique')
    await see(user, 'Taux d’annulation')
    assert label_text(user, 'figure-cancellation_rate') == f'50,0{NBSP}%'
    assert label_text(user, 'period') == 'Du 1 févr. 2026 au 2 mars 2026 · mis à jour à 08:00'
    assert options(user, 'filter-period')['custom'] == 'Période personnalisée'


# --- doctors ----------------------------------------------------------------------------------------------------------


async def test_the_doctors_list_and_a_doctors_page_speak_german(user: User, clinic: Clinic) -> None:
    insert_appointment(clinic, clinic.doctor.user_id, clinic.patient.user_id, local(2, 10) - timedelta(days=2))
    await as_admin(user, clinic, 'de', 'Praxis-Übersicht')
    await user.open('/admin/doctors')
    await see(user, 'Ärztin/Arzt hinzufügen', kind=ui.button)
    await see(user, 'Deaktivierte einbeziehen')
    assert column_labels(user, 'doctors-table')[:4] == ['Name', 'Fachbereich', 'Erfahrung', 'Sprechzeit']
    grey = next(row for row in rows(user, 'doctors-table') if row['name'] == 'Meredith Grey')
    assert (grey['experience'], grey['minutes'], grey['status']) == ('12 J.', '30 Min.', 'Aktiv')
    buttons = the_table(user, 'doctors-table').slots['body-cell-actions'].template
    assert buttons is not None and 'label="Bearbeiten"' in buttons and 'label="Deaktivieren"' in buttons

    await user.open(f'/admin/doctors/{clinic.doctor.user_id}')
    await see(user, 'Zurück zu den Ärztinnen und Ärzten')
    await see(user, 'Letzte Aktivität: die letzten 7 Tage')
    await see(user, '1 Termin: 1 abgeschlossen, 0 nicht erschienen, 0 abgesagt.')
    [visit] = rows(user, 'doctor-activity')
    assert (visit['when'], visit['status']) == ('Sa., 28. Feb. 2026, 10:00', 'Abgeschlossen')


async def test_a_missing_doctor_is_named_in_french(user: User, clinic: Clinic) -> None:
    await as_admin(user, clinic, 'fr', 'Tableau de bord de la clinique')
    await user.open('/admin/doctors/999999')
    await see(user, 'Médecin introuvable : aucun médecin n’a l’ID « 999999 ».')
    await see(user, 'Retour aux médecins')


# --- jobs -------------------------------------------------------------------------------------------------------------


async def test_the_jobs_page_speaks_french_with_french_dates(user: User, clinic: Clinic) -> None:
    a_run_and_a_failed_delivery(clinic)
    await as_admin(user, clinic, 'fr', 'Tableau de bord de la clinique')
    await user.open('/admin/jobs')
    await see(user, 'Journal des envois')
    await see(user, 'Lancer maintenant')
    [run] = rows(user, 'runs-table')
    assert (run['job'], run['status'], run['took'], run['covers'], run['by']) == (
        'Rappels quotidiens',
        'Terminé',
        '3,0 s',
        '1 mars 2026',
        'planification',
    )
    assert run['started'].startswith('dim. 1 mars 2026') and run['started'].endswith('08:00')
    [delivery] = rows(user, 'deliveries-table')
    assert (delivery['kind'], delivery['channel'], delivery['status']) == ('Rapport', 'E-mail', 'Échec')
    assert delivery['retry_label'] == 'Réessayer l’envoi à grey@clinic.test'
    assert column_labels(user, 'runs-table')[:3] == ['Tâche', 'Démarré', 'Durée']
    assert options(user, 'report-month')['2026-02'] == 'février 2026'
    assert options(user, 'report-month')['2026-03'] == 'mars 2026 (jusqu’ici)'
    without_redis = 'Redis : EN PANNE. Redis n’est pas configuré : les tâches ne peuvent pas s’exécuter.'
    await eventually(lambda: label_text(user, 'redis-state') == without_redis, 'the reachability')
    assert label_text(user, 'failed-state') == 'Envois en échec : 1'


# --- English, as it was -----------------------------------------------------------------------------------------------


async def test_in_english_the_admin_pages_read_as_before(user: User, clinic: Clinic) -> None:
    visits_this_month(clinic)
    a_run_and_a_failed_delivery(clinic)
    await as_admin(user, clinic, 'en', 'Clinic dashboard')
    assert label_text(user, 'figure-cancellation_rate') == '50.0%'
    assert label_text(user, 'period') == '1 Feb 2026 to 2 Mar 2026 · updated 08:00'
    assert options(user, 'filter-period')['last7'] == 'Last 7 days'

    await user.open('/admin/doctors')
    await see(user, 'Add doctor', kind=ui.button)
    grey = next(row for row in rows(user, 'doctors-table') if row['name'] == 'Meredith Grey')
    assert (grey['experience'], grey['minutes'], grey['status']) == ('12 yr', '30 min', 'Active')
    assert 'label="Edit"' in str(the_table(user, 'doctors-table').slots['body-cell-actions'].template)

    await user.open('/admin/jobs')
    await see(user, 'Delivery log')
    [run] = rows(user, 'runs-table')
    assert (run['job'], run['started'], run['took'], run['covers'], run['by']) == (
        'Daily reminders',
        'Sun 1 Mar 2026, 08:00',
        '3.0 s',
        '1 Mar 2026',
        'schedule',
    )
    assert options(user, 'report-month')['2026-02'] == 'February 2026'
    assert label_text(user, 'failed-state') == 'Failed deliveries: 1'
    assert not texts(user) & {'Journal des envois', 'Zustellprotokoll'}
