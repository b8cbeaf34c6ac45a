"""The admin's Jobs (API and page) and Outbox: runs, run now, the delivery log, retries, reachability, and a mail
sink's message shown only inside a sandboxed frame.

In page tests ``user`` comes first (main.py initialises the context), then ``clinic`` re-initialises it over the same
database, with the clock and the Berlin time zone; ``redis_url`` comes before both when Redis should be configured.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from fastapi.testclient import TestClient
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import select

from hms import context
from hms.clock import ManualClock
from hms.config import Settings
from hms.db.models import Delivery, Export, JobRun, OutboxMessage
from hms.domain.enums import AppointmentStatus, Channel, DeliveryStatus, ExportStatus
from hms.domain.errors import NotAllowed
from hms.notify.email import send_composed
from hms.notify.sink import SmtpSink, free_port, sink_port
from hms.runtime import heartbeat
from hms.services import jobs_admin, reports
from hms.services.jobs_admin import DeliveryView
from hms.services.reports import Month, Recipient

from .api_fixtures import api_over, login
from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, PATIENT_PASSWORD, make_patient
from .page_steps import eventually, label_text, rows, see, sign_in, sign_in_admin
from .scheduling_fixtures import Clinic, insert_appointment, local

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # Monday 2 March 2026, 08:00 in Berlin (the clinic fixture's clock)


def add_delivery(
    key: str,
    kind: str,
    status: DeliveryStatus,
    *,
    channel: Channel = Channel.EMAIL,
    recipient: str = 'grey@clinic.test',
    error: str | None = None,
    created: datetime = NOW,
    user_id: int | None = None,
) -> int:
    with context.get().uow() as uow:
        delivery = Delivery(
            key=key,
            kind=kind,
            channel=channel,
            recipient=recipient,
            subject='Your report',
            status=status,
            attempts=1,
            last_error=error,
            created_at=created,
            claimed_at=created,
            sent_at=created if status is DeliveryStatus.SENT else None,
            user_id=user_id,
        )
        uow.session.add(delivery)
        uow.commit()
        return delivery.id


def delivery_status(delivery_id: int) -> DeliveryStatus:
    with context.get().uow() as uow:
        delivery = uow.session.get(Delivery, delivery_id)
        assert delivery is not None
        return DeliveryStatus(delivery.status)


def job_runs() -> list[JobRun]:
    with context.get().uow() as uow:
        return list(uow.session.scalars(select(JobRun).order_by(JobRun.id)))


def queued_tasks(url: str) -> list[tuple[str, dict[str, Any]]]:
    """The tasks waiting in Redis (no worker runs in these tests): (name, kwargs)."""
    client = redis.Redis.from_url(url)
    try:
        raw = client.lrange('celery', 0, -1)
    finally:
        client.close()
    found = []
    for item in reversed(raw):  # LPUSHed: the oldest is last
        message = json.loads(item)
        _, kwargs, _ = json.loads(base64.b64decode(message['body']))
        found.append((message['headers']['task'], kwargs))
    return found


# --- The retry mapping ------------------------------------------------------------------------------------------------


def view(kind: str, key: str, delivery_id: int = 7) -> DeliveryView:
    return DeliveryView(
        id=delivery_id,
        key=key,
        kind=kind,
        channel='email',
        recipient='x@example.com',
        subject='S',
        status='failed',
        attempts=1,
        last_error='SMTP 550',
        created_at=NOW,
        sent_at=None,
    )


ALL_TASKS = {'hms.redeliver', 'hms.export_email', 'hms.daily_reminders', 'hms.monthly_reports'}
TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ('delivery', 'tasks', 'expected'),
    [
        (
            view('reminder', 'reminder:2026-03-01:appointment:4:email'),
            ALL_TASKS,
            ('hms.redeliver', {'delivery_id': 7}, ''),
        ),
        (
            view('confirmation', 'confirmation:appointment:4:seq:1:booked:email'),
            ALL_TASKS,
            ('hms.redeliver', {'delivery_id': 7}, ''),
        ),
        (
            view('reminder', 'reminder:2026-03-02:appointment:4:sms'),
            set(),
            ('hms.daily_reminders', {}, 'daily-reminders'),
        ),  # no redeliver task: today's reminders run again
        (view('reminder', 'reminder:2026-03-01:appointment:4:email'), set(), None),  # yesterday's: not any more
        (view('confirmation', 'confirmation:appointment:4:seq:1:booked:email'), set(), None),
        (
            view('report', 'report:2026-02:doctor:5:email'),
            ALL_TASKS,
            ('hms.monthly_reports', {'month': '2026-02', 'delivery_ids': [7]}, 'monthly-reports'),
        ),
        (
            view('report', 'report:2026-02:clinic:email:rerun:12'),
            set(),
            ('hms.monthly_reports', {'month': '2026-02', 'delivery_ids': [7]}, 'monthly-reports'),
        ),
        (view('export', 'export:31:email'), ALL_TASKS, ('hms.export_email', {'export_id': 31, 'delivery_id': 7}, '')),
        (view('export', 'export:31:email'), set(), None),
        (view('newsletter', 'newsletter:1'), ALL_TASKS, None),
    ],
)
def test_which_task_retries_which_delivery(delivery: DeliveryView, tasks: set[str], expected: Any) -> None:
    assert jobs_admin.retry_plan(delivery, tasks, TODAY) == expected


# --- API --------------------------------------------------------------------------------------------------------------


@pytest.fixture
def api(redis_url: str, settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    clock.set(NOW)
    yield from api_over(settings.model_copy(update={'redis_url': redis_url, 'timezone': 'Europe/Berlin'}))


@pytest.fixture
def api_without_redis(settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    clock.set(NOW)
    yield from api_over(settings.model_copy(update={'timezone': 'Europe/Berlin'}))


def test_jobs_are_for_the_administrator_only(api: TestClient) -> None:
    make_patient(context.get())
    patient = login(api, 'ada@example.com', PATIENT_PASSWORD)
    calls: list[tuple[str, str]] = [
        ('GET', '/api/admin/jobs'),
        ('POST', '/api/admin/jobs/monthly-reports/run'),
        ('GET', '/api/admin/deliveries'),
        ('POST', '/api/admin/deliveries/1/retry'),
        ('GET', '/api/admin/jobs/runs/1'),
    ]
    for method, path in calls:
        assert api.request(method, path, headers=patient).status_code == 403, path
        assert api.request(method, path).status_code == 401, path
    assert job_runs() == []


def test_run_now_answers_202_and_the_run_appears(api: TestClient, redis_url: str) -> None:
    admin = login(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    started = api.post('/api/admin/jobs/monthly-reports/run', headers=admin)
    assert started.status_code == 202, started.text
    body = started.json()
    assert (body['job'], body['task'], body['detail']) == (
        'monthly-reports',
        'hms.monthly_reports',
        {'month': '2026-02', 'rerun': False},
    )
    reminders = api.post('/api/admin/jobs/daily-reminders/run', headers=admin)
    assert reminders.status_code == 202 and reminders.json()['detail'] == {'day': '2026-03-02'}
    again = api.post('/api/admin/jobs/monthly-reports/run', headers=admin, params={'month': '2025-11', 'rerun': True})
    assert again.status_code == 202 and again.json()['detail'] == {'month': '2025-11', 'rerun': True}
    assert queued_tasks(redis_url) == [
        ('hms.monthly_reports', {'run_id': body['id'], 'month': '2026-02', 'rerun': False}),
        ('hms.daily_reminders', {'run_id': reminders.json()['id']}),
        ('hms.monthly_reports', {'run_id': again.json()['id'], 'month': '2025-11', 'rerun': True}),
    ]
    overview = api.get('/api/admin/jobs', headers=admin)
    assert overview.status_code == 200
    jobs = {job['name']: job for job in overview.json()['jobs']}
    assert set(jobs) == {
        'daily-reminders',
        'monthly-reports',
        'export-cleanup',
        'waitlist-offers',
        'rescue-deadlines',
        'recalls',
    }
    assert not jobs['export-cleanup']['can_run_now'] and jobs['monthly-reports']['can_run_now']
    [newest, first] = jobs['monthly-reports']['runs']
    assert (first['id'], first['status'], first['triggered_by']) == (body['id'], 'running', 'Administrator')
    assert first['started_at'] == '2026-03-02T08:00:00+01:00' and first['seconds'] is None
    assert newest['detail']['month'] == '2025-11'
    assert overview.json()['reachability'] == {
        'redis_configured': True,
        'redis_reachable': True,
        'worker_reachable': False,
        'workers': [],
    }
    assert overview.json()['failed_deliveries'] == 0 and set(overview.json()['cache']) == {
        'hits',
        'misses',
        'available',
    }
    run = api.get(f'/api/admin/jobs/runs/{body["id"]}', headers=admin)
    assert run.status_code == 200 and run.json()['job'] == 'monthly-reports'
    assert api.get('/api/admin/jobs/runs/999', headers=admin).status_code == 404


@pytest.mark.parametrize(
    ('path', 'params', 'status'),
    [
        ('/api/admin/jobs/export-cleanup/run', {}, 404),
        ('/api/admin/jobs/backup/run', {}, 404),
        ('/api/admin/jobs/monthly-reports/run', {'month': '2026-13'}, 422),
        ('/api/admin/jobs/monthly-reports/run', {'month': 'March'}, 422),
        ('/api/admin/jobs/monthly-reports/run', {'month': '2026-04'}, 422),  # has not begun yet
        ('/api/admin/jobs/daily-reminders/run', {'month': '2026-02'}, 422),  # reminders cover today
    ],
)
def test_bad_runs_are_refused(api: TestClient, path: str, params: dict[str, str], status: int) -> None:
    response = api.post(path, headers=login(api, ADMIN_EMAIL, ADMIN_PASSWORD), params=params)
    assert response.status_code == status, response.text
    assert response.headers['content-type'] == 'application/problem+json'
    assert job_runs() == []


def test_without_redis_jobs_cannot_run(api_without_redis: TestClient) -> None:
    api = api_without_redis
    admin = login(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    response = api.post('/api/admin/jobs/monthly-reports/run', headers=admin)
    assert response.status_code == 503 and response.headers['content-type'] == 'application/problem+json'
    assert response.json()['detail'] == 'Redis not configured: jobs cannot run.'
    failed = add_delivery('report:2026-02:clinic:email', 'report', DeliveryStatus.FAILED)
    assert api.post(f'/api/admin/deliveries/{failed}/retry', headers=admin).status_code == 503
    assert delivery_status(failed) is DeliveryStatus.FAILED and job_runs() == []
    overview = api.get('/api/admin/jobs', headers=admin).json()
    assert overview['reachability'] == {
        'redis_configured': False,
        'redis_reachable': False,
        'worker_reachable': False,
        'workers': [],
    }


# --- Health of each component, from real signals ---------------------------------------------------------------------


@pytest.fixture
def no_heartbeat(redis_url: str) -> Iterator[None]:
    """The session's Redis without a scheduler heartbeat (another test may have left one)."""
    client = redis.Redis.from_url(redis_url)
    client.delete(heartbeat.KEY)
    yield
    client.delete(heartbeat.KEY)
    client.close()


