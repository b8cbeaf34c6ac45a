"""Every message and document in its recipient's language (English, German, French): the appointment emails
(reminder, booked, moved, cancelled) with their .ics, the SMS and chat texts, the in-app notices, the export-ready
email, a CSV export's header, the monthly reports (subject, HTML, text and PDF, charts), and the reminder job sending
each patient's reminder in their own language in one run."""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from celery import Celery
from icalendar import Calendar

from hms.context import AppContext
from hms.domain.enums import AppointmentStatus, Channel
from hms.domain.scheduling import BookingIn
from hms.i18n import use_language
from hms.notify.message import Message
from hms.services import appointments, exports, notices, reminders, reports
from hms.services.reports import Month, Recipient
from hms.services.reports.charts import bar_chart
from hms.services.tabular import to_csv

from .celery_fixtures import current_celery, mailing_context, wait_until
from .peers import Mailbox
from .scheduling_fixtures import Clinic, insert_appointment, local

ADDRESS = '1 River Road, 10115 Berlin'
REASON = 'Recurring chest pain'
LANGUAGES = ('en', 'de', 'fr')

# What each language's reader gets for the appointment of Tuesday 3 March 2026, 10:00-10:30 in Berlin.
EXPECTED: dict[str, dict[str, str]] = {
    'en': {
        'when': 'Tue 3 Mar 2026, 10:00',
        'moved_to': 'Tue 3 Mar 2026, 11:00',
        'span': 'Tue 3 Mar 2026, 10:00–10:30 (CET)',
        'greeting': 'Dear Ada Lovelace,',
        'reminder': 'Reminder: your appointment at Riverside Clinic on Tue 3 Mar 2026, 10:00',
        'reminder_lead': 'This is a reminder of your appointment:',
        'booked': 'Booked: your appointment at Riverside Clinic on Tue 3 Mar 2026, 10:00',
        'moved': 'Moved: your appointment at Riverside Clinic is now on Tue 3 Mar 2026, 11:00',
        'cancelled': 'Cancelled: your appointment at Riverside Clinic on Tue 3 Mar 2026, 11:00',
        'doctor_row': 'Doctor: Meredith Grey',
        'summary': 'Appointment with Meredith Grey',
        'description': 'Your appointment with Meredith Grey on Tue 3 Mar 2026, 10:00 at Riverside Clinic.',
        'sms': f'Riverside Clinic: reminder of your appointment on Tue 3 Mar 2026, 10:00 at {ADDRESS} with '
        'Meredith Grey.',
        'sms_links': ('Confirm: ', 'Reschedule: ', 'Cancel: '),
        'notice_subject': 'Your appointment was cancelled',
        'notice_body': 'Your appointment with Meredith Grey on Tue 3 Mar 2026, 11:00 was cancelled. Reason: Ill. ',
    },
    'de': {
        'when': 'Di., 3. März 2026, 10:00',
        'moved_to': 'Di., 3. März 2026, 11:00',
        'span': 'Di., 3. März 2026, 10:00–10:30 Uhr (CET)',
        'greeting': 'Guten Tag Ada Lovelace,',
        'reminder': 'Erinnerung: Ihr Termin bei Riverside Clinic am Di., 3. März 2026, 10:00',
        'reminder_lead': 'Wir erinnern Sie an Ihren Termin:',
        'booked': 'Gebucht: Ihr Termin bei Riverside Clinic am Di., 3. März 2026, 10:00',
        'moved': 'Verschoben: Ihr Termin bei Riverside Clinic ist jetzt am Di., 3. März 2026, 11:00',
        'cancelled': 'Abgesagt: Ihr Termin bei Riverside Clinic am Di., 3. März 2026, 11:00',
        'doctor_row': 'Ärztin/Arzt: Meredith Grey',
        'summary': 'Termin bei Meredith Grey',
        'description': 'Ihr Termin bei Meredith Grey am Di., 3. März 2026, 10:00 in Riverside Clinic.',
        'sms': f'Riverside Clinic: Erinnerung an Ihren Termin am Di., 3. März 2026, 10:00 in {ADDRESS} bei '
        'Meredith Grey.',
        'sms_links': ('Bestätigen: ', 'Verschieben: ', 'Absagen: '),
        'notice_subject': 'Ihr Termin wurde abgesagt',
        'notice_body': 'Ihr Termin bei Meredith Grey am Di., 3. März 2026, 11:00 wurde abgesagt. Grund: Ill. ',
    },
    'fr': {
        'when': 'mar. 3 mars 2026, 10:00',
        'moved_to': 'mar. 3 mars 2026, 11:00',
        'span': 'mar. 3 mars 2026, 10:00\u2009–\u200910:30 (CET)',  # CLDR's thin spaces around the dash
        'greeting': 'Bonjour Ada Lovelace,',
        'reminder': 'Rappel : votre rendez-vous à Riverside Clinic le mar. 3 mars 2026, 10:00',
        'reminder_lead': 'Nous vous rappelons votre rendez-vous :',
        'booked': 'Réservé : votre rendez-vous à Riverside Clinic le mar. 3 mars 2026, 10:00',
        'moved': 'Déplacé : votre rendez-vous à Riverside Clinic est désormais le mar. 3 mars 2026, 11:00',
        'cancelled': 'Annulé : votre rendez-vous à Riverside Clinic le mar. 3 mars 2026, 11:00',
        'doctor_row': 'Médecin : Meredith Grey',
        'summary': 'Rendez-vous avec Meredith Grey',
        'description': 'Votre rendez-vous avec Meredith Grey le mar. 3 mars 2026, 10:00 à Riverside Clinic.',
        'sms': f'Riverside Clinic : rappel de votre rendez-vous le mar. 3 mars 2026, 10:00 à l’adresse {ADDRESS} avec '
        'Meredith Grey.',
        'sms_links': ('Confirmer : ', 'Déplacer : ', 'Annuler : '),
        'notice_subject': 'Votre rendez-vous a été annulé',
        'notice_body': 'Votre rendez-vous avec Meredith Grey le mar. 3 mars 2026, 11:00 a été annulé. Motif : Ill. ',
    },
}


