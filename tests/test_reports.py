"""The monthly activity report: figures on fixed data against hand-computed numbers, the HTML/PDF/email it becomes,
exactly-once sending through a real Celery worker thread, real Redis and a real SMTP server, and the beat schedule."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from sqlalchemy import select

from hms import context
from hms.clock import ManualClock
from hms.config import Settings
from hms.context import AppContext
from hms.db.models import Delivery, JobRun, User
from hms.domain.enums import AppointmentStatus, Channel, DeliveryStatus
from hms.domain.errors import InvalidInput
from hms.domain.scheduling import DepartmentIn, DoctorIn
from hms.services import deliveries, departments, doctors, jobs_admin, reports
from hms.services.reports import Month
from jobs import reports as report_tasks
from jobs.celery_app import create_celery

from .factories import make_patient
from .peers import Mailbox
from .scheduling_fixtures import ZONE, Clinic, local
from .scheduling_fixtures import insert_appointment as add

BERLIN = ZoneInfo(ZONE)
FEBRUARY = Month(2026, 2)
SCRIPT_NAME = '<script>x</script>'


@dataclass
class Data:
    clinic: Clinic
    house: int  # a deactivated doctor of another department, with one visit in February
    script: int  # a patient whose name is markup


@pytest.fixture
def data(clinic: Clinic) -> Data:
    """February 2026 in Berlin (20 weekdays; the doctors' template publishes 14 half-hour slots a weekday)."""
    with clinic.ctx.uow() as uow:
        dermatology = departments.create_department(uow, clinic.admin, DepartmentIn(name='Dermatology'))
    with clinic.ctx.uow() as uow:
        house = doctors.add_doctor(
            uow, clinic.admin, DoctorIn(name='Gregory House', email='house@clinic.test', department_id=dermatology.id)
        ).doctor.id
    script = make_patient(clinic.ctx, 'script@example.com', name=SCRIPT_NAME).id
    grey, shepherd = clinic.doctor.user_id, clinic.other_doctor.user_id
    ada, bob = clinic.patient.user_id, clinic.other_patient.user_id
    done, cancelled, no_show, booked = (
        AppointmentStatus.COMPLETED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.BOOKED,
    )
    add(clinic, grey, ada, local(12, 10, month=1), done, 'Asthma')  # January: Ada is a returning patient of Grey
    add(clinic, grey, bob, local(31, 23, 30, month=1), cancelled)  # 22:30 UTC on 31 Jan: January
    add(clinic, grey, bob, local(1, 0, 15, month=2), done, 'Flu')  # 23:15 UTC on 31 Jan, but February locally
    add(clinic, grey, ada, local(2, 9, month=2), done, 'Hypertension')
    add(clinic, grey, bob, local(2, 9, 30, month=2), done, 'hypertension ')  # the same diagnosis, spelt otherwise
    add(clinic, grey, script, local(2, 10, month=2), done, 'Migraine')
    add(clinic, grey, ada, local(3, 9, month=2), done, 'Asthma')
    add(clinic, grey, bob, local(3, 10, month=2), cancelled)
    add(clinic, grey, bob, local(4, 14, month=2), no_show)
    add(clinic, grey, bob, local(10, 11, month=2), done, 'Migraine')
    add(clinic, grey, ada, local(10, 11, 30, month=2), done, 'Hypertension')
    add(clinic, grey, script, local(10, 12, month=2), done)  # completed, no treatment recorded
    add(clinic, grey, ada, local(16, 9, month=2), cancelled)
    add(clinic, grey, ada, local(27, 16, month=2), booked)  # never closed: held, but not a visit
    add(clinic, grey, ada, local(1, 0, 30, month=3), done, 'Asthma')  # 23:30 UTC on 28 Feb, but March locally
    add(clinic, shepherd, ada, local(2, 9, month=2), done, 'Bronchitis')  # Ada is new to Shepherd
    add(clinic, shepherd, bob, local(5, 9, month=2), no_show)
    add(clinic, house, bob, local(9, 10, month=2), done, 'Eczema')
    with clinic.ctx.uow() as uow:
        user = uow.session.get(User, house)
        assert user is not None
        user.is_active = False
        uow.commit()
    return Data(clinic, house, script)


def test_months_in_the_clinic_zone() -> None:
    assert Month.parse('2026-02') == FEBRUARY and FEBRUARY.label == 'February 2026'
    assert (FEBRUARY.first, FEBRUARY.last, FEBRUARY.key) == (date(2026, 2, 1), date(2026, 2, 28), '2026-02')
    assert Month(2026, 12).last == date(2026, 12, 31)
    assert FEBRUARY.bounds(BERLIN) == (datetime(2026, 1, 31, 23, tzinfo=UTC), datetime(2026, 2, 28, 23, tzinfo=UTC))
    # 23:30 UTC on 28 February is already 1 March in Berlin: the previous month there is February.
    assert Month.previous(datetime(2026, 2, 28, 23, 30, tzinfo=UTC), BERLIN) == FEBRUARY
    assert Month.previous(datetime(2026, 2, 28, 22, 30, tzinfo=UTC), BERLIN) == Month(2026, 1)
    assert Month.previous(datetime(2026, 1, 15, tzinfo=UTC), BERLIN) == Month(2025, 12)
    for bad in ('2026-13', '2026-2', 'March', '1999-12', '2026-02-01', ''):
        with pytest.raises(InvalidInput):
            Month.parse(bad)


def test_requested_month_defaults_to_the_previous_one_and_refuses_the_future(clock: ManualClock) -> None:
    settings = Settings(_env_file=None, timezone=ZONE)
    clock.set(datetime(2026, 3, 2, 7, tzinfo=UTC))
    assert reports.requested_month(None, settings) == FEBRUARY
    assert reports.requested_month('2026-03', settings) == Month(2026, 3)  # the month so far
    with pytest.raises(InvalidInput):
        reports.requested_month('2026-04', settings)


def doctor_figures(data: Data, doctor_id: int, month: Month = FEBRUARY) -> reports.DoctorFigures:
    with data.clinic.ctx.uow() as uow:
        return reports.doctor_report(uow, data.clinic.ctx.settings, doctor_id, month)


def test_a_doctors_month(data: Data) -> None:
    clinic = data.clinic
    grey = doctor_figures(data, clinic.doctor.user_id)
    assert (grey.name, grey.department, grey.email) == ('Meredith Grey', 'Cardiology', 'grey@clinic.test')
    assert (grey.completed, grey.cancelled, grey.no_shows) == (8, 2, 1)
    assert (grey.patients_seen, grey.new_patients, grey.returning_patients) == (3, 2, 1)  # Ada came in January
    assert grey.busiest_days == [(date(2026, 2, 2), 3), (date(2026, 2, 10), 3), (date(2026, 2, 1), 1)]
    assert grey.top_diagnoses == [('Hypertension', 3), ('Migraine', 2), ('Asthma', 1), ('Flu', 1)]
    assert (grey.booked, grey.published, grey.utilisation) == (10, 280, round(10 / 280, 4))
    assert len(grey.per_day['completed']) == 28 and sum(grey.per_day['completed']) == 8
    assert [(v.start.strftime('%d %H:%M'), v.patient, v.diagnosis) for v in grey.visits] == [
        ('01 00:15', 'Bob Builder', 'Flu'),
        ('02 09:00', 'Ada Lovelace', 'Hypertension'),
        ('02 09:30', 'Bob Builder', 'hypertension '),
        ('02 10:00', SCRIPT_NAME, 'Migraine'),
        ('03 09:00', 'Ada Lovelace', 'Asthma'),
        ('10 11:00', 'Bob Builder', 'Migraine'),
        ('10 11:30', 'Ada Lovelace', 'Hypertension'),
        ('10 12:00', SCRIPT_NAME, ''),
    ]
    shepherd = doctor_figures(data, clinic.other_doctor.user_id)
    assert (shepherd.completed, shepherd.cancelled, shepherd.no_shows) == (1, 0, 1)
    assert (shepherd.patients_seen, shepherd.new_patients) == (1, 1)  # new to him, though not to the clinic
    assert (shepherd.booked, shepherd.utilisation) == (2, round(2 / 280, 4))
    march = doctor_figures(data, clinic.doctor.user_id, Month(2026, 3))
    assert (march.completed, march.new_patients, march.returning_patients) == (1, 0, 1)
    assert march.busiest_days == [(date(2026, 3, 1), 1)]


def test_the_clinics_month(data: Data) -> None:
    with data.clinic.ctx.uow() as uow:
        month = reports.clinic_report(uow, data.clinic.ctx.settings, FEBRUARY)
    assert (month.completed, month.cancelled, month.no_shows) == (10, 2, 2)
    assert (month.patients_seen, month.new_patients, month.returning_patients) == (3, 2, 1)
    assert month.busiest_days == [(date(2026, 2, 2), 4), (date(2026, 2, 10), 3), (date(2026, 2, 1), 1)]
    assert month.top_diagnoses == [
        ('Hypertension', 3),
        ('Migraine', 2),
        ('Asthma', 1),
        ('Bronchitis', 1),
        ('Eczema', 1),
    ]
    assert (month.booked, month.published, month.utilisation) == (13, 560, round(13 / 560, 4))
    lines = [
        (d.name, d.active, d.completed, d.cancelled, d.no_shows, d.patients_seen, d.new_patients, d.utilisation)
        for d in month.doctors
    ]
    assert lines == [
        ('Meredith Grey', True, 8, 2, 1, 3, 2, round(10 / 280, 4)),
        ('Derek Shepherd', True, 1, 0, 1, 1, 1, round(2 / 280, 4)),
        ('Gregory House', False, 1, 0, 0, 1, 1, None),  # deactivated, but he worked that month; no availability
    ]
    assert [
        (d.department, d.doctors, d.completed, d.cancelled, d.no_shows, d.utilisation) for d in month.departments
    ] == [
        ('Cardiology', 2, 9, 2, 2, round(12 / 560, 4)),
        ('Dermatology', 1, 1, 0, 0, None),
    ]


def test_the_html_lists_the_visits_and_escapes_names(data: Data) -> None:
    rendered = reports.render_doctor(doctor_figures(data, data.clinic.doctor.user_id), 'Riverside Clinic')
    assert rendered.subject == 'Your activity report for February 2026'
    assert '<script>' not in rendered.html and '&lt;script&gt;x&lt;/script&gt;' in rendered.html
    assert '<td style="padding:4px 8px;border-bottom:1px solid #e2e8f0;text-align:left;">Tue 3 Feb, 09:00</td>' in (
        rendered.html
    )
    assert rendered.html.count('>Bob Builder</td>') == 3 and rendered.html.count('>Ada Lovelace</td>') == 3
    for chart in rendered.charts:
        assert f'src="cid:{chart.cid}"' in rendered.html and chart.png.startswith(b'\x89PNG')
    assert [chart.filename for chart in rendered.charts] == ['appointments-per-day.png', 'top-diagnoses.png']
    assert 'Tue 3 Feb, 09:00 | Ada Lovelace | Asthma' in rendered.text and 'Utilisation' in rendered.text
    assert rendered.pdf.startswith(b'%PDF') and rendered.pdf_name == 'activity-report-2026-02.pdf'
    with data.clinic.ctx.uow() as uow:
        clinic = reports.render_clinic(reports.clinic_report(uow, data.clinic.ctx.settings, FEBRUARY), 'Riverside')
    assert clinic.subject == 'Clinic activity report for February 2026' and clinic.pdf.startswith(b'%PDF')
    assert 'Gregory House (deactivated)' in clinic.html and SCRIPT_NAME not in clinic.html  # no patient names


def test_the_email_shows_charts_inline_and_attaches_the_pdf(data: Data) -> None:
    rendered = reports.render_doctor(doctor_figures(data, data.clinic.doctor.user_id), 'Riverside Clinic')
    email = reports.email_message(rendered, data.clinic.ctx.settings, to_email='grey@clinic.test', to_name='Grey')
    parsed = message_from_bytes(email.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    html_part = parsed.get_body(preferencelist=('html',))
    assert html_part is not None
    related = [part for part in parsed.walk() if part.get_content_type() == 'multipart/related']
    assert len(related) == 1
    images = {
        str(part['Content-ID']).strip('<>'): part for part in parsed.walk() if part.get_content_maintype() == 'image'
    }
    assert set(images) == {chart.cid for chart in rendered.charts}
    assert all(part.get_content_disposition() == 'inline' for part in images.values())
    assert [part.get_filename() for part in parsed.iter_attachments()] == ['activity-report-2026-02.pdf']
    assert parsed.get_body(preferencelist=('plain',)) is not None


# --- Through a real worker, Redis and SMTP server ---------------------------------------------------------------


@pytest.fixture
def worker_context(data: Data, redis_url: str, mailbox: Mailbox) -> AppContext:
    """The worker's context: the test's data (Berlin time), the real Redis, mail to the test's SMTP server."""
    update = {'redis_url': redis_url, 'smtp_host': '127.0.0.1', 'smtp_port': mailbox.port, 'smtp_starttls': False}
    return context.init(data.clinic.ctx.settings.model_copy(update=update))


EVERYONE = [
    'Administrator <admin@clinic.test>',
    'Derek Shepherd <shepherd@clinic.test>',
    'Meredith Grey <grey@clinic.test>',
]


class Unclosed:
    """The worker's own app handed to the Jobs service, which closes what it opens: this one stays open."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    def close(self) -> None:
        pass


def wait_for(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.05)


def run_reports(app: Celery, **kwargs: Any) -> dict[str, Any]:
    result = app.send_task('hms.monthly_reports', kwargs=kwargs)
    try:
        return result.get(timeout=60)
    finally:
        result.forget()  # unsubscribes now, while Redis runs (not when garbage collected after the session)


def runs() -> list[JobRun]:
    with context.get().uow() as uow:
        return list(uow.session.scalars(select(JobRun).order_by(JobRun.id)))


def report_deliveries() -> dict[str, DeliveryStatus]:
    with context.get().uow() as uow:
        return {d.key: d.status for d in uow.session.scalars(select(Delivery).where(Delivery.kind == 'report'))}


def test_every_active_doctor_and_the_admin_get_one_report_once(
    celery_worker: Celery, mailbox: Mailbox, data: Data
) -> None:
    result = run_reports(celery_worker)  # the clock says 2 March: the previous month is February
    assert result['month'] == '2026-02' and (result['sent'], result['failed'], result['skipped']) == (3, 0, 0)
    assert mailbox.to() == EVERYONE  # Gregory House is deactivated: no report for him
    subjects = {str(message['To']): str(message['Subject']) for message in mailbox.messages}
    assert subjects['Meredith Grey <grey@clinic.test>'] == 'Your activity report for February 2026'
    assert subjects['Administrator <admin@clinic.test>'] == 'Clinic activity report for February 2026'
    grey = next(m for m in mailbox.messages if 'grey@' in str(m['To']))
    html_part = grey.get_body(preferencelist=('html',))
    assert html_part is not None and '&lt;script&gt;x&lt;/script&gt;' in html_part.get_content()
    assert [part.get_filename() for part in grey.iter_attachments()] == ['activity-report-2026-02.pdf']
    grey_id, shepherd_id = data.clinic.doctor.user_id, data.clinic.other_doctor.user_id
    assert report_deliveries() == {
        f'report:2026-02:doctor:{grey_id}:email': DeliveryStatus.SENT,
        f'report:2026-02:doctor:{shepherd_id}:email': DeliveryStatus.SENT,
        'report:2026-02:clinic:email': DeliveryStatus.SENT,
    }

    again = run_reports(celery_worker, month='2026-02')
    assert (again['sent'], again['skipped']) == (0, 3) and len(mailbox.messages) == 3  # nothing sent twice

    run_id = run_reports(celery_worker, month='2026-02', rerun=True)['run_id']  # an explicit re-run: sent again
    assert mailbox.to() == sorted(EVERYONE * 2)
    assert f'report:2026-02:doctor:{grey_id}:email:rerun:{run_id}' in report_deliveries()
    assert [(r.job, r.detail['month'], r.status, r.sent, r.failed, r.skipped) for r in runs()] == [
        ('monthly-reports', '2026-02', 'done', 3, 0, 0),
        ('monthly-reports', '2026-02', 'done', 0, 0, 3),
        ('monthly-reports', '2026-02', 'done', 3, 0, 0),
    ]
    assert all(run.finished_at is not None for run in runs())


def test_a_temporary_failure_is_retried_and_a_permanent_one_recorded(
    celery_worker: Celery, mailbox: Mailbox, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_tasks, 'RETRY_BASE_SECONDS', 0)  # back-off without the wait
    mailbox.refuse[:] = ['451 4.3.0 Try again later', '550 5.7.1 Rejected', '451 4.3.0 Still busy']
    result = run_reports(celery_worker)
    # Order: Grey (451, retried), Shepherd (550, failed for good), the admin (451, retried); the retry sends both.
    assert (result['sent'], result['failed'], result['skipped']) == (2, 1, 0)
    assert mailbox.to() == ['Administrator <admin@clinic.test>', 'Meredith Grey <grey@clinic.test>']
    statuses = sorted(report_deliveries().values())
    assert statuses == sorted([DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.FAILED])
    with context.get().uow() as uow:
        failed = uow.session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.FAILED)).one()
        assert (failed.recipient, failed.last_error) == ('shepherd@clinic.test', 'SMTP 550')
        attempts = sorted(d.attempts for d in uow.session.scalars(select(Delivery)))
    assert attempts == [1, 2, 2]
    [run] = runs()
    assert (run.status, run.sent, run.failed, run.skipped) == ('done', 2, 1, 0)
    assert run_reports(celery_worker)['skipped'] == 3 and len(mailbox.messages) == 2  # failed: shown, not resent

    # The admin's retry from the Jobs page: reopened, then sent by the report task limited to that delivery.
    enqueued = jobs_admin.retry_delivery(
        context.get().uow, context.get().settings, data.clinic.admin, lambda: Unclosed(celery_worker), failed.id
    )
    assert (enqueued.task, enqueued.kwargs['delivery_ids']) == ('hms.monthly_reports', [failed.id])
    wait_for(lambda: runs()[-1].status == 'done', 'the retry run')
    assert (runs()[-1].sent, runs()[-1].detail['retry']) == (1, [failed.id])
    assert mailbox.to() == EVERYONE and report_deliveries()[failed.key] is DeliveryStatus.SENT


def test_reports_left_unfinished_by_a_dead_worker_are_taken_over_later(
    celery_worker: Celery, mailbox: Mailbox, data: Data, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    grey = data.clinic.doctor.user_id
    with context.get().uow() as uow:  # a worker claimed Grey's report, then died before sending it
        deliveries.claim(
            uow,
            f'report:2026-02:doctor:{grey}:email',
            kind='report',
            channel=Channel.EMAIL,
            recipient='grey@clinic.test',
            subject='Your activity report for February 2026',
        )
    monkeypatch.setattr(report_tasks, 'FOLLOW_UP_SECONDS', 1.5)
    first = run_reports(celery_worker)
    clock.advance(deliveries.STALE_CLAIM + timedelta(minutes=1))  # the follow-up's countdown, as the clock sees it
    assert (first['sent'], first['skipped']) == (2, 1) and 'grey@' not in ' '.join(mailbox.to())
    wait_for(lambda: len(runs()) == 2 and runs()[1].status == 'done', 'the follow-up run')
    follow_up = runs()[1]
    assert (follow_up.detail['follow_up'], follow_up.sent, follow_up.skipped) == (1, 1, 2)
    assert mailbox.to() == EVERYONE  # Grey's report taken over and sent, once
    with context.get().uow() as uow:
        taken_over = uow.session.scalars(select(Delivery).where(Delivery.user_id.is_(None))).one()
        assert (taken_over.status, taken_over.attempts) == (DeliveryStatus.SENT, 2)


# --- The beat schedule ----------------------------------------------------------------------------------------------


def first_firing(app: Celery, entry: str, last_run: datetime) -> datetime:
    """When beat fires ``entry`` after ``last_run``: its loop, simulated (it sleeps until the entry's estimate, at
    most five minutes at a time, and asks the schedule whether the entry is due)."""
    schedule = app.conf.beat_schedule[entry]['schedule']
    schedule.app = app
    now = last_run
    for _ in range(20_000):
        schedule.nowfun = lambda moment=now: moment
        state = schedule.is_due(last_run)
        if state.is_due:
            return now
        now += timedelta(seconds=min(state.next, 300))
    raise AssertionError('never due')


def test_the_monthly_report_fires_on_the_first_at_seven_clinic_time(settings: Settings) -> None:
    app = create_celery(settings.model_copy(update={'timezone': ZONE}))
    try:
        # Across the change to summer time (29 March 2026): 07:00 CET is 06:00 UTC, 07:00 CEST is 05:00 UTC.
        march = first_firing(app, 'monthly-reports', datetime(2026, 2, 1, 6, tzinfo=UTC))
        april = first_firing(app, 'monthly-reports', march)
        november = first_firing(app, 'monthly-reports', datetime(2026, 10, 1, 5, tzinfo=UTC))
    finally:
        app.close()
    assert march == datetime(2026, 3, 1, 6, tzinfo=UTC)
    assert april == datetime(2026, 4, 1, 5, tzinfo=UTC) and april.astimezone(BERLIN).hour == 7
    assert november == datetime(2026, 11, 1, 6, tzinfo=UTC)  # back to winter time
    assert app.conf.beat_schedule['monthly-reports']['task'] == 'hms.monthly_reports'