def components(api: TestClient, **headers: str) -> dict[str, dict[str, Any]]:
    response = api.get('/api/admin/jobs', headers={**login(api, ADMIN_EMAIL, ADMIN_PASSWORD), **headers})
    assert response.status_code == 200, response.text
    return {component['name']: component for component in response.json()['components']}


def add_outbox_row(created: datetime, *, dispatched: bool = False) -> None:
    with context.get().uow() as uow:
        uow.session.add(
            OutboxMessage(
                task='hms.send_confirmation',
                kwargs={},
                appointment_id=None,
                created_at=created,
                attempts=0,
                dispatched_at=created if dispatched else None,
            )
        )
        uow.commit()


def test_the_scheduler_is_judged_by_the_age_of_its_heartbeat(
    api: TestClient, redis_url: str, no_heartbeat: None
) -> None:
    found = components(api)
    assert set(found) == {'redis', 'worker', 'scheduler', 'outbox'}
    assert (found['redis']['status'], found['redis']['evidence']) == ('ok', 'Answers PING.')
    assert found['worker']['status'] == 'down'  # no worker runs in this test
    assert (found['scheduler']['status'], found['scheduler']['evidence']) == ('down', 'No heartbeat yet.')
    for seconds_ago, status in [(5, 'ok'), (45, 'late'), (600, 'down')]:
        heartbeat.record(redis_url, at=NOW - timedelta(seconds=seconds_ago))
        scheduler = components(api)['scheduler']
        assert (scheduler['status'], scheduler['age_seconds']) == (status, seconds_ago), seconds_ago
        assert (
            scheduler['seen_at']
            == (NOW - timedelta(seconds=seconds_ago)).astimezone(ZoneInfo('Europe/Berlin')).isoformat()
        )
    assert components(api)['scheduler']['evidence'] == 'Last heartbeat 2 Mar 2026, 07:50:00 (10 min ago).'
    german = components(api, **{'Accept-Language': 'de'})['scheduler']['evidence']
    assert german == 'Letztes Lebenszeichen 02.03.2026, 07:50:00 (vor 10 Min.).'