def speak(ctx: AppContext, user_id: int, language: str) -> None:
    """Set an account's language preference, as the profile page stores it."""
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        assert user is not None
        user.language = language
        uow.commit()


def html_of(message: Message | EmailMessage) -> str:
    if isinstance(message, Message):
        return message.html
    body = message.get_body(preferencelist=('html',))
    assert body is not None
    return str(body.get_content())


def calendar_of(message: Message) -> Any:
    [attachment] = message.attachments
    assert attachment.filename == 'appointment.ics'
    [event] = Calendar.from_ical(attachment.content).walk('VEVENT')
    return event


@pytest.fixture
def berlin(clinic: Clinic) -> Clinic:
    clinic.ctx.settings = clinic.ctx.settings.model_copy(update={'clinic_address': ADDRESS})
    return clinic


# --- the appointment's messages -------------------------------------------------------------------------------------


@pytest.mark.parametrize('language', LANGUAGES)
def test_every_appointment_message_is_in_the_patients_language(berlin: Clinic, language: str) -> None:
    clinic, settings, expected = berlin, berlin.ctx.settings, EXPECTED[language]
    speak(clinic.ctx, clinic.patient.user_id, language)
    with clinic.ctx.uow() as uow:
        booked = appointments.book(
            uow, settings, clinic.patient, BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 10), reason=REASON)
        )

    def compose(kind: str, channel: Channel = Channel.EMAIL) -> Message:
        with clinic.ctx.uow() as uow:  # as the worker does: no language in force but the message's recipient's
            message = reminders.compose(uow, settings, appointment_id=booked.id, channel=channel, kind=kind)
        assert message is not None
        return message

    # The reminder: subject, greeting, lead, the appointment's rows, the .ics and the SMS text.
    reminder = compose(reminders.REMINDER)
    assert reminder.subject == expected['reminder']
    for part in (reminder.text, reminder.html):
        assert expected['greeting'] in part and expected['reminder_lead'] in part
    assert expected['span'] in reminder.text and expected['doctor_row'] in reminder.text
    assert f'lang="{language}"' in reminder.html and expected['span'] in reminder.html
    assert REASON not in reminder.text and REASON not in reminder.html
    event = calendar_of(reminder)
    assert str(event['SUMMARY']) == expected['summary']
    assert str(event['DESCRIPTION']).startswith(expected['description'])
    assert event['DESCRIPTION'].params['LANGUAGE'] == language
    assert reminder.short_text.startswith(expected['sms'])
    # then the one-tap links, each after its label in the patient's language, each a different signed link
    links = reminder.short_text.removeprefix(expected['sms'])
    for label in expected['sms_links']:
        assert f' {label}http://localhost:8080/a/' in links
    assert len(set(re.findall(r'/a/(\S+)', links))) == 3
    # The clinic's chat room reads the clinic's default language (English here), whoever the patient is.
    chat = compose(reminders.REMINDER, Channel.CHAT).short_text
    assert chat.startswith('Riverside Clinic: reminder sent to Ada Lovelace') and 'Tue 3 Mar 2026, 10:00' in chat

    # The confirmations of the booking, the move and the cancellation.
    confirmation = compose('booked')
    assert confirmation.subject == expected['booked'] and expected['greeting'] in confirmation.text
    with clinic.ctx.uow() as uow:
        appointments.reschedule(uow, settings, clinic.patient, booked.id, local(3, 11))
    moved = compose('rescheduled')
    assert moved.subject == expected['moved'] and expected['moved_to'] in moved.text
    with clinic.ctx.uow() as uow:  # the doctor cancels, writing in English: the patient reads their own language
        appointments.cancel(uow, settings, clinic.doctor, booked.id, reason='Ill.')
    cancelled = compose('cancelled')
    assert cancelled.subject == expected['cancelled'] and expected['greeting'] in cancelled.html
    assert calendar_of(cancelled)['STATUS'] == 'CANCELLED'
    with clinic.ctx.uow() as uow:
        [notice] = [found for found in notices.my_notices(uow, clinic.patient) if found.appointment_id]  # no welcome
    assert notice.subject == expected['notice_subject'] and notice.body.startswith(expected['notice_body'])


