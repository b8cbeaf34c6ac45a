"""The optional TOTP second factor: enrolment, sign-in with a code or a recovery code, replay, disable, API."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import select

from hms import context
from hms.cli import main
from hms.clock import ManualClock
from hms.context import AppContext
from hms.db.models import AuditEntry, RecoveryCode
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import Conflict, InvalidCredentials, InvalidInput, NotAllowed, TooManyAttempts
from hms.domain.schemas import Credentials
from hms.security import totp
from hms.services import accounts, audit, two_factor
from hms.services.principal import Principal

from .api_fixtures import People, assert_problem
from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, DOCTOR_PASSWORD, PATIENT_PASSWORD, make_doctor, make_patient
from .page_steps import see
from .page_steps import sign_in as password_step  # the first of the two steps
from .scheduling_fixtures import Clinic

IP = '203.0.113.9'
STEP = timedelta(seconds=30)


def sign_in(ctx: AppContext, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD, **codes: str | None):
    with ctx.uow() as uow:
        return accounts.login(
            uow, ctx.settings, Credentials(email=email, password=password), ip=IP, kind=SessionKind.WEB, **codes
        )


def secret_of(ctx: AppContext, user_id: int) -> str:
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        assert user is not None and user.totp_secret
        return user.totp_secret


def password_of(principal: Principal) -> str:
    return ADMIN_PASSWORD if principal.role is Role.ADMIN else DOCTOR_PASSWORD


def enrol(ctx: AppContext, clock: ManualClock, principal: Principal) -> tuple[str, list[str]]:
    with ctx.uow() as uow:
        enrolment = two_factor.begin(uow, ctx.settings, principal, password_of(principal))
    with ctx.uow() as uow:
        codes = two_factor.confirm(uow, ctx.settings, principal, totp.code_at(enrolment.secret, clock.now()))
    clock.advance(STEP)  # the confirmation spent this step's code
    return enrolment.secret, codes


def wrong_code(secret: str, clock: ManualClock) -> str:
    valid = {totp.code_at(secret, clock.now() + STEP * offset) for offset in (-1, 0, 1)}
    return next(code for code in ('123456', '654321', '111111', '999999') if code not in valid)


@pytest.fixture
def admin(clock: ManualClock, ctx: AppContext) -> Principal:
    return sign_in(ctx).principal


def test_enrolment_shows_a_qr_code_and_needs_a_confirming_code(ctx: AppContext, clock: ManualClock, admin) -> None:
    with ctx.uow() as uow:
        enrolment = two_factor.begin(uow, ctx.settings, admin, ADMIN_PASSWORD)
    assert enrolment.uri.startswith('otpauth://totp/') and 'issuer=Riverside' in enrolment.uri
    assert enrolment.qr_data_uri.startswith('data:image/svg+xml')
    # Pending: not yet required at sign-in.
    assert sign_in(ctx).principal.user_id == admin.user_id
    with ctx.uow() as uow, pytest.raises(InvalidInput, match='not valid'):
        two_factor.confirm(uow, ctx.settings, admin, wrong_code(enrolment.secret, clock))
    with ctx.uow() as uow:
        codes = two_factor.confirm(uow, ctx.settings, admin, totp.code_at(enrolment.secret, clock.now()))
    assert len(codes) == 10 and len(set(codes)) == 10
    with ctx.uow() as uow:
        state = two_factor.status(uow, admin)
        stored = uow.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == admin.user_id)).all()
    assert state.enabled and state.recovery_codes_left == 10
    assert set(stored) == {totp.hash_recovery_code(code) for code in codes}  # only hashes are kept
    with ctx.uow() as uow, pytest.raises(Conflict):
        two_factor.begin(uow, ctx.settings, admin, ADMIN_PASSWORD)


def test_sign_in_needs_the_code_once_enabled(ctx: AppContext, clock: ManualClock, admin) -> None:
    secret, _ = enrol(ctx, clock, admin)
    with pytest.raises(two_factor.SecondFactorRequired, match='6-digit code'):
        sign_in(ctx)
    ahead = totp.code_at(secret, clock.now() + STEP)  # the phone's clock runs a step ahead: accepted
    assert sign_in(ctx, totp_code=ahead).principal.user_id == admin.user_id
    clock.advance(STEP * 3)
    behind = totp.code_at(secret, clock.now() - STEP)  # a step behind: accepted (valid_window=1)
    assert sign_in(ctx, totp_code=behind).principal.user_id == admin.user_id
    clock.advance(STEP * 3)
    with pytest.raises(InvalidCredentials, match='not valid'):
        sign_in(ctx, totp_code=totp.code_at(secret, clock.now() - STEP * 2))  # unspent, but too old


def test_a_code_cannot_be_replayed(ctx: AppContext, clock: ManualClock, admin) -> None:
    secret, _ = enrol(ctx, clock, admin)
    code = totp.code_at(secret, clock.now())
    sign_in(ctx, totp_code=code)
    with pytest.raises(InvalidCredentials, match='already used'):
        sign_in(ctx, totp_code=code)
    clock.advance(timedelta(seconds=10))  # same step, still inside the window
    with pytest.raises(InvalidCredentials, match='already used'):
        sign_in(ctx, totp_code=code)
    # An earlier step's code is refused too once a later step was spent.
    with pytest.raises(InvalidCredentials):
        sign_in(ctx, totp_code=totp.code_at(secret, clock.now() - STEP))
    clock.advance(STEP)
    sign_in(ctx, totp_code=totp.code_at(secret, clock.now()))


def test_concurrent_sign_ins_with_one_code_let_only_one_in(ctx: AppContext, clock: ManualClock, admin) -> None:
    secret, _ = enrol(ctx, clock, admin)
    code = totp.code_at(secret, clock.now())
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        barrier.wait()
        try:
            sign_in(ctx, totp_code=code)
            outcomes.append('in')
        except InvalidCredentials:
            outcomes.append('refused')

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ['in', 'refused', 'refused', 'refused']


def test_recovery_codes_work_once(ctx: AppContext, clock: ManualClock, admin) -> None:
    _, codes = enrol(ctx, clock, admin)
    assert sign_in(ctx, recovery_code=codes[0].upper().replace('-', ' ')).principal.user_id == admin.user_id
    with pytest.raises(InvalidCredentials, match='recovery code'):
        sign_in(ctx, recovery_code=codes[0])
    with ctx.uow() as uow:
        assert two_factor.status(uow, admin).recovery_codes_left == 9


def test_wrong_codes_count_towards_throttling(ctx: AppContext, clock: ManualClock, admin) -> None:
    secret, _ = enrol(ctx, clock, admin)
    wrong = wrong_code(secret, clock)
    for _ in range(ctx.settings.login_max_failures):
        with pytest.raises(InvalidCredentials):
            sign_in(ctx, totp_code=wrong)
    with pytest.raises(TooManyAttempts):
        sign_in(ctx, totp_code=totp.code_at(secret, clock.now()))


def test_disable_needs_password_and_code(ctx: AppContext, clock: ManualClock, admin) -> None:
    secret, codes = enrol(ctx, clock, admin)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match='password'):
        two_factor.disable(uow, ctx.settings, admin, 'wrong password', totp.code_at(secret, clock.now()))
    with ctx.uow() as uow, pytest.raises(InvalidInput):
        two_factor.disable(uow, ctx.settings, admin, ADMIN_PASSWORD, 'aaaa-bbbb-cccc')
    with ctx.uow() as uow:
        two_factor.disable(uow, ctx.settings, admin, ADMIN_PASSWORD, codes[3])
    with ctx.uow() as uow:
        user = uow.users.get(admin.user_id)
        assert user is not None and user.totp_secret is None and user.totp_enabled_at is None
        assert uow.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == admin.user_id)).all() == []
    assert sign_in(ctx).principal.user_id == admin.user_id


def test_regenerating_recovery_codes_retires_the_old_ones(ctx: AppContext, clock: ManualClock, admin) -> None:
    secret, old = enrol(ctx, clock, admin)
    with ctx.uow() as uow:
        new = two_factor.regenerate_recovery_codes(uow, ctx.settings, admin, totp.code_at(secret, clock.now()))
    assert not set(new) & set(old)
    with pytest.raises(InvalidCredentials):
        sign_in(ctx, recovery_code=old[0])
    assert sign_in(ctx, recovery_code=new[0]).principal.user_id == admin.user_id


def test_doctors_may_enrol_patients_may_not(ctx: AppContext, clock: ManualClock) -> None:
    make_doctor(ctx)
    make_patient(ctx)
    doctor = sign_in(ctx, 'house@clinic.test', DOCTOR_PASSWORD).principal
    patient = sign_in(ctx, 'ada@example.com', PATIENT_PASSWORD).principal
    enrol(ctx, clock, doctor)
    with pytest.raises(two_factor.SecondFactorRequired):
        sign_in(ctx, 'house@clinic.test', DOCTOR_PASSWORD)
    with ctx.uow() as uow, pytest.raises(NotAllowed, match='staff'):
        two_factor.begin(uow, ctx.settings, patient, PATIENT_PASSWORD)


def test_audit_rows_never_hold_the_secret_or_codes(ctx: AppContext, clock: ManualClock, admin) -> None:
    secret, codes = enrol(ctx, clock, admin)
    sign_in(ctx, totp_code=totp.code_at(secret, clock.now()))
    sign_in(ctx, recovery_code=codes[1])
    with ctx.uow() as uow:
        rows = uow.session.scalars(select(AuditEntry).where(AuditEntry.subject_user_id == admin.user_id)).all()
        chain_ok = audit.verify(uow.session).ok
    actions = [row.action for row in rows]
    assert {'totp.enrolment_started', 'totp.enabled', 'login.totp', 'login.recovery_code'} <= set(actions)
    text = repr([(row.action, row.detail) for row in rows])
    assert secret not in text and not any(code in text or code.replace('-', '') in text for code in codes)
    assert chain_ok


# --- API ------------------------------------------------------------------------------------------------------------


def test_api_enrol_sign_in_and_disable(api: TestClient, people: People, clinic: Clinic, clock: ManualClock) -> None:
    doctor_email = clinic.doctor.email
    wrong = api.post('/api/auth/totp/setup', headers=people.grey, json={'password': 'not-the-password'})
    assert_problem(wrong, 422, 'password')
    assert api.get('/api/auth/totp', headers=people.grey).json()['pending'] is False  # nothing was started
    setup = api.post('/api/auth/totp/setup', headers=people.grey, json={'password': DOCTOR_PASSWORD})
    assert setup.status_code == 200, setup.text
    secret = setup.json()['secret']
    assert setup.json()['qr_svg_data_uri'].startswith('data:image/svg+xml')
    assert_problem(api.post('/api/auth/totp/confirm', headers=people.grey, json={'code': 'abc'}), 422, 'not valid')
    confirmed = api.post(
        '/api/auth/totp/confirm', headers=people.grey, json={'code': totp.code_at(secret, clock.now())}
    )
    assert confirmed.status_code == 200 and len(confirmed.json()['recovery_codes']) == 10
    clock.advance(STEP)

    missing = api.post('/api/login', json={'email': doctor_email, 'password': DOCTOR_PASSWORD})
    body = assert_problem(missing, 401, 'totp_code')
    assert body['title'] == 'Second factor required'
    wrong = api.post('/api/login', json={'email': doctor_email, 'password': DOCTOR_PASSWORD, 'totp_code': '12'})
    assert_problem(wrong, 401, 'not valid')
    ok = api.post(
        '/api/login',
        json={'email': doctor_email, 'password': DOCTOR_PASSWORD, 'totp_code': totp.code_at(secret, clock.now())},
    )
    assert ok.status_code == 200, ok.text
    headers = {'Authorization': f'Bearer {ok.json()["access_token"]}'}
    assert api.get('/api/auth/totp', headers=headers).json()['enabled'] is True
    clock.advance(STEP)

    regenerated = api.post(
        '/api/auth/totp/recovery-codes', headers=headers, json={'code': totp.code_at(secret, clock.now())}
    )
    assert regenerated.status_code == 200 and len(regenerated.json()['recovery_codes']) == 10
    disabled = api.post(
        '/api/auth/totp/disable',
        headers=headers,
        json={'password': DOCTOR_PASSWORD, 'code': regenerated.json()['recovery_codes'][0]},
    )
    assert disabled.status_code == 200, disabled.text
    assert api.post('/api/login', json={'email': doctor_email, 'password': DOCTOR_PASSWORD}).status_code == 200


def test_api_patient_is_refused_and_anonymous_needs_sign_in(api: TestClient, people: People) -> None:
    assert_problem(
        api.post('/api/auth/totp/setup', headers=people.ada, json={'password': PATIENT_PASSWORD}), 403, 'staff'
    )
    assert_problem(api.post('/api/auth/totp/setup', json={'password': PATIENT_PASSWORD}), 401)
    assert_problem(api.post('/api/auth/totp/confirm', json={'code': '123456'}), 401)


# --- Pages ----------------------------------------------------------------------------------------------------------


def enrol_admin(clock: ManualClock) -> tuple[str, list[str]]:
    ctx = context.get()
    return enrol(ctx, clock, sign_in(ctx).principal)


async def test_sign_in_page_asks_for_the_code_in_a_second_step(user: User, clock: ManualClock) -> None:
    secret, _ = enrol_admin(clock)
    await password_step(user, ADMIN_EMAIL, ADMIN_PASSWORD, 'Enter the 6-digit code from your authenticator app.')
    await user.should_not_see('Clinic dashboard')
    user.find(marker='totp-code').type(wrong_code(secret, clock))
    user.find(marker='sign-in').click()
    await see(user, 'not valid')
    user.find(marker='totp-code').type(totp.code_at(secret, clock.now()))
    user.find(marker='sign-in').click()
    await see(user, 'Clinic dashboard')


async def test_sign_in_page_takes_a_recovery_code(user: User, clock: ManualClock) -> None:
    _, codes = enrol_admin(clock)
    await password_step(user, ADMIN_EMAIL, ADMIN_PASSWORD, 'Use a recovery code instead')
    user.find(marker='use-recovery').click()
    await see(user, 'Enter one of the recovery codes')
    user.find(marker='totp-code').type(codes[0])
    user.find(marker='sign-in').click()
    await see(user, 'Clinic dashboard')


async def test_security_page_enrols_a_doctor_and_shows_recovery_codes_once(user: User, clock: ManualClock) -> None:
    doctor = make_doctor(context.get())
    await password_step(user, doctor.email, DOCTOR_PASSWORD, 'My day')
    await user.open('/account/security')
    await see(user, marker='totp-off')
    user.find(marker='setup-password').type('not-my-password')
    user.find(marker='totp-setup').click()
    await see(user, 'The password is not correct.')
    user.find(marker='setup-password').clear()
    user.find(marker='setup-password').type(DOCTOR_PASSWORD)
    user.find(marker='totp-setup').click()
    await see(user, 'Scan this QR code')
    secret_label = user.find(marker='totp-secret').elements.pop()
    assert isinstance(secret_label, ui.label)
    secret = secret_label.text.replace(' ', '')
    assert secret == secret_of(context.get(), doctor.id)
    user.find(marker='confirm-code').type(totp.code_at(secret, clock.now()))
    user.find(marker='totp-confirm').click()
    await see(user, 'shown only this once')
    await see(user, marker='totp-on')
    await user.open('/account/security')  # a reload: the codes are gone, the state stays
    await see(user, marker='totp-on')
    await user.should_not_see('shown only this once')


async def test_security_page_tells_patients_it_is_for_staff(user: User) -> None:
    make_patient(context.get())
    await password_step(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    await user.open('/account/security')
    await see(user, marker='staff-only')
    await user.should_not_see(marker='totp-setup')


def test_operator_reset_turns_it_off_and_is_audited(
    ctx: AppContext, clock: ManualClock, admin, capsys: pytest.CaptureFixture[str]
) -> None:
    enrol(ctx, clock, admin)
    assert main(['totp-reset', ADMIN_EMAIL]) == 0
    assert sign_in(ctx).principal.user_id == admin.user_id
    assert main(['totp-reset', ADMIN_EMAIL]) == 1  # nothing left to reset
    assert 'no account' in capsys.readouterr().err
    with ctx.uow() as uow:
        reset = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == 'totp.reset')).one()
        assert reset.subject_user_id == admin.user_id and reset.actor_role == 'operator'
        assert two_factor.status(uow, admin).recovery_codes_left == 0


async def test_security_page_makes_new_codes_and_turns_it_off(user: User, clock: ManualClock) -> None:
    secret, codes = enrol_admin(clock)
    await password_step(user, ADMIN_EMAIL, ADMIN_PASSWORD, 'Use a recovery code instead')
    user.find(marker='use-recovery').click()
    user.find(marker='totp-code').type(codes[0])
    user.find(marker='sign-in').click()
    await see(user, 'Clinic dashboard')
    await user.open('/account/security')
    await see(user, 'Recovery codes left: 9 of 10.')
    user.find(marker='regen-code').type(totp.code_at(secret, clock.now()))
    user.find(marker='regenerate').click()
    await see(user, 'shown only this once')
    await see(user, 'Recovery codes left: 10 of 10.')
    user.find(marker='off-password').type('not my password')
    user.find(marker='off-code').type(codes[1])
    user.find(marker='turn-off').click()
    await see(user, 'The password is not correct.')
    user.find(marker='off-password').clear().type(ADMIN_PASSWORD)
    user.find(marker='turn-off').click()
    await see(user, 'not valid or was already used')  # codes[1] was retired by the new set
    clock.advance(STEP)
    user.find(marker='off-code').clear().type(totp.code_at(secret, clock.now()))
    user.find(marker='turn-off').click()
    await see(user, marker='totp-off')