def test_the_outbox_is_judged_by_its_oldest_waiting_row(api: TestClient, no_heartbeat: None) -> None:
    assert components(api)['outbox']['status'] == 'ok'
    add_outbox_row(NOW - timedelta(hours=3), dispatched=True)  # handed over long ago: not waiting
    add_outbox_row(NOW - timedelta(seconds=30))
    outbox = components(api)['outbox']
    assert (outbox['status'], outbox['age_seconds']) == ('ok', 30)
    add_outbox_row(NOW - timedelta(minutes=5))
    outbox = components(api)['outbox']
    assert (outbox['status'], outbox['age_seconds']) == ('late', 300)
    assert outbox['evidence'] == '2 messages waiting, the oldest since 2 Mar 2026, 07:55:00 (5 min).'
    add_outbox_row(NOW - timedelta(minutes=20))
    assert components(api)['outbox']['status'] == 'down'


def test_with_redis_down_every_component_but_the_outbox_is_down(api: TestClient, no_heartbeat: None) -> None:
    ctx = context.get()
    ctx.settings = ctx.settings.model_copy(update={'redis_url': f'redis://127.0.0.1:{free_port()}/0'})  # nobody there
    found = components(api)
    assert {name: found[name]['status'] for name in found} == {
        'redis': 'down',
        'worker': 'down',
        'scheduler': 'down',
        'outbox': 'ok',
    }
    assert found['scheduler']['evidence'] == 'Unknown while Redis does not answer.'