def test_the_ics_description_is_french_for_a_french_patient(berlin: Clinic) -> None:
    speak(berlin.ctx, berlin.patient.user_id, 'fr')
    with berlin.ctx.uow() as uow:
        booked = appointments.book(
            uow, berlin.ctx.settings, berlin.patient, BookingIn(doctor_id=berlin.doctor.user_id, start=local(3, 10))
        )
        message = reminders.compose(
            uow, berlin.ctx.settings, appointment_id=booked.id, channel=Channel.EMAIL, kind='booked'
        )
    assert message is not None
    event = calendar_of(message)
    assert str(event['DESCRIPTION']) == (
        'Votre rendez-vous avec Meredith Grey le mar. 3 mars 2026, 10:00 à Riverside Clinic. Si vous ne pouvez pas '
        'venir, veuillez annuler ou nous appeler.'
    )
    assert event['SUMMARY'].params['LANGUAGE'] == 'fr'


def test_names_stay_escaped_in_every_language(berlin: Clinic) -> None:
    with berlin.ctx.uow() as uow:
        user = uow.users.get(berlin.patient.user_id)
        assert user is not None
        user.name, user.language = '<b>Ada</b> & {name}', 'de'
        uow.commit()
        booked = appointments.book(
            uow, berlin.ctx.settings, berlin.patient, BookingIn(doctor_id=berlin.doctor.user_id, start=local(3, 10))
        )
        message = reminders.compose(
            uow, berlin.ctx.settings, appointment_id=booked.id, channel=Channel.EMAIL, kind='booked'
        )
    assert message is not None
    assert 'Guten Tag &lt;b&gt;Ada&lt;/b&gt; &amp; {name},' in message.html and '<b>Ada' not in message.html
    assert 'Guten Tag <b>Ada</b> & {name},' in message.text  # plain text: as written


def test_notices_when_formats_in_the_language_in_force() -> None:
    from zoneinfo import ZoneInfo

    moment, zone = datetime(2026, 11, 8, 13, 30, tzinfo=UTC), ZoneInfo('Europe/Berlin')
    shown = {}
    for language in LANGUAGES:
        with use_language(language):
            shown[language] = notices.when(moment, zone)
    assert shown == {'en': 'Sun 8 Nov 2026, 14:30', 'de': 'So., 8. Nov. 2026, 14:30', 'fr': 'dim. 8 nov. 2026, 14:30'}


# --- exports --------------------------------------------------------------------------------------------------------


def finished_export(clinic: Clinic, owner: Any, kind: str) -> exports.ExportJob:
    with clinic.ctx.uow() as uow:
        view = exports.request_export(uow, clinic.ctx.settings, owner, kind, None, None)
        job = exports.begin(uow, view.id)
    assert job is not None
    return job


