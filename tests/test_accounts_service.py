"""Rules of registration, login, throttling, sessions and blacklisting, on the service layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hms.clock import ManualClock
from hms.context import AppContext
from hms.db.models import AuditEntry, User
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import (
    AccountBlocked,
    EmailTaken,
    InvalidCredentials,
    InvalidInput,
    NotAuthenticated,
    TooManyAttempts,
)
from hms.domain.schemas import Credentials, PasswordChange, PatientRegistration
from hms.domain.validation import parse
from hms.services import accounts
from hms.services.principal import Principal

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from .factories import PATIENT_PASSWORD, make_patient, patient_data

IP = '198.51.100.7'


def login(ctx: AppContext, email: str, password: str, ip: str = IP, kind: SessionKind = SessionKind.WEB):
    with ctx.uow() as uow:
        return accounts.login(uow, ctx.settings, Credentials(email=email, password=password), ip=ip, kind=kind)


def authenticate(ctx: AppContext, token: str, kind: SessionKind = SessionKind.WEB) -> Principal:
    with ctx.uow() as uow:
        return accounts.authenticate(uow, ctx.settings, token, kind=kind)


def admin(ctx: AppContext) -> Principal:
    return login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD).principal


def audit_actions(ctx: AppContext) -> list[str]:
    with ctx.uow() as uow:
        return [entry.action for entry in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_registered_patient_can_log_in(ctx: AppContext, clock: ManualClock) -> None:
    user = make_patient(ctx, 'Ada@Example.com')
    assert user.email == 'ada@example.com'
    result = login(ctx, 'ADA@example.com', PATIENT_PASSWORD)
    assert result.principal.role is Role.PATIENT
    assert result.principal.user_id == user.id
    assert result.expires_at == clock.now() + timedelta(hours=12)
    assert authenticate(ctx, result.token).user_id == user.id


def test_email_is_unique_in_any_letter_case(ctx: AppContext, clock: ManualClock) -> None:
    """Registering a taken address in another letter case makes no second account (and says nothing about it)."""
    first = make_patient(ctx, 'ada@example.com')
    assert make_patient(ctx, 'ADA@EXAMPLE.COM').id == first.id
    with ctx.uow() as uow, pytest.raises(EmailTaken) as caught:
        accounts.available_email(uow, 'ADA@EXAMPLE.COM')
    assert 'email' in caught.value.field_errors


def test_registration_input_errors_are_per_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(PatientRegistration, patient_data(email='not-an-email', password='password', phone='abc', gender='x'))
    assert set(caught.value.field_errors) >= {'email', 'password', 'phone', 'gender'}
    assert 'common' in caught.value.field_errors['password']


def test_each_login_gets_a_new_session(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    first = login(ctx, 'ada@example.com', PATIENT_PASSWORD)
    second = login(ctx, 'ada@example.com', PATIENT_PASSWORD)
    assert first.token != second.token
    assert first.principal.session_id != second.principal.session_id


def test_wrong_password_and_unknown_email_get_the_same_answer(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    with pytest.raises(InvalidCredentials) as wrong_password:
        login(ctx, 'ada@example.com', 'not-the-password')
    with pytest.raises(InvalidCredentials) as unknown_email:
        login(ctx, 'nobody@example.com', 'not-the-password')
    assert wrong_password.value.message == unknown_email.value.message == 'Wrong email or password.'


def test_account_is_throttled_after_repeated_failures_then_recovers(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    for _ in range(ctx.settings.login_max_failures):
        with pytest.raises(InvalidCredentials):
            login(ctx, 'ada@example.com', 'wrong-password-here')
        clock.advance(timedelta(seconds=10))
    with pytest.raises(TooManyAttempts) as caught:
        login(ctx, 'ada@example.com', PATIENT_PASSWORD)  # even the right password waits, from this address
    assert 'Try again in 20 seconds' in caught.value.message  # 30 s from the last failure, 10 s ago
    assert caught.value.retry_after_seconds == 20
    clock.advance(timedelta(seconds=20))
    assert login(ctx, 'ada@example.com', PATIENT_PASSWORD).principal.role is Role.PATIENT


def test_throttling_applies_to_unknown_accounts_too(ctx: AppContext, clock: ManualClock) -> None:
    for _ in range(ctx.settings.login_max_failures):
        with pytest.raises(InvalidCredentials):
            login(ctx, 'ghost@example.com', 'wrong-password-here')
    with pytest.raises(TooManyAttempts):
        login(ctx, 'ghost@example.com', 'wrong-password-here')


def test_a_success_resets_the_account_counter(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    for _ in range(ctx.settings.login_max_failures - 1):
        with pytest.raises(InvalidCredentials):
            login(ctx, 'ada@example.com', 'wrong-password-here')
    login(ctx, 'ada@example.com', PATIENT_PASSWORD)
    with pytest.raises(InvalidCredentials):
        login(ctx, 'ada@example.com', 'wrong-password-here')  # counts from zero again, so no throttling yet


def test_client_address_is_throttled_across_accounts(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    for number in range(ctx.settings.login_max_failures_per_ip):
        with pytest.raises(InvalidCredentials):
            login(ctx, f'guess{number}@example.com', 'wrong-password-here', ip='203.0.113.9')
    with pytest.raises(TooManyAttempts):
        login(ctx, 'ada@example.com', PATIENT_PASSWORD, ip='203.0.113.9')
    assert login(ctx, 'ada@example.com', PATIENT_PASSWORD, ip='203.0.113.10').principal.role is Role.PATIENT


def test_blacklisted_user_cannot_log_in_and_is_told_why(ctx: AppContext, clock: ManualClock) -> None:
    user = make_patient(ctx)
    with ctx.uow() as uow:
        accounts.set_active(uow, admin(ctx), user.id, active=False, reason='Abusive behaviour')
    with pytest.raises(AccountBlocked) as caught:
        login(ctx, 'ada@example.com', PATIENT_PASSWORD)
    assert 'deactivated' in caught.value.message
    with ctx.uow() as uow:
        refused = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == 'login.refused')).all()
    assert [(entry.subject_user_id, entry.success, entry.detail) for entry in refused] == [
        (user.id, False, {'reason': 'blacklisted'})
    ]
    with ctx.uow() as uow:
        accounts.set_active(uow, admin(ctx), user.id, active=True)
    assert login(ctx, 'ada@example.com', PATIENT_PASSWORD).principal.user_id == user.id


def test_blacklisting_ends_sessions_and_tokens_at_once(ctx: AppContext, clock: ManualClock) -> None:
    user = make_patient(ctx)
    web = login(ctx, 'ada@example.com', PATIENT_PASSWORD)
    api = login(ctx, 'ada@example.com', PATIENT_PASSWORD, kind=SessionKind.API)
    with ctx.uow() as uow:
        accounts.set_active(uow, admin(ctx), user.id, active=False)
    with pytest.raises(NotAuthenticated):
        authenticate(ctx, web.token)
    with pytest.raises(NotAuthenticated):
        authenticate(ctx, api.token, SessionKind.API)


def test_only_an_admin_blacklists_and_never_themself(ctx: AppContext, clock: ManualClock) -> None:
    patient = make_patient(ctx)
    other = make_patient(ctx, 'bob@example.com')
    as_patient = login(ctx, 'ada@example.com', PATIENT_PASSWORD).principal
    with ctx.uow() as uow, pytest.raises(Exception, match='administrator'):
        accounts.set_active(uow, as_patient, other.id, active=False)
    boss = admin(ctx)
    with ctx.uow() as uow, pytest.raises(Exception, match='your own account'):
        accounts.set_active(uow, boss, boss.user_id, active=False)
    assert patient.is_active


def test_session_ends_after_30_idle_minutes(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    token = login(ctx, 'ada@example.com', PATIENT_PASSWORD).token
    clock.advance(timedelta(minutes=29))
    authenticate(ctx, token)  # activity keeps it alive
    clock.advance(timedelta(minutes=29))
    authenticate(ctx, token)
    clock.advance(timedelta(minutes=30))
    with pytest.raises(NotAuthenticated, match='without activity'):
        authenticate(ctx, token)
    with pytest.raises(NotAuthenticated):  # and it stays ended
        authenticate(ctx, token)


def test_session_ends_after_12_hours_even_when_active(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    token = login(ctx, 'ada@example.com', PATIENT_PASSWORD).token
    for _ in range(12 * 3):
        authenticate(ctx, token)
        clock.advance(timedelta(minutes=20))
    with pytest.raises(NotAuthenticated, match='session has ended'):
        authenticate(ctx, token)


def test_web_session_tokens_are_not_api_tokens(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    web = login(ctx, 'ada@example.com', PATIENT_PASSWORD)
    with pytest.raises(NotAuthenticated):
        authenticate(ctx, web.token, SessionKind.API)


def test_logout_revokes_the_session(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    token = login(ctx, 'ada@example.com', PATIENT_PASSWORD).token
    with ctx.uow() as uow:
        accounts.logout(uow, token, ip=IP)
    with pytest.raises(NotAuthenticated):
        authenticate(ctx, token)


def test_password_change_checks_the_current_one_and_ends_other_sessions(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    here = login(ctx, 'ada@example.com', PATIENT_PASSWORD)
    elsewhere = login(ctx, 'ada@example.com', PATIENT_PASSWORD, kind=SessionKind.API)
    with ctx.uow() as uow, pytest.raises(InvalidInput) as caught:
        accounts.change_password(
            uow, here.principal, PasswordChange(current_password='wrong-one', new_password='Brand-New-Words-2026')
        )
    assert 'current_password' in caught.value.field_errors
    with ctx.uow() as uow:
        accounts.change_password(
            uow,
            here.principal,
            PasswordChange(current_password=PATIENT_PASSWORD, new_password='Brand-New-Words-2026'),
        )
    authenticate(ctx, here.token)
    with pytest.raises(NotAuthenticated):
        authenticate(ctx, elsewhere.token, SessionKind.API)
    with pytest.raises(InvalidCredentials):
        login(ctx, 'ada@example.com', PATIENT_PASSWORD)
    assert login(ctx, 'ada@example.com', 'Brand-New-Words-2026').principal.role is Role.PATIENT


def test_new_password_follows_the_policy() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(PasswordChange, {'current_password': 'whatever', 'new_password': 'qwerty123'})
    assert 'new_password' in caught.value.field_errors


def test_audit_rows_for_the_account_lifecycle_without_secrets(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    with pytest.raises(InvalidCredentials):
        login(ctx, 'ada@example.com', 'a-wrong-password')
    result = login(ctx, 'ada@example.com', PATIENT_PASSWORD)
    with ctx.uow() as uow:
        accounts.change_password(
            uow,
            result.principal,
            PasswordChange(current_password=PATIENT_PASSWORD, new_password='Brand-New-Words-2026'),
        )
    with ctx.uow() as uow:
        accounts.logout(uow, result.token, ip=IP)
    actions = audit_actions(ctx)
    for expected in ('account.registered', 'login.failed', 'login.succeeded', 'password.changed', 'logout'):
        assert expected in actions
    with ctx.uow() as uow:
        entries = uow.session.scalars(select(AuditEntry)).all()
        failed = next(entry for entry in entries if entry.action == 'login.failed')
        assert failed.ip == IP and failed.success is False and failed.at == clock.now()
        dumped = repr([(entry.detail, entry.action) for entry in entries])
    for secret in (PATIENT_PASSWORD, 'a-wrong-password', 'Brand-New-Words-2026', result.token):
        assert secret not in dumped


def test_tokens_are_stored_only_as_hashes(ctx: AppContext, clock: ManualClock) -> None:
    make_patient(ctx)
    token = login(ctx, 'ada@example.com', PATIENT_PASSWORD).token
    with ctx.uow() as uow:
        raw = uow.session.connection().exec_driver_sql('SELECT token_hash FROM auth_sessions').scalars().all()
        users = uow.session.scalars(select(User)).all()
    assert token not in raw and all(len(value) == 64 for value in raw)
    assert all(PATIENT_PASSWORD not in user.password_hash for user in users)
