"""Password reset by email and the optional address confirmation (hms/services/account_links.py): single use,
expiry, throttling, the same answer for any address, sessions ended, audited, the second factor still asked, the
emails' links built from HMS_PUBLIC_URL; the API contract; two confirmations at once have one winner."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from nicegui.testing import User
from sqlalchemy import select

from hms import context
from hms.clock import ManualClock
from hms.config import Settings
from hms.context import AppContext
from hms.db.models import AuditEntry
from hms.domain.enums import SessionKind
from hms.domain.errors import EmailNotVerified, InvalidCredentials, InvalidInput, LinkNotValid, NotAuthenticated
from hms.domain.schemas import Credentials, PasswordReset, PatientRegistration
from hms.i18n import use_language
from hms.security import totp
from hms.services import account_links, accounts, two_factor

from .api_fixtures import api_over
from .factories import DOCTOR_PASSWORD, PATIENT_PASSWORD, make_doctor, make_patient, patient_data

IP = '198.51.100.7'
NEW_PASSWORD = 'a new and long passphrase'


class Tasks:
    """Stands in for the context's task producer: records what would go to the worker."""

    available = True

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, task: str, kwargs: dict[str, Any], *, retry_policy: object = None) -> None:
        assert task == account_links.EMAIL_TASK
        self.sent.append(kwargs)


def ask(ctx: AppContext, tasks: Tasks, email: str, ip: str = IP, settings: Settings | None = None) -> None:
    account_links.request_reset(ctx.uow, settings or ctx.settings, tasks, email, ip=ip)  # type: ignore[arg-type]


def links(ctx: AppContext, tasks: Tasks, settings: Settings | None = None) -> list[str]:
    """The links of the emails the worker would send now, in order."""
    found = []
    with ctx.uow() as uow:
        for kwargs in tasks.sent:
            composed = account_links.compose(uow, settings or ctx.settings, **kwargs)
            if composed is not None and kwargs['kind'] != account_links.CHANGED:
                found.append(kwargs['token'])
    return found


def reset(ctx: AppContext, token: str, password: str = NEW_PASSWORD, tasks: Tasks | None = None) -> None:
    data = PasswordReset(token=token, password=password)
    account_links.confirm_reset(ctx.uow, ctx.settings, tasks or Tasks(), data, ip=IP)  # type: ignore[arg-type]


def sign_in(ctx: AppContext, email: str, password: str, **codes: str | None) -> accounts.LoginResult:
    with ctx.uow() as uow:
        credentials = Credentials(email=email, password=password)
        return accounts.login(uow, ctx.settings, credentials, ip=IP, kind=SessionKind.WEB, **codes)


def actions(ctx: AppContext) -> list[tuple[str, bool, dict[str, Any] | None]]:
    with ctx.uow() as uow:
        rows = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(row.action, row.success, row.detail) for row in rows if row.action.startswith('password.')]