READY = {
    'en': ('Your export is ready', 'Hello Administrator,', 'It can be downloaded until Monday, 9 March 2026, 08:00.'),
    'de': (
        'Ihr Export ist fertig',
        'Guten Tag Administrator,',
        'Er kann bis Montag, 9. März 2026, 08:00 heruntergeladen',
    ),
    'fr': (
        'Votre export est prêt',
        'Bonjour Administrator,',
        'Il peut être téléchargé jusqu’au lundi 9 mars 2026, 08:00.',
    ),
}


@pytest.mark.parametrize('language', LANGUAGES)
def test_the_export_ready_email_is_in_the_owners_language(clinic: Clinic, language: str) -> None:
    speak(clinic.ctx, clinic.admin.user_id, language)
    job = finished_export(clinic, clinic.admin, 'doctors')
    with clinic.ctx.uow() as uow:
        exports.finish(uow, job.id, 'file.csv', 0)
        ready = exports.ready_message(uow, clinic.ctx.settings, job.id)  # the worker's call: no language in force
    assert ready is not None
    subject, greeting, until = READY[language]
    message = ready[1]
    assert message.subject == subject
    for part in (message.text, message.html):
        assert greeting in part and until in part
    link = clinic.ctx.settings.link('/exports')  # under HMS_PUBLIC_URL, a real link in the HTML part
    assert link.startswith('http') and link in message.text and f'<a href="{link}">{link}</a>' in message.html


def test_a_csv_export_has_its_header_in_the_owners_language(clinic: Clinic) -> None:
    speak(clinic.ctx, clinic.admin.user_id, 'fr')
    job = finished_export(clinic, clinic.admin, 'patients')
    with clinic.ctx.uow() as uow:
        content, count = exports.build_csv(uow, clinic.ctx.settings, job)  # as the worker builds it
    header, *rows = list(csv.reader(io.StringIO(content.decode('utf-8-sig'))))
    assert header == [
        'ID patient',
        'Nom',
        'E-mail',
        'Téléphone',
        'Date de naissance',
        'Genre',
        'Adresse',
        'Contact d’urgence',
        'Statut',
        'Inscrit le',
    ]
    assert count == len(rows) == 2 and {row[8] for row in rows} == {'Active'}  # values are data, never translated
    # The same export for an English owner: the header as before.
    speak(clinic.ctx, clinic.admin.user_id, 'en')
    with clinic.ctx.uow() as uow:
        content, _count = exports.build_csv(uow, clinic.ctx.settings, job)
    assert content.decode('utf-8-sig').startswith('Patient ID,Name,Email,Phone,Date of birth,')
    assert to_csv(['=x'], []).endswith(b"'=x\r\n")  # a translated header still cannot run as a formula


def test_an_export_failure_is_shown_in_the_readers_language(clinic: Clinic) -> None:
    job = finished_export(clinic, clinic.admin, 'doctors')
    with clinic.ctx.uow() as uow:
        exports.fail(uow, job.id, exports.BUILD_FAILED)
    for language, start in (('en', 'The export could not be built'), ('de', 'Der Export konnte')):
        with use_language(language), clinic.ctx.uow() as uow:
            view = exports.get_export(uow, clinic.admin, job.id)
        assert view.error is not None and view.error.startswith(start)


# --- monthly reports ------------------------------------------------------------------------------------------------

FEBRUARY = Month(2026, 2)


def pdf_text(pdf: bytes) -> str:
    """The text a PDF viewer shows: each text string of the page contents, decoded with its font's ToUnicode map."""
    objects = {int(number): body for number, body in re.findall(rb'(\d+) 0 obj\s*(.*?)endobj', pdf, re.S)}

    def stream(body: bytes) -> bytes:
        match = re.search(rb'stream\r?\n(.*?)\r?\nendstream', body, re.S)
        assert match is not None
        data = match.group(1)
        return zlib.decompress(data) if b'/FlateDecode' in body else data

    def cmap(number: int) -> dict[bytes, str]:
        found: dict[bytes, str] = {}
        for block in re.findall(rb'beginbfchar(.*?)endbfchar', stream(objects[number]), re.S):
            for code, text in re.findall(rb'<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>', block):
                found[bytes.fromhex(code.decode())] = bytes.fromhex(text.decode()).decode('utf-16-be')
        return found

    fonts: dict[bytes, dict[bytes, str]] = {}
    for body in objects.values():
        for name, number in re.findall(rb'/(F\d+) (\d+) 0 R', body):
            font = objects[int(number)]
            descendant = re.search(rb'/ToUnicode (\d+) 0 R', font)
            if descendant is not None:
                fonts[name] = cmap(int(descendant.group(1)))
    lines = []
    for body in objects.values():
        if b'/Contents' not in body:
            continue
        contents = re.search(rb'/Contents (\d+) 0 R', body)
        assert contents is not None
        current: dict[bytes, str] | None = {}
        for font, literal in re.findall(
            rb'/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj', stream(objects[int(contents[1])])
        ):
            if font:
                current = fonts.get(font)  # None: a built-in font (Helvetica), one byte per character
                continue
            raw = re.sub(rb'\\(.)', lambda m: {b'n': b'\n', b'r': b'\r', b't': b'\t'}.get(m[1], m[1]), literal)
            if current is None:
                lines.append(raw.decode('cp1252'))
                continue
            lines.append(''.join(current.get(raw[i : i + 2], '?') for i in range(0, len(raw), 2)))
    return '\n'.join(lines)