def test_the_health_is_for_the_administrator_only(clinic: Clinic) -> None:
    ctx = context.get()
    with pytest.raises(NotAllowed):
        jobs_admin.health(ctx.uow, ctx.settings, clinic.patient, ctx.open_queue)


def test_the_delivery_log_filters_and_pages(api: TestClient) -> None:
    admin = login(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    berlin_day = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Berlin
    add_delivery('reminder:2026-03-02:appointment:1:email', 'reminder', DeliveryStatus.SENT, created=berlin_day)
    add_delivery(
        'reminder:2026-03-02:appointment:1:sms',
        'reminder',
        DeliveryStatus.FAILED,
        channel=Channel.SMS,
        recipient='+49 30 1234',
        error='SMS gateway answered HTTP 400',
        created=berlin_day,
    )
    for doctor in range(3):
        add_delivery(
            f'report:2026-02:doctor:{doctor}:email',
            'report',
            DeliveryStatus.SENT,
            created=NOW - timedelta(days=2, minutes=doctor),
        )
    everything = api.get('/api/admin/deliveries', headers=admin).json()
    assert everything['total'] == 5 and everything['items'][0]['key'] == 'reminder:2026-03-02:appointment:1:sms'
    failed = api.get('/api/admin/deliveries', headers=admin, params={'status': 'failed'}).json()
    assert [(d['channel'], d['last_error']) for d in failed['items']] == [('sms', 'SMS gateway answered HTTP 400')]
    page = api.get('/api/admin/deliveries', headers=admin, params={'kind': 'report', 'limit': 2, 'offset': 2}).json()
    assert (page['total'], [d['key'] for d in page['items']]) == (3, ['report:2026-02:doctor:2:email'])
    today = api.get('/api/admin/deliveries', headers=admin, params={'from': '2026-03-02', 'to': '2026-03-02'}).json()
    assert today['total'] == 2  # created 23:30 UTC on 1 March: 2 March in the clinic's zone
    assert api.get('/api/admin/deliveries', headers=admin, params={'channel': 'sms'}).json()['total'] == 1
    for bad in ({'status': 'lost'}, {'from': 'yesterday'}, {'from': '2026-03-02', 'to': '2026-03-01'}, {'limit': 0}):
        assert api.get('/api/admin/deliveries', headers=admin, params=bad).status_code == 422, bad


def test_retrying_a_failed_delivery_reopens_it_and_queues_its_task(api: TestClient, redis_url: str) -> None:
    admin = login(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    failed = add_delivery('report:2026-02:clinic:email', 'report', DeliveryStatus.FAILED, error='SMTP 550')
    sent = add_delivery('report:2026-02:doctor:3:email', 'report', DeliveryStatus.SENT)
    reminder = add_delivery('reminder:2026-03-01:appointment:4:email', 'reminder', DeliveryStatus.FAILED)
    response = api.post(f'/api/admin/deliveries/{failed}/retry', headers=admin)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body['delivery_id'], body['task']) == (failed, 'hms.monthly_reports') and body['run_id']
    assert delivery_status(failed) is DeliveryStatus.PENDING
    assert api.post(f'/api/admin/deliveries/{failed}/retry', headers=admin).status_code == 409  # not failed now
    assert api.post(f'/api/admin/deliveries/{sent}/retry', headers=admin).status_code == 409
    assert api.post('/api/admin/deliveries/9999/retry', headers=admin).status_code == 404
    assert api.post(f'/api/admin/deliveries/{reminder}/retry', headers=admin).status_code == 202
    assert queued_tasks(redis_url) == [
        ('hms.monthly_reports', {'month': '2026-02', 'delivery_ids': [failed], 'run_id': body['run_id']}),
        ('hms.redeliver', {'delivery_id': reminder}),
    ]
    [run] = job_runs()
    assert (run.job, run.detail, run.status) == ('monthly-reports', {'retry': [failed]}, 'running')


# --- Pages ------------------------------------------------------------------------------------------------------------


async def test_the_jobs_page_without_redis_says_jobs_cannot_run(user: User, clinic: Clinic) -> None:
    await sign_in_admin(user)
    await user.open('/admin/jobs')
    await see(user, 'Redis not configured: jobs cannot run.')
    await eventually(
        lambda: label_text(user, 'redis-state') == 'Redis: DOWN. Redis not configured: jobs cannot run.', 'the health'
    )
    button = next(iter(user.find(marker='run-monthly-reports').elements))
    assert not button.enabled


async def test_the_jobs_page_is_for_the_administrator(user: User, clinic: Clinic) -> None:
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'Sign out')
    await user.open('/admin/jobs')
    await see(user, 'You do not have access to this page.')
    await user.open('/admin/outbox')
    await see(user, 'You do not have access to this page.')


