"""Throttling slows a guesser down without locking the owner out; the owner is told; addresses cannot be spoofed."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from nicegui.testing import User
from sqlalchemy import select

from hms import context
from hms.clock import ManualClock
from hms.context import AppContext
from hms.db.models import AuditEntry, Notice
from hms.domain.enums import SessionKind
from hms.domain.errors import InvalidCredentials, NotAllowed, TooManyAttempts
from hms.domain.schemas import Credentials
from hms.security.addresses import client_address, parse_networks
from hms.services import accounts, throttling
from hms.services.principal import Principal

from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, PATIENT_PASSWORD, make_patient
from .page_steps import rows, see, sign_in_admin

STRANGER, OWNER = '203.0.113.7', '198.51.100.20'


def attempt(ctx: AppContext, password: str, ip: str, email: str = 'ada@example.com') -> accounts.LoginResult:
    with ctx.uow() as uow:
        return accounts.login(
            uow, ctx.settings, Credentials(email=email, password=password), ip=ip, kind=SessionKind.API
        )


def guess(ctx: AppContext, clock: ManualClock, times: int, ip: str = STRANGER) -> int:
    """A stranger guessing as fast as allowed for ``times`` tries; returns how many were refused unchecked."""
    refused = 0
    for _ in range(times):
        try:
            attempt(ctx, 'not-the-password', ip)
        except TooManyAttempts:
            refused += 1
        except InvalidCredentials:
            pass
        clock.advance(timedelta(seconds=1))
    return refused


def test_a_stranger_guessing_does_not_stop_the_owner_signing_in_from_elsewhere(
    ctx: AppContext, clock: ManualClock
) -> None:
    make_patient(ctx)
    assert guess(ctx, clock, 60) > 0  # the stranger is slowed down
    assert attempt(ctx, PATIENT_PASSWORD, OWNER).principal.email == 'ada@example.com'  # at once, a new address


def test_the_owner_from_a_known_address_signs_in_while_many_addresses_guess(
    ctx: AppContext, clock: ManualClock
) -> None:
    make_patient(ctx)
    attempt(ctx, PATIENT_PASSWORD, OWNER)
    for index in range(ctx.settings.login_max_failures_per_account + 5):
        guess(ctx, clock, 1, ip=f'10.1.{index // 250}.{index % 250}')
    with pytest.raises(TooManyAttempts):
        attempt(ctx, 'not-the-password', '10.9.9.9')  # a new address is slowed for this account
    assert attempt(ctx, PATIENT_PASSWORD, OWNER).principal.email == 'ada@example.com'


def test_waits_grow_with_each_failure_and_end(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    free = ctx.settings.login_max_failures
    waits = []
    for _ in range(free + 3):
        with pytest.raises((InvalidCredentials, TooManyAttempts)):
            attempt(ctx, 'not-the-password', STRANGER)
        try:
            attempt(ctx, 'not-the-password', STRANGER)
        except TooManyAttempts as refused:
            waits.append(refused.retry_after_seconds)
            clock.advance(timedelta(seconds=refused.retry_after_seconds))
        except InvalidCredentials:
            pass
    first = ctx.settings.login_delay_seconds
    assert waits[:5] == [first, 2 * first, 4 * first, 8 * first, 16 * first]  # doubling, each counted from the last
    assert max(waits) <= ctx.settings.login_lockout_minutes * 60


def test_one_address_guessing_many_accounts_is_slowed(ctx: AppContext, clock: ManualClock) -> None:
    for index in range(ctx.settings.login_max_failures_per_ip):
        with pytest.raises(InvalidCredentials):
            attempt(ctx, 'x', STRANGER, email=f'someone{index}@example.com')
    with pytest.raises(TooManyAttempts):
        attempt(ctx, 'x', STRANGER, email='yet-another@example.com')


def test_the_owner_gets_one_notice_and_the_admin_sees_the_throttling(ctx: AppContext, clock: ManualClock) -> None:
    user = make_patient(ctx)
    guess(ctx, clock, 40)
    with ctx.uow() as uow:
        warnings = uow.session.scalars(
            select(Notice).where(Notice.user_id == user.id, Notice.subject.contains('trying to sign in'))
        ).all()
        throttled = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == 'login.throttled')).all()
    assert len(warnings) == 1 and STRANGER in warnings[0].body
    assert throttled and all(entry.ip == STRANGER and entry.subject_user_id == user.id for entry in throttled)


def test_concurrent_guesses_are_all_counted(ctx: AppContext) -> None:
    """Threads guessing at once: every failure is recorded, so the next attempt from that address waits."""
    make_patient(ctx)
    barrier = threading.Barrier(4)

    def one() -> None:
        barrier.wait()
        with contextlib.suppress(InvalidCredentials, TooManyAttempts):
            attempt(ctx, 'not-the-password', STRANGER)

    for _ in range(2):
        threads = [threading.Thread(target=one) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with pytest.raises(TooManyAttempts):
        attempt(ctx, PATIENT_PASSWORD, STRANGER)


# --- The client's address -------------------------------------------------------------------------------------------


def test_forwarded_for_is_ignored_without_a_trusted_proxy() -> None:
    assert client_address('203.0.113.7', ['1.2.3.4'], ()) == '203.0.113.7'
    assert client_address('203.0.113.7', ['1.2.3.4'], parse_networks('10.0.0.0/8')) == '203.0.113.7'


def test_forwarded_for_is_honoured_from_a_trusted_proxy_only_as_far_as_trusted_hops() -> None:
    proxies = parse_networks('10.0.0.1, 192.168.0.0/16')
    assert client_address('10.0.0.1', ['198.51.100.9'], proxies) == '198.51.100.9'
    # The client wrote its own X-Forwarded-For first: only the hop our proxy added counts.
    assert client_address('10.0.0.1', ['1.2.3.4, 198.51.100.9'], proxies) == '198.51.100.9'
    assert client_address('10.0.0.1', ['1.2.3.4, 198.51.100.9, 192.168.1.1'], proxies) == '198.51.100.9'
    assert client_address('10.0.0.1', ['garbage'], proxies) == '10.0.0.1'


def test_the_api_ignores_a_forwarded_for_header_by_default(api: TestClient, ctx: AppContext) -> None:
    api.post(
        '/api/login', json={'email': 'nobody@example.com', 'password': 'x'}, headers={'X-Forwarded-For': '1.2.3.4'}
    )
    with ctx.uow() as uow:
        ips = [entry.ip for entry in uow.audit.recent(actions=['login.failed'])]
    assert ips and '1.2.3.4' not in ips


def _as_admin(ctx: AppContext) -> Principal:
    with ctx.uow() as uow:
        credentials = Credentials(email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        return accounts.login(uow, ctx.settings, credentials, ip=OWNER, kind=SessionKind.WEB).principal


def test_the_admin_sees_which_accounts_and_addresses_are_slowed_down(ctx: AppContext, clock: ManualClock) -> None:
    user = make_patient(ctx)
    guess(ctx, clock, ctx.settings.login_max_failures + 1)
    for index in range(ctx.settings.login_max_failures_per_ip):  # the same address tries many accounts
        with contextlib.suppress(InvalidCredentials, TooManyAttempts):
            attempt(ctx, 'x', '192.0.2.50', email=f'someone{index}@example.com')
    admin = _as_admin(ctx)
    with ctx.uow() as uow:
        slowed = throttling.slowed_down(uow, ctx.settings, admin)
    by_scope = {(entry.scope, entry.ip): entry for entry in slowed}
    pair = by_scope[('pair', STRANGER)]
    assert (pair.user_id, pair.email, pair.name) == (user.id, 'ada@example.com', 'Ada Lovelace')
    # The attempt that had to wait was refused unchecked: it is no failure of its own.
    assert pair.failures == ctx.settings.login_max_failures and pair.until > clock.now()
    address = by_scope[('ip', '192.0.2.50')]
    assert address.user_id is None and address.failures == ctx.settings.login_max_failures_per_ip
    clock.advance(timedelta(minutes=ctx.settings.login_lockout_minutes + 1))
    with ctx.uow() as uow:
        assert throttling.slowed_down(uow, ctx.settings, admin) == []  # waits end; nobody stays locked out


def test_only_the_admin_sees_the_slowed_down_sign_ins(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    patient = attempt(ctx, PATIENT_PASSWORD, OWNER).principal
    with ctx.uow() as uow, pytest.raises(NotAllowed):
        throttling.slowed_down(uow, ctx.settings, patient)


async def test_the_audit_page_shows_sign_ins_being_slowed_down(user: User, clock: ManualClock) -> None:
    ctx = context.get()
    make_patient(ctx)
    guess(ctx, clock, ctx.settings.login_max_failures + 2)
    await sign_in_admin(user)
    await user.open('/admin/audit')
    await see(user, 'Sign-in attempts being slowed down')
    shown = rows(user, 'slowed-down-table')
    assert [(row['account'], row['ip'], row['scope']) for row in shown] == [
        ('Ada Lovelace <ada@example.com>', STRANGER, 'This account from this address')
    ]
    assert shown[0]['failures'] == ctx.settings.login_max_failures