def test_a_reset_link_sets_the_password_once_and_ends_every_session(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    session = sign_in(ctx, 'ada@example.com', PATIENT_PASSWORD)
    tasks = Tasks()
    ask(ctx, tasks, 'ADA@example.com')
    (token,) = links(ctx, tasks)
    changed = Tasks()
    reset(ctx, token, tasks=changed)
    with pytest.raises(InvalidCredentials):
        sign_in(ctx, 'ada@example.com', PATIENT_PASSWORD)
    assert sign_in(ctx, 'ada@example.com', NEW_PASSWORD).token
    with ctx.uow() as uow, pytest.raises(NotAuthenticated):
        accounts.authenticate(uow, ctx.settings, session.token, kind=SessionKind.WEB)
    with pytest.raises(LinkNotValid):
        reset(ctx, token, 'yet another long passphrase')
    assert [action[:2] for action in actions(ctx)] == [('password.reset_requested', True), ('password.reset', True)]
    assert changed.sent[0]['kind'] == account_links.CHANGED and changed.sent[0]['token'] == ''
    with ctx.uow() as uow:
        composed = account_links.compose(uow, ctx.settings, **changed.sent[0])
    assert composed is not None and 'was changed' in composed[1].subject


def test_a_link_expires_after_reset_minutes(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    tasks = Tasks()
    ask(ctx, tasks, 'ada@example.com')
    (token,) = links(ctx, tasks)
    clock.advance(timedelta(minutes=ctx.settings.reset_minutes))
    assert links(ctx, tasks) == []  # a late worker sends nothing either
    with pytest.raises(LinkNotValid) as refused:
        reset(ctx, token)
    assert refused.value.status_code == 400 and refused.value.code == 'link_not_valid'


def test_unknown_and_wrong_tokens_are_refused_alike(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    tasks = Tasks()
    ask(ctx, tasks, 'ada@example.com')
    (token,) = links(ctx, tasks)
    for wrong in ('x', token[:-1] + ('A' if token[-1] != 'A' else 'B')):
        with pytest.raises(LinkNotValid):
            reset(ctx, wrong)
    with ctx.uow() as uow:  # a forged task (right id, wrong token) sends nothing
        assert account_links.compose(uow, ctx.settings, 'reset', tasks.sent[0]['token_id'], 'forged') is None


def test_the_same_answer_and_the_same_work_for_any_address(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    tasks = Tasks()
    ask(ctx, tasks, 'ada@example.com')
    ask(ctx, tasks, 'nobody@example.com')
    ask(ctx, tasks, 'not even an address')
    assert len(tasks.sent) == 3  # a task each: an unknown address's finds nothing to send
    assert len(links(ctx, tasks)) == 1
    outcomes = [detail['outcome'] for _action, _success, detail in actions(ctx) if detail]
    assert outcomes == ['sent', 'no_account', 'no_account']


def test_a_weak_password_keeps_the_link_usable(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    tasks = Tasks()
    ask(ctx, tasks, 'ada@example.com')
    (token,) = links(ctx, tasks)
    with pytest.raises(InvalidInput) as refused:
        reset(ctx, token, 'ada@example.com')  # long enough, but the address itself
    assert 'password' in refused.value.field_errors
    reset(ctx, token)


def test_requests_are_throttled_per_account_and_per_client_address(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    tasks = Tasks()
    for _ in range(account_links.RESETS_PER_ACCOUNT_PER_HOUR + 2):
        ask(ctx, tasks, 'ada@example.com')
    assert len(links(ctx, tasks)) == 1  # only the newest link of those sent works; the others were retired
    assert [d['outcome'] for *_rest, d in actions(ctx) if d].count('sent') == account_links.RESETS_PER_ACCOUNT_PER_HOUR
    clock.advance(timedelta(hours=1, minutes=1))
    make_patient(ctx, 'bea@example.com')
    many = Tasks()
    for number in range(account_links.RESETS_PER_CLIENT_PER_HOUR):
        ask(ctx, many, f'stranger{number}@example.com', ip='203.0.113.9')
    ask(ctx, many, 'bea@example.com', ip='203.0.113.9')
    assert links(ctx, many) == []
    assert actions(ctx)[-1][2] == {'outcome': 'throttled_address'}
    ask(ctx, many, 'bea@example.com', ip='203.0.113.10')  # another address is not held back
    assert len(links(ctx, many)) == 1


def test_a_blacklisted_account_gets_no_link(ctx: AppContext, clock: ManualClock) -> None:
    user = make_patient(ctx)
    with ctx.uow() as uow:
        uow.users.get(user.id).is_active = False  # type: ignore[union-attr]
        uow.commit()
    tasks = Tasks()
    ask(ctx, tasks, 'ada@example.com')
    assert links(ctx, tasks) == []


def test_the_second_factor_is_still_asked_after_a_reset(ctx: AppContext, clock: ManualClock) -> None:
    make_doctor(ctx)
    doctor = sign_in(ctx, 'house@clinic.test', DOCTOR_PASSWORD).principal
    with ctx.uow() as uow:
        enrolment = two_factor.begin(uow, ctx.settings, doctor, DOCTOR_PASSWORD)
    with ctx.uow() as uow:
        two_factor.confirm(uow, ctx.settings, doctor, totp.code_at(enrolment.secret, clock.now()))
    tasks = Tasks()
    ask(ctx, tasks, 'house@clinic.test')
    (token,) = links(ctx, tasks)
    reset(ctx, token)
    with pytest.raises(two_factor.SecondFactorRequired):
        sign_in(ctx, 'house@clinic.test', NEW_PASSWORD)
    clock.advance(timedelta(seconds=60))
    assert sign_in(ctx, 'house@clinic.test', NEW_PASSWORD, totp_code=totp.code_at(enrolment.secret, clock.now()))


def test_the_email_links_to_the_public_address_in_the_owners_language(ctx: AppContext, clock: ManualClock) -> None:
    user = make_patient(ctx)
    with ctx.uow() as uow:
        uow.users.get(user.id).language = 'de'  # type: ignore[union-attr]
        uow.commit()
    public = ctx.settings.model_copy(update={'public_url': 'https://clinic.example.org'})
    tasks = Tasks()
    ask(ctx, tasks, 'ada@example.com', settings=public)
    with ctx.uow() as uow:
        composed = account_links.compose(uow, public, **tasks.sent[0])
    assert composed is not None
    message = composed[1]
    link = f'https://clinic.example.org/reset/{tasks.sent[0]["token"]}'
    assert link in message.text and f'href="{link}"' in message.html
    with use_language('de'):
        assert message.subject.startswith('Passwort')


def test_public_url_is_validated_and_defaults_to_localhost() -> None:
    assert Settings(_env_file=None, port=8123).link('/reset/x') == 'http://localhost:8123/reset/x'  # type: ignore[call-arg]
    assert Settings(_env_file=None, public_url='HTTPS://clinic.example.org/').base_url == 'https://clinic.example.org'  # type: ignore[call-arg]
    for wrong in ('ftp://clinic.example.org', 'clinic.example.org', 'https://clinic.example.org/?a=1', 'https://x#y'):
        with pytest.raises(ValueError, match='public_url'):
            Settings(_env_file=None, public_url=wrong)  # type: ignore[call-arg]
    assert not Settings(_env_file=None).cookies_secure  # type: ignore[call-arg]
    assert Settings(_env_file=None, public_url='https://clinic.example.org').cookies_secure  # type: ignore[call-arg]


# --- Email verification (HMS_VERIFY_EMAIL) -------------------------------------------------------------------------


def register(ctx: AppContext, settings: Settings, tasks: Tasks, email: str) -> None:
    data = PatientRegistration.model_validate(patient_data(email))
    with ctx.uow() as uow:
        accounts.register_patient(uow, settings, data, ip=IP, tasks=tasks)  # type: ignore[arg-type]


def test_with_verification_a_new_account_signs_in_only_after_its_link(ctx: AppContext, clock: ManualClock) -> None:
    verifying = ctx.settings.model_copy(update={'verify_email': True})
    ctx.settings = verifying
    tasks = Tasks()
    register(ctx, verifying, tasks, 'ada@example.com')
    register(ctx, verifying, tasks, 'ada@example.com')  # taken: the same work, a fresh link for the pending owner
    assert len(tasks.sent) == 2
    with pytest.raises(InvalidCredentials):  # a wrong password learns nothing
        sign_in(ctx, 'ada@example.com', 'a wrong but long password')
    with pytest.raises(EmailNotVerified):
        sign_in(ctx, 'ada@example.com', PATIENT_PASSWORD)
    first, second = (kwargs['token'] for kwargs in tasks.sent)
    with ctx.uow() as uow:
        assert account_links.compose(uow, verifying, **tasks.sent[1]) is not None
        with pytest.raises(LinkNotValid):  # the newer link replaced it
            account_links.verify_email(uow, first, ip=IP)
    with ctx.uow() as uow:
        account_links.verify_email(uow, second, ip=IP)
    assert sign_in(ctx, 'ada@example.com', PATIENT_PASSWORD).token
    with ctx.uow() as uow, pytest.raises(LinkNotValid):
        account_links.verify_email(uow, second, ip=IP)


# --- API ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def verifying_api(settings: Settings) -> Iterator[TestClient]:
    yield from api_over(settings.model_copy(update={'verify_email': True}))


def test_an_address_is_confirmed_through_the_api_once(verifying_api: TestClient, clock: ManualClock) -> None:
    api, ctx = verifying_api, context.get()
    tasks = Tasks()
    register(ctx, ctx.settings, tasks, 'ada@example.com')
    (token,) = (kwargs['token'] for kwargs in tasks.sent)
    credentials = {'email': 'ada@example.com', 'password': PATIENT_PASSWORD}
    assert api.post('/api/login', json=credentials).status_code == 403  # not yet confirmed
    assert api.post('/api/verify-email', json={}).status_code == 422
    unknown = api.post('/api/verify-email', json={'token': 'nope'})
    assert unknown.status_code == 400 and unknown.json()['code'] == 'link_not_valid'
    done = api.post('/api/verify-email', json={'token': token})
    assert done.status_code == 200 and done.json()['detail'] == 'Your email address is confirmed. You can sign in now.'
    again = api.post('/api/verify-email', json={'token': token})
    assert again.status_code == 400 and again.json()['code'] == 'link_not_valid'
    assert api.post('/api/login', json=credentials).status_code == 200


def test_api_contract(api: TestClient, ctx: AppContext, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    make_patient(ctx)
    tasks = Tasks()
    monkeypatch.setattr(ctx, 'tasks', tasks)
    for email in ('ada@example.com', 'nobody@example.com', 'x'):
        answer = api.post('/api/password-reset', json={'email': email})
        assert answer.status_code == 202, answer.text
        assert answer.json()['detail'].startswith('If an account has this address')
    assert api.post('/api/password-reset', json={}).status_code == 422
    (token,) = links(ctx, tasks)
    used = api.post('/api/password-reset/confirm', json={'token': 'nope', 'password': NEW_PASSWORD})
    assert used.status_code == 400 and used.json()['code'] == 'link_not_valid'
    weak = api.post('/api/password-reset/confirm', json={'token': token, 'password': 'short'})
    assert weak.status_code == 422
    done = api.post('/api/password-reset/confirm', json={'token': token, 'password': NEW_PASSWORD})
    assert done.status_code == 200, done.text
    again = api.post(
        '/api/password-reset/confirm',
        json={'token': token, 'password': NEW_PASSWORD},
        headers={'Accept-Language': 'de'},
    )
    assert again.status_code == 400 and again.json()['code'] == 'link_not_valid'
    assert 'Link' in again.json()['detail'] and 'link is no longer' not in again.json()['detail']
    assert api.post('/api/login', json={'email': 'ada@example.com', 'password': NEW_PASSWORD}).status_code == 200


def test_two_confirmations_at_the_same_moment_have_one_winner(ctx: AppContext) -> None:
    make_patient(ctx)
    tasks = Tasks()
    ask(ctx, tasks, 'ada@example.com')
    (token,) = links(ctx, tasks)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(password: str) -> None:
        barrier.wait()
        try:
            reset(ctx, token, password)
            outcomes.append('won')
        except LinkNotValid:
            outcomes.append('refused')

    threads = [threading.Thread(target=confirm, args=(p,)) for p in (NEW_PASSWORD, 'the other long passphrase')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ['refused', 'won']
    assert [action for action, *_rest in actions(ctx)].count('password.reset') == 1


# --- Pages, HSTS and cookies over https --------------------------------------------------------------------------


@pytest.fixture
def served_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HMS_PUBLIC_URL', 'https://clinic.example.org')


async def test_https_public_address_means_hsts_and_secure_cookies(served_over_https: None, user: User) -> None:
    """`served_over_https` comes first on purpose: main.py reads the setting when `user` starts it."""
    response = await user.http_client.get('/login')
    assert response.headers['strict-transport-security'] == 'max-age=31536000; includeSubDomains'
    cookies = response.headers.get_list('set-cookie')
    assert cookies and all('; secure' in cookie.lower() for cookie in cookies)


async def test_plain_http_sends_no_hsts(user: User) -> None:
    response = await user.http_client.get('/login')
    assert 'strict-transport-security' not in response.headers


async def test_the_forgot_page_answers_the_same_for_any_address(user: User) -> None:
    await user.open('/login')
    await user.should_see('Forgot password?')
    for email in ('admin@hms.local', 'nobody@example.com'):
        await user.open('/forgot')
        user.find(marker='forgot-email').type(email)
        user.find(marker='send-reset').click()
        await user.should_see(marker='reset-sent')


async def test_an_unknown_reset_link_says_so(user: User) -> None:
    await user.open('/reset/not-a-token')
    await user.should_see(marker='link-not-valid')


def test_the_access_log_never_shows_a_links_token() -> None:
    from pages.ui.secret_paths import HIDE_SECRET_PATHS, hide_in_access_log

    hide_in_access_log('/reset/', '/verify/')
    record = logging.LogRecord(
        'uvicorn.access',
        20,
        '',
        0,
        '%s - "%s %s HTTP/%s" %d',
        ('1.2.3.4', 'GET', '/reset/secret-token', '1.1', 200),
        None,
    )
    HIDE_SECRET_PATHS.filter(record)
    assert 'secret-token' not in record.getMessage() and '/reset/…' in record.getMessage()