async def test_the_jobs_page_shows_runs_and_deliveries_and_retries(redis_url: str, user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        uow.session.add(
            JobRun(
                job='daily-reminders',
                started_at=NOW - timedelta(days=1),
                finished_at=NOW - timedelta(days=1) + timedelta(seconds=3),
                status='done',
                sent=4,
                failed=1,
                skipped=2,
                detail={'day': '2026-03-01'},
            )
        )
        uow.session.add(
            Export(
                owner_id=clinic.admin.user_id,
                kind='appointments',
                status=ExportStatus.DONE,
                rows=12,
                first_day=date(2026, 2, 1),
                last_day=date(2026, 2, 28),
                created_at=NOW,
                finished_at=NOW,
                expires_at=NOW + timedelta(days=7),
            )
        )
        uow.commit()
    failed = add_delivery(
        f'report:2026-02:doctor:{clinic.doctor.user_id}:email',
        'report',
        DeliveryStatus.FAILED,
        error='SMTP 550',
        user_id=clinic.doctor.user_id,
    )
    add_delivery(
        'reminder:2026-03-02:appointment:1:email',
        'reminder',
        DeliveryStatus.SENT,
        recipient='ada@x.org',
        created=NOW - timedelta(hours=1),
    )
    await sign_in_admin(user)
    await user.open('/admin/jobs')
    await see(user, 'Delivery log')
    [run] = rows(user, 'runs-table')
    assert (run['job'], run['status'], run['sent'], run['failed'], run['skipped']) == (
        'Daily reminders',
        'Done',
        4,
        1,
        2,
    )
    assert (run['took'], run['covers'], run['by'], run['started']) == (
        '3.0 s',
        '1 Mar 2026',
        'schedule',
        'Sun 1 Mar 2026, 08:00',
    )
    log = rows(user, 'deliveries-table')
    assert [(row['kind'], row['status'], row['failed']) for row in log] == [
        ('Report', 'Failed', True),
        ('Reminder', 'Sent', False),
    ]
    assert log[0]['error'] == 'SMTP 550'
    assert label_text(user, 'failed-state') == 'Failed deliveries: 1'
    [export] = rows(user, 'exports-table')
    assert (export['kind'], export['owner'], export['status'], export['rows']) == (
        'Appointments',
        'Administrator',
        'Done',
        12,
    )
    await eventually(lambda: label_text(user, 'redis-state') == 'Redis: OK. Answers PING.', 'Redis answers')
    assert label_text(user, 'worker-state') == 'Worker: DOWN. No worker answered a ping within 1 s.'
    assert label_text(user, 'scheduler-state') == 'Scheduler: DOWN. No heartbeat yet.'
    assert label_text(user, 'outbox-state') == 'Outbox: OK. Nothing waiting to be handed to the worker.'

    with user:
        next(iter(user.find(marker='filter-status').elements)).value = 'sent'
    await eventually(lambda: [row['kind'] for row in rows(user, 'deliveries-table')] == ['Reminder'], 'the filter')
    with user:
        next(iter(user.find(marker='filter-status').elements)).value = None
    await eventually(lambda: len(rows(user, 'deliveries-table')) == 2, 'no filter')

    # The failed row's Retry button emits 'retry' with its row.
    user.find(kind=ui.table, marker='deliveries-table').trigger('retry', rows(user, 'deliveries-table')[0])
    await eventually(lambda: delivery_status(failed) is DeliveryStatus.PENDING, 'the delivery reopened')
    await see(user, 'Sending to grey@clinic.test again.')
    await eventually(lambda: rows(user, 'deliveries-table')[0]['status'] == 'Pending', 'the log updated')
    assert queued_tasks(redis_url)[-1][0] == 'hms.monthly_reports'

    user.find(marker='run-monthly-reports').click()  # the month picker defaults to the previous month
    await see(
        user,
        'Monthly reports for February 2026: queued as run',
    )
    await eventually(
        lambda: any(
            row['covers'] == 'February 2026' and row['by'] == 'Administrator' for row in rows(user, 'runs-table')
        ),
        'the new run',
    )


# --- Outbox -----------------------------------------------------------------------------------------------------------

SCRIPT_NAME = '<script>x</script>'


def send_report_to_sink(clinic: Clinic) -> None:
    """A real February report for Dr Grey, listing a patient whose name is markup, through the local sink."""
    script = make_patient(clinic.ctx, 'script@example.com', name=SCRIPT_NAME)
    start = local(2, 9, month=2)
    insert_appointment(clinic, clinic.doctor.user_id, script.id, start, AppointmentStatus.COMPLETED, 'Migraine')
    settings = context.get().settings
    grey = Recipient(clinic.doctor.user_id, 'grey@clinic.test', 'Meredith Grey', clinic=False)
    with context.get().uow() as uow:
        email = reports.build_email(uow, settings, grey, Month(2026, 2))
    send_composed(email, settings, sink_port=sink_port(settings.data_path))


async def test_the_outbox_shows_a_message_only_inside_a_sandboxed_frame(
    user: User, clinic: Clinic, mail_sink: SmtpSink
) -> None:
    send_report_to_sink(clinic)
    await sign_in_admin(user)
    await user.open('/admin/outbox')
    await see(user, '1 message, newest first')
    [row] = rows(user, 'outbox-table')
    assert row['subject'] == 'Your activity report for February 2026'
    assert (row['to'], row['attachments']) == ('Meredith Grey <grey@clinic.test>', 'activity-report-2026-02.pdf')
    assert re.fullmatch(r'\w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2}', row['received'])  # the sink's clock: real time
    assert user.client is not None
    frame = next(e for e in user.client.layout.descendants() if 'outbox-frame' in e._markers)  # hidden for now
    assert frame.tag == 'iframe' and frame.props['sandbox'] == '' and 'srcdoc' not in frame.props
    user.find(kind=ui.table, marker='outbox-table').trigger('show', row)
    await eventually(lambda: 'srcdoc' in frame.props, 'the message in the frame')
    srcdoc = frame.props['srcdoc']
    assert '&lt;script&gt;x&lt;/script&gt;' in srcdoc and SCRIPT_NAME not in srcdoc
    assert 'cid:' not in srcdoc and srcdoc.count('src="data:image/png;base64,') == 2  # the charts, inlined
    assert frame.props['sandbox'] == ''  # no allow-scripts, no allow-same-origin
    assert user.client is not None
    assert not [e for e in user.client.layout.descendants() if isinstance(e, ui.html)]  # never injected in the page
    assert all(SCRIPT_NAME not in getattr(e, 'text', '') for e in user.client.layout.descendants())


@pytest.fixture
def smtp_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HMS_SMTP_HOST', 'mail.example.org')


async def test_the_outbox_names_the_server_when_one_is_configured(
    smtp_configured: None, user: User, clinic: Clinic
) -> None:
    await sign_in_admin(user)
    await user.open('/admin/outbox')
    await see(
        user,
        'Mail goes to the configured SMTP server (mail.example.org:587); there is no local outbox. '
        'The Jobs page shows every delivery.',
    )
