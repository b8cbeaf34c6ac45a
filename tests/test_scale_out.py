"""Scale-out, as a clinic group runs it: PostgreSQL, an external Redis, two web instances behind HAProxy (TLS, cookie
stickiness, health checks: deploy/haproxy.cfg as shipped), two workers and two beats, each its own process with its
own empty data folder, all on free ports in a temporary folder and stopped by PID.

Through the proxy: a patient's booking made on one instance appears on the admin's dashboard (a real browser) served
by the other; a session signed out through one instance is refused by the other; when the patient's instance is
killed they carry on on the other without signing in again; two beats send each scheduled job once, also when the one
sending is killed; a reminder run whose worker is killed mid-way reminds every patient exactly once.

Runs on PostgreSQL only (``HMS_TEST_POSTGRES=1``, as ``make test-postgres`` does); there HAProxy
(``apt-get install haproxy``) is required: its absence fails the module instead of skipping it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from redbeat.decoder import RedBeatJSONDecoder, RedBeatJSONEncoder  # type: ignore[import-untyped]
from sqlalchemy import select

from hms import context
from hms.config import Settings
from hms.db.models import Delivery, JobRun
from hms.db.uow import Database
from hms.domain.enums import DeliveryStatus, Role
from hms.domain.scheduling import BookingIn
from hms.runtime import heartbeat
from hms.runtime.redis_server import EmbeddedRedis
from hms.services import appointments, reminders
from hms.services.principal import Principal
from jobs.celery_app import REDBEAT_KEY_PREFIX, create_celery

from .e2e.server import BROWSER_ARGS, CHROMIUM, NO_CHROMIUM, early_morning_zone
from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, PATIENT_PASSWORD, make_patient
from .fault_fixtures import LIMIT, HmsProcess, wait_until
from .peers import Mailbox
from .postgres_server import ON_POSTGRES, PostgresServer
from .processes import free_port, short_folder, stop_process
from .redis_server import embedded_redis
from .test_faults import open_clinic

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason='the scale-out topology runs on PostgreSQL: HMS_TEST_POSTGRES=1 (make test-postgres) runs it',
)

ROOT = Path(__file__).resolve().parents[1]
HAPROXY_CONFIG = ROOT / 'deploy' / 'haproxy.cfg'
STORAGE_SECRET = 'scale-out-test-secret-shared-by-every-web-instance'
REMINDED = 'Reminder: your appointment'
REMINDED_PATIENTS = 12
LIVE = 2.0  # seconds within which an ended session is refused by the other instance (pub/sub, no polling)


@dataclass
class Topology:
    folder: Path
    env: dict[str, str]
    proxy: str  # https://127.0.0.1:<port>
    webs: dict[str, tuple[HmsProcess, str]]  # web1/web2 -> (process, direct base URL)
    workers: list[HmsProcess]
    beats: list[HmsProcess]
    haproxy: subprocess.Popen[bytes] | None
    redis_url: str
    mailbox: Mailbox
    settings: Settings
    doctor_id: int
    patient_email: str
    refused_start: str  # what a web instance said on a database that was not migrated yet
    started: list[HmsProcess] = field(default_factory=list)

    def spawn(self, name: str, *command: str, **extra: str) -> HmsProcess:
        data = self.folder / name
        data.mkdir(exist_ok=True)
        # A data folder of its own that does not even exist yet: each process makes what it needs.
        env = {**self.env, 'HMS_DATA_DIR': str(data / 'data'), **extra}
        process = HmsProcess(list(command), env, self.folder / f'{name}.log').start()
        self.started.append(process)
        return process

    def client(self, node: str) -> httpx.Client:
        """A client of the proxy kept on ``node`` by the stickiness cookie (self-signed certificate)."""
        return httpx.Client(base_url=self.proxy, verify=False, cookies={'HMSNODE': node}, timeout=15)  # noqa: S501


def _clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(('HMS_', 'PYTEST_', 'NICEGUI_'))}


def _certificate(folder: Path) -> Path:
    key, cert, pem = folder / 'key.pem', folder / 'cert.pem', folder / 'hms.pem'
    subprocess.run(
        [
            'openssl',
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-days',
            '1',
            '-subj',
            '/CN=127.0.0.1',
            '-keyout',
            str(key),
            '-out',
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    return pem


def _web_answers(base: str, process: HmsProcess) -> bool:
    assert process.running(), process.log()[-4000:]
    try:
        return httpx.get(f'{base}/api/health', timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _proxy_answers(proxy: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    assert process.poll() is None, log.read_text(errors='replace')
    try:
        return httpx.get(f'{proxy}/api/health', verify=False, timeout=2).status_code == 200  # noqa: S501
    except httpx.HTTPError:
        return False


def _stop(process: HmsProcess) -> None:
    if process.process is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.process.wait(timeout=20)
        process.kill()  # SIGKILL to whatever is left below it, by PID


@pytest.fixture(scope='module')
def topology(postgres_server: PostgresServer | None) -> Iterator[Topology]:
    assert postgres_server is not None
    if shutil.which('haproxy') is None:
        pytest.fail('haproxy is not installed: apt-get install haproxy (the scale-out test needs the real proxy)')
    with short_folder('hms-so-') as folder, embedded_redis('hms-sr-') as server:
        yield from _topology(folder, server, postgres_server)


def _topology(folder: Path, server: EmbeddedRedis, postgres: PostgresServer) -> Iterator[Topology]:
    database = f'hms_scale_{os.getpid()}'
    postgres.execute(f'CREATE DATABASE {database}')
    mailbox = Mailbox()
    mailbox.start()
    zone = early_morning_zone()
    https_port, http_port = free_port(), free_port()
    proxy = f'https://127.0.0.1:{https_port}'
    env = _clean_env()
    env.update(
        {
            'HMS_DATABASE_URL': postgres.url(database),
            'HMS_REDIS_URL': server.url,
            'HMS_STORAGE_SECRET': STORAGE_SECRET,
            'HMS_PUBLIC_URL': proxy,
            'HMS_TRUSTED_PROXIES': '127.0.0.1',
            'HMS_HOST': '127.0.0.1',
            'HMS_ADMIN_EMAIL': ADMIN_EMAIL,
            'HMS_ADMIN_PASSWORD': ADMIN_PASSWORD,
            'HMS_CLINIC_NAME': 'Riverside Clinic',
            'HMS_TIMEZONE': zone,
            'HMS_EXPORTS_DIR': str(folder / 'shared-exports'),  # the network mount of a real deployment
            'HMS_BOOKING_NOTICE_MINUTES': '0',
            'HMS_MAX_FUTURE_BOOKINGS': '100',
            'HMS_TASK_REDELIVERY_SECONDS': '15',  # a task a killed worker held comes back within the test's wait
            'HMS_LOG_LEVEL': 'INFO',
            **mailbox.smtp_env(),
        }
    )
    settings = Settings(
        _env_file=None,
        data_dir=folder / 'test',
        database_url=env['HMS_DATABASE_URL'],
        redis_url=server.url,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        timezone=zone,
        booking_notice_minutes=0,
        max_future_bookings=100,
    )
    top = Topology(folder, env, proxy, {}, [], [], None, server.url, mailbox, settings, 0, '', '')
    haproxy_log = folder / 'haproxy.log'
    try:
        # Before the deploy step, a web instance refuses the empty database and says what to do.
        refused = top.spawn('web-early', 'web', '--port', str(free_port()))
        assert refused.process is not None
        assert refused.process.wait(timeout=LIMIT) == 2, refused.log()
        top.refused_start = refused.log()
        migrate = top.spawn('migrate', 'migrate')
        assert migrate.process is not None
        assert migrate.process.wait(timeout=LIMIT * 2) == 0, migrate.log()

        for name in ('web1', 'web2'):
            port = free_port()
            top.webs[name] = (
                top.spawn(name, 'web', '--host', '127.0.0.1', '--port', str(port)),
                f'http://127.0.0.1:{port}',
            )
        top.workers = [top.spawn(f'worker{n}', 'worker', '--hostname', f'hms-{n}@%h') for n in (1, 2)]
        # DEBUG: Celery's scheduler says what it sends only then (the test counts it in their logs).
        top.beats = [top.spawn(f'beat{n}', 'beat', HMS_LOG_LEVEL='DEBUG') for n in (1, 2)]
        proxy_env = {
            **_clean_env(),
            'HMS_PROXY_HTTPS': f'127.0.0.1:{https_port}',
            'HMS_PROXY_HTTP': f'127.0.0.1:{http_port}',
            'HMS_TLS_CERT': str(_certificate(folder)),
            'HMS_WEB1': top.webs['web1'][1].removeprefix('http://'),
            'HMS_WEB2': top.webs['web2'][1].removeprefix('http://'),
        }
        with haproxy_log.open('wb') as log:
            top.haproxy = subprocess.Popen(
                ['haproxy', '-db', '-f', str(HAPROXY_CONFIG)], env=proxy_env, stdout=log, stderr=subprocess.STDOUT
            )
        for process, base in top.webs.values():
            wait_until(partial(_web_answers, base, process), 'a web instance to answer', every=0.3)
        haproxy = top.haproxy
        wait_until(lambda: _proxy_answers(proxy, haproxy, haproxy_log), 'the proxy to answer', every=0.3)

        ctx = context.init(settings)  # the test arranges data on the same database
        clinic = open_clinic(ctx, doctors_count=1, patients_count=1)
        top.doctor_id, top.patient_email = clinic.doctor_ids[0], clinic.patients[0]
        yield top
    finally:
        for process in reversed(top.started):
            _stop(process)
        if top.haproxy is not None:
            stop_process(top.haproxy, signal.SIGTERM, 10)
        for process in top.started:
            print(f'--- {process.log_path.name} (last lines) ---\n' + '\n'.join(process.log().splitlines()[-40:]))
        mailbox.stop()
        with contextlib.suppress(Exception):
            context.get().db.dispose()
        with contextlib.suppress(Exception):
            postgres.execute(f'DROP DATABASE IF EXISTS {database} WITH (FORCE)')


@pytest.fixture(scope='module')
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f'{NO_CHROMIUM} {CHROMIUM}')
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
        yield launched
        launched.close()


def on_node(browser: Browser, topology: Topology, node: str) -> BrowserContext:
    """A browser whose stickiness cookie keeps it on ``node`` (as if the proxy had put it there)."""
    found = browser.new_context(base_url=topology.proxy, ignore_https_errors=True)
    found.add_cookies([{'name': 'HMSNODE', 'value': node, 'url': topology.proxy}])
    return found


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto('/login')
    page.get_by_label('Email', exact=True).fill(email)
    page.get_by_label('Password', exact=True).fill(password)
    page.get_by_role('button', name='Sign in').click()
    page.wait_for_url(re.compile(r'/(admin|patient)$'))


def today_figure(page: Page) -> int:
    card = page.locator('.q-card').filter(has=page.get_by_text('Appointments today', exact=True))
    expect(card).to_have_text(re.compile(r'Appointments today\s*[\d,]+'), timeout=LIMIT * 1000)  # read after drawing
    return int(card.inner_text().replace('Appointments today', '').strip().replace(',', ''))


def api_token(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = client.post('/api/login', json={'email': email, 'password': password})
    assert response.status_code == 200, response.text
    return {'Authorization': f'Bearer {response.json()["access_token"]}'}


# --- the tests, in order: they share the one topology ---------------------------------------------------------------


def test_a_web_instance_refuses_a_database_that_is_not_migrated(topology: Topology) -> None:
    assert 'run python main.py migrate' in topology.refused_start
    assert 'Traceback' not in topology.refused_start


def test_every_process_named_and_the_proxy_sets_hsts(topology: Topology) -> None:
    names = set()
    app = create_celery(topology.settings)
    try:

        def answering() -> set[str]:
            replies = app.control.ping(timeout=1.0) or []
            return {name for reply in replies for name in reply}

        names = wait_until(lambda: len(answering()) == 2 and answering(), 'both workers to answer')
    finally:
        app.close()
    assert len(names) == 2 and all(name.startswith(('hms-1@', 'hms-2@')) for name in names), names
    with topology.client('web1') as client:
        response = client.get('/api/health')
    assert response.headers['strict-transport-security'].startswith('max-age=')


def test_a_booking_on_one_instance_reaches_a_dashboard_on_the_other(topology: Topology, browser: Browser) -> None:
    # The change arrives through Redis pub/sub, then the dashboard recomputes its figures: the wait is a liveness
    # bound, as the load of this shared machine decides how long that takes (docs/deploy.md, Live updates).
    admin = on_node(browser, topology, 'web2').new_page()
    try:
        sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
        expect(admin.get_by_role('heading', name='Clinic dashboard')).to_be_visible()
        before = today_figure(admin)
        with topology.client('web1') as patient:
            headers = api_token(patient, topology.patient_email, PATIENT_PASSWORD)
            slots = patient.get(f'/api/doctors/{topology.doctor_id}/slots', headers=headers).json()
            today = datetime.now(ZoneInfo(topology.settings.timezone)).date().isoformat()
            start = next(slot['start'] for slot in slots if slot['start'].startswith(today))
            booked = patient.post(
                '/api/appointments', headers=headers, json={'doctor_id': topology.doctor_id, 'start': start}
            )
            assert booked.status_code == 201, booked.text
        expect(admin.locator('.q-card').filter(has=admin.get_by_text('Appointments today', exact=True))).to_have_text(
            re.compile(rf'Appointments today\s*{before + 1}\b'), timeout=LIMIT * 1000
        )
    finally:
        admin.context.close()


def test_a_session_signed_out_through_one_instance_is_refused_by_the_other(topology: Topology) -> None:
    (_, first), (_, second) = topology.webs['web1'], topology.webs['web2']
    with httpx.Client(base_url=first, timeout=15) as one, httpx.Client(base_url=second, timeout=15) as other:
        headers = api_token(one, topology.patient_email, PATIENT_PASSWORD)
        assert other.get('/api/me', headers=headers).status_code == 200  # known (and cached) over there too
        assert one.post('/api/logout', headers=headers).status_code in (200, 204)
        deadline = time.monotonic() + LIVE
        while other.get('/api/me', headers=headers).status_code != 401:
            assert time.monotonic() < deadline, 'the other instance still accepts the signed-out session'
            time.sleep(0.1)


def test_an_export_made_by_a_worker_is_downloaded_from_either_instance(topology: Topology) -> None:
    (_, first), (_, second) = topology.webs['web1'], topology.webs['web2']
    with httpx.Client(base_url=first, timeout=15) as one, httpx.Client(base_url=second, timeout=15) as other:
        headers = api_token(one, topology.patient_email, PATIENT_PASSWORD)
        started = one.post('/api/exports', headers=headers, json={'kind': 'my-history'})
        assert started.status_code == 202, started.text
        export = started.json()['id']

        def done() -> bool:
            state = other.get(f'/api/exports/{export}', headers=headers).json()['status']
            assert state not in ('failed', 'expired'), state
            return bool(state == 'done')

        wait_until(done, 'the export to be written by a worker')
        for client in (one, other):
            download = client.get(f'/api/exports/{export}/download', headers=headers)
            assert download.status_code == 200, download.text
            assert download.headers['content-type'].startswith('text/csv')


def test_a_blacklisting_through_one_instance_ends_the_sessions_on_the_other(topology: Topology) -> None:
    blocked = make_patient(context.get(), 'blocked@example.com', name='Blocked Patient')
    (_, first), (_, second) = topology.webs['web1'], topology.webs['web2']
    with httpx.Client(base_url=first, timeout=15) as one, httpx.Client(base_url=second, timeout=15) as other:
        headers = api_token(other, 'blocked@example.com', PATIENT_PASSWORD)
        assert other.get('/api/me', headers=headers).status_code == 200
        admin = api_token(one, ADMIN_EMAIL, ADMIN_PASSWORD)
        response = one.post(f'/api/admin/users/{blocked.id}/blacklist', headers=admin, json={'reason': 'Test'})
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + LIVE
        while other.get('/api/me', headers=headers).status_code != 401:
            assert time.monotonic() < deadline, 'the other instance still accepts the blacklisted account'
            time.sleep(0.1)


def test_the_patient_carries_on_when_their_instance_dies(topology: Topology, browser: Browser) -> None:
    page = on_node(browser, topology, 'web1').new_page()
    try:
        sign_in(page, topology.patient_email, PATIENT_PASSWORD)
        expect(page.get_by_role('heading', name='Upcoming appointments')).to_be_visible()
        process, _ = topology.webs['web1']
        process.kill()  # SIGKILL: no goodbye to anyone
        page.reload()  # what the page's reconnect does: the proxy sends it to the instance that is up
        page.wait_for_load_state('networkidle')
        assert not page.url.endswith('/login'), 'the patient had to sign in again'
        expect(page.get_by_role('heading', name='Upcoming appointments')).to_be_visible()
        assert page.context.cookies(topology.proxy) and any(
            cookie['name'] == 'HMSNODE' and cookie['value'] == 'web2' for cookie in page.context.cookies(topology.proxy)
        )
    finally:
        page.context.close()


def _sends(topology: Topology, entry: str) -> int:
    return sum(process.log().count(f'Sending due task {entry} ') for process in topology.beats)


def _make_due(client: redis.Redis, entries: tuple[str, ...]) -> None:
    """As if each job's time had come: its last run moves a month back and it is due now in RedBeat's schedule."""
    for name in entries:
        key = f'{REDBEAT_KEY_PREFIX}{name}'
        meta = json.loads(client.hget(key, 'meta') or '{}', cls=RedBeatJSONDecoder)
        meta['last_run_at'] = datetime.now(UTC) - timedelta(days=40)
        client.hset(key, 'meta', json.dumps(meta, cls=RedBeatJSONEncoder))
        client.zadd(f'{REDBEAT_KEY_PREFIX}:schedule', {key: time.time() - 1})


def _heartbeat_pid(client: redis.Redis) -> int | None:
    raw = client.get(heartbeat.KEY)
    return json.loads(raw)['pid'] if raw else None


def _reports(topology: Topology) -> dict[str, int]:
    return {
        **topology.mailbox.count_by('Your activity report'),
        **topology.mailbox.count_by('Clinic activity report'),
    }


def _finished_runs(job: str) -> int:
    with context.get().uow() as uow:
        statuses = uow.session.scalars(select(JobRun.status).where(JobRun.job == job)).all()
    return sum(1 for status in statuses if status != 'running')


def test_two_beats_send_each_job_once_also_when_the_sending_one_is_killed(topology: Topology) -> None:
    jobs = ('daily-reminders', 'monthly-reports')
    client = redis.Redis.from_url(topology.redis_url)
    try:
        pids = {process.pid: process for process in topology.beats}
        holder = pids[wait_until(lambda: _heartbeat_pid(client) in pids and _heartbeat_pid(client), 'a beat to lead')]
        standby = next(process for process in topology.beats if process is not holder)
        assert standby.running() and 'Acquired lock' not in standby.log()
        _make_due(client, jobs)
        wait_until(lambda: all(_sends(topology, job) for job in jobs), 'the due jobs to be sent')
        holder.kill()  # right after sending: no clean shutdown, the lock stays until it times out
        wait_until(lambda: _heartbeat_pid(client) == standby.pid, 'the standby beat to take over', timeout=LIMIT * 2)
        _make_due(client, ('monthly-reports',))  # due once more, now for the new leader
        wait_until(lambda: _sends(topology, 'monthly-reports') == 2, 'the new leader to send it')
        assert _sends(topology, 'daily-reminders') == 1  # not sent again by the new leader
        assert _sends(topology, 'monthly-reports') == 2
        # The month's reports go out once although the job ran twice, once for each leader (the second run finds
        # them claimed or sent: it would only take over claims that went stale).
        wait_until(lambda: _finished_runs('monthly-reports') >= 1, 'a report run to finish')
        reports = wait_until(partial(_reports, topology), 'the reports to arrive')
        assert all(count == 1 for count in reports.values()), reports
    finally:
        client.close()


def _book_reminded_patients(topology: Topology) -> tuple[str, list[str]]:
    """Patients booked for tomorrow (no confirmations: booked without a publisher)."""
    ctx = context.get()
    zone = ZoneInfo(topology.settings.timezone)
    tomorrow = datetime.now(zone).date() + timedelta(days=1)
    database = Database(topology.settings.effective_database_url)
    emails = []
    try:
        for number in range(REMINDED_PATIENTS):
            email = f'reminded{number}@example.com'
            user = make_patient(ctx, email, name=f'Reminded Patient{number}')
            person = Principal(
                user_id=user.id, role=Role.PATIENT, name=user.name, email=email, must_change_password=False
            )
            start = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, tzinfo=zone) + timedelta(
                minutes=15 * number
            )
            with database.uow() as uow:
                appointments.book(uow, topology.settings, person, BookingIn(doctor_id=topology.doctor_id, start=start))
            emails.append(email)
    finally:
        database.dispose()
    return tomorrow.isoformat(), emails


def _reminders_sent() -> int:
    with context.get().uow() as uow:
        rows = uow.session.scalars(select(Delivery.status).where(Delivery.kind == reminders.REMINDER)).all()
    return sum(1 for status in rows if DeliveryStatus(status) == DeliveryStatus.SENT)


def test_a_reminder_run_with_a_worker_killed_mid_way_reminds_each_patient_once(topology: Topology) -> None:
    day, emails = _book_reminded_patients(topology)
    mailbox, before = topology.mailbox, _reminders_sent()
    mailbox.hold_after = len(mailbox.received()) + 4  # then the SMTP server holds every sender before accepting
    app = create_celery(topology.settings)
    try:
        app.send_task('hms.daily_reminders', kwargs={'day': day}, ignore_result=True)
        wait_until(lambda: mailbox.held > 0, 'a sender to wait at the held SMTP server')
        reminded = mailbox.count_by(REMINDED)
        assert sum(1 for email in emails if email in reminded) < len(emails)  # killed mid-way, not after
        killed = topology.workers[0]
        killed.kill()  # mid-run: it holds claims and tasks
        mailbox.hold_after = None
        topology.workers[0] = topology.spawn('worker1-again', 'worker', '--hostname', 'hms-1@%h')  # same node
        wait_until(
            lambda: all(mailbox.count_by(REMINDED).get(email) for email in emails), 'every patient to be reminded'
        )
        wait_until(lambda: _reminders_sent() - before >= len(emails), 'every reminder recorded as sent')
        app.send_task('hms.ping').get(timeout=LIMIT)
        counts = mailbox.count_by(REMINDED)
        assert {email: counts.get(email) for email in emails} == dict.fromkeys(emails, 1)
    finally:
        app.close()