@pytest.fixture
def february(clinic: Clinic) -> Clinic:
    """Dr Grey saw Ada on Tuesday 3 February 09:00 (asthma) and Bob on the 5th; Bob missed the 10th."""
    insert_appointment(clinic, clinic.doctor.user_id, clinic.patient.user_id, local(3, 9, month=2), diagnosis='Asthma')
    insert_appointment(
        clinic, clinic.doctor.user_id, clinic.other_patient.user_id, local(5, 9, month=2), diagnosis='Flu'
    )
    insert_appointment(
        clinic, clinic.doctor.user_id, clinic.other_patient.user_id, local(10, 9, month=2), AppointmentStatus.NO_SHOW
    )
    return clinic


REPORT = {
    'en': {
        'subject': 'Your activity report for February 2026',
        'clinic_subject': 'Clinic activity report for February 2026',
        'texts': ('Your activity in February 2026', 'Visits completed', 'Appointments per day', 'Tue 3 Feb, 09:00'),
        'clinic_texts': ('Clinic activity in February 2026', 'By department', 'Utilisation'),
    },
    'de': {
        'subject': 'Ihr Tätigkeitsbericht für Februar 2026',
        'clinic_subject': 'Tätigkeitsbericht der Praxis für Februar 2026',
        'texts': ('Ihre Tätigkeit im Februar 2026', 'Abgeschlossene Besuche', 'Termine pro Tag', 'Di., 3. Feb., 09:00'),
        'clinic_texts': ('Tätigkeit der Praxis im Februar 2026', 'Nach Fachbereich', 'Auslastung'),
    },
    'fr': {
        'subject': 'Votre rapport d’activité pour février 2026',
        'clinic_subject': 'Rapport d’activité de la clinique pour février 2026',
        'texts': (
            'Votre activité en février 2026',
            'Consultations effectuées',
            'Rendez-vous par jour',
            'mar. 3 févr., 09:00',
        ),
        'clinic_texts': ('Activité de la clinique en février 2026', 'Par service', 'Taux d’occupation'),
    },
}


def report_email(clinic: Clinic, recipient: Recipient) -> EmailMessage:
    with clinic.ctx.uow() as uow:
        email = reports.build_email(uow, clinic.ctx.settings, recipient, FEBRUARY)
    parsed = message_from_bytes(email.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def attached_pdf(email: EmailMessage) -> bytes:
    [attachment] = list(email.iter_attachments())
    content = attachment.get_content()
    assert isinstance(content, bytes)
    return content


@pytest.mark.parametrize('language', LANGUAGES)
def test_the_monthly_reports_are_in_the_recipients_language(february: Clinic, language: str) -> None:
    expected = REPORT[language]
    speak(february.ctx, february.doctor.user_id, language)
    speak(february.ctx, february.admin.user_id, language)
    grey = Recipient(february.doctor.user_id, 'grey@clinic.test', 'Meredith Grey', clinic=False)
    email = report_email(february, grey)
    assert str(email['Subject']).strip() == expected['subject']
    text = email.get_body(preferencelist=('plain',))
    assert text is not None
    for part in (html_of(email), pdf_text(attached_pdf(email))):
        for wanted in expected['texts']:
            assert wanted in part, (wanted, part[:2000])
    title, figure, _chart, visit = expected['texts']
    assert title in str(text.get_content()) and figure in str(text.get_content())  # the text part has no charts
    assert visit in str(text.get_content())
    assert f'lang="{language}"' in html_of(email)

    admin = Recipient(february.admin.user_id, 'admin@clinic.test', 'Administrator', clinic=True)
    clinic_email = report_email(february, admin)
    assert str(clinic_email['Subject']).strip() == expected['clinic_subject']
    for part in (html_of(clinic_email), pdf_text(attached_pdf(clinic_email))):
        for wanted in expected['clinic_texts']:
            assert wanted in part


def test_a_german_pdf_report_reads_in_german(february: Clinic) -> None:
    speak(february.ctx, february.doctor.user_id, 'de')
    grey = Recipient(february.doctor.user_id, 'grey@clinic.test', 'Meredith Grey', clinic=False)
    text = pdf_text(attached_pdf(report_email(february, grey)))
    for wanted in (
        'Ihre Tätigkeit im Februar 2026',
        'Meredith Grey · Cardiology · Riverside Clinic',  # names are data: as written
        'Abgeschlossene Besuche',
        'Nicht erschienen',
        'Häufigste Diagnosen',
        'Tag für Tag',
        'Di., 3. Feb., 09:00',
        'Asthma',
        'Dieser Bericht enthält Patientendaten: Behandeln Sie ihn vertraulich.',
    ):
        assert wanted in text, wanted
    assert 'Your activity' not in text and 'Visits completed' not in text


def test_each_report_of_a_run_goes_out_in_its_recipients_language(february: Clinic) -> None:
    speak(february.ctx, february.doctor.user_id, 'de')
    speak(february.ctx, february.other_doctor.user_id, 'fr')
    sent: list[EmailMessage] = []
    tally = reports.send_reports(february.ctx.uow, february.ctx.settings, FEBRUARY, sent.append)
    assert (tally.sent, tally.failed) == (3, 0)
    assert {str(email['To']): str(email['Subject']).strip() for email in sent} == {
        'Meredith Grey <grey@clinic.test>': 'Ihr Tätigkeitsbericht für Februar 2026',
        'Derek Shepherd <shepherd@clinic.test>': 'Votre rapport d’activité pour février 2026',
        'Administrator <admin@clinic.test>': 'Clinic activity report for February 2026',
    }


def test_chart_labels_from_users_are_never_parsed_as_mathtext() -> None:
    png = bar_chart(['Price $\\undefinedcommand{x}$ pain', 'a_b $x^2$'], [2, 1], 'Visits')
    assert png.startswith(b'\x89PNG')


# --- the reminder job -------------------------------------------------------------------------------------------------


@pytest.fixture
def jobs_context(clinic: Clinic, worker_context: AppContext, mailbox: Mailbox) -> Iterator[AppContext]:
    """The clinic over the real Redis, mailing through the test's SMTP server."""
    yield from mailing_context(worker_context, mailbox.port, timezone='Europe/Berlin')


@pytest.fixture
def celery_app(jobs_context: AppContext) -> Iterator[Celery]:
    yield from current_celery(jobs_context.settings)


def test_the_reminder_job_reminds_each_patient_in_their_language(
    celery_worker: Celery, clinic: Clinic, jobs_context: AppContext, mailbox: Mailbox
) -> None:
    settings = jobs_context.settings
    speak(jobs_context, clinic.patient.user_id, 'de')  # Ada reads German, Bob English (the default)
    for patient, start in ((clinic.patient, local(2, 9)), (clinic.other_patient, local(2, 10))):
        with jobs_context.uow() as uow:
            appointments.book(uow, settings, patient, BookingIn(doctor_id=clinic.doctor.user_id, start=start))
    result = celery_worker.send_task('hms.daily_reminders', kwargs={'day': '2026-03-02'}).get(timeout=30)
    assert result['queued'] == 2

    def reminders_sent() -> list[EmailMessage]:  # the booking confirmations come too: only the reminders count
        found = mailbox.received('Erinnerung:') + mailbox.received('Reminder:')
        return found if len(found) == 2 else []

    found = wait_until(reminders_sent)
    by_recipient = {str(m['To']): m for m in found}
    ada, bob = by_recipient['Ada Lovelace <ada@example.com>'], by_recipient['Bob Builder <bob@example.com>']
    assert str(ada['Subject']).strip() == 'Erinnerung: Ihr Termin bei Riverside Clinic am Mo., 2. März 2026, 09:00'
    assert str(bob['Subject']).strip() == 'Reminder: your appointment at Riverside Clinic on Mon 2 Mar 2026, 10:00'
    assert 'Guten Tag Ada Lovelace,' in html_of(ada) and 'Dear Bob Builder,' in html_of(bob)
    assert 'Wann' in html_of(ada) and 'When' in html_of(bob)
