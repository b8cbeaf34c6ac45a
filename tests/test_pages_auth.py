"""Sign-in, registration and role pages, driven through NiceGUI's simulated user (main.py builds the app)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User

from hms import context
from hms.clock import ManualClock
from hms.context import AppContext
from hms.services import accounts

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from .factories import DOCTOR_PASSWORD, PATIENT_PASSWORD, make_doctor, make_patient
from .page_steps import FORBIDDEN, see, sign_in, sign_out, submit_credentials


async def register(user: User, fields: dict[str, str], gender: str | None = None) -> None:
    """Fill in the registration form (each field by its label, then the gender) and press Create account."""
    await user.open('/register')
    for label, value in fields.items():
        user.find(label).type(value)
    if gender is not None:
        user.find('Gender').click()
        user.find(gender).click()
    user.find(kind=ui.button, content='Create account').click()


def change_password(user: User, current: str, new: str) -> None:
    user.find('Current password').type(current)
    user.find('New password').type(new)
    user.find('Repeat the new password').type(new)
    user.find(kind=ui.button, content='Change password').click()


def deactivate(ctx: AppContext, user_id: int) -> None:
    """The administrator blocks the account (through the service, signed in on the side)."""
    with ctx.uow() as uow:
        credentials = accounts.Credentials(email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        admin = accounts.login(uow, ctx.settings, credentials, ip='x', kind=accounts.SessionKind.WEB).principal
        accounts.set_active(uow, admin, user_id, active=False)


async def test_anonymous_visitors_are_sent_to_sign_in(user: User) -> None:
    for path in ('/', '/admin', '/doctor', '/patient', '/profile'):
        await user.open(path)
        await see(user, kind=ui.button, content='Sign in')
        await see(user, 'Create an account')


async def test_register_then_sign_in_lands_on_patient_home(user: User) -> None:
    """Registering does not sign in (its answer is the same for a taken address): the new patient signs in next."""
    grace = {
        'Full name': 'Grace Hopper',
        'Email': 'Grace@Example.com',
        'Password': 'Navy-Compiler-1952',
        'Date of birth': '1986-12-09',
        'Phone': '+1 212 555 0100',
        'Address': '1 Navy Yard, Arlington',
    }
    await register(user, grace, 'Female')
    await see(user, marker='registered')
    await see(user, 'If you have just created your account, you can sign in now.')
    await user.should_not_see('My health')
    user.find(kind=ui.button, content='Sign in').click()
    await see(user, kind=ui.button, marker='sign-in')
    await sign_in(user, 'grace@example.com', 'Navy-Compiler-1952', 'Welcome, Grace Hopper')
    await see(user, 'My health')


async def test_registration_shows_errors_next_to_fields(user: User) -> None:
    await register(user, {'Email': 'not-an-email', 'Password': 'password'})
    await see(user, 'This field is required.')  # name, date of birth, phone, gender
    await see(user, 'too common')
    name = user.find('Full name').elements.pop()
    assert isinstance(name, ui.input) and name.error == 'This field is required.'


async def test_registration_with_a_taken_email_answers_as_for_a_new_one(user: User) -> None:
    """The page does not reveal that the address is registered; its owner is emailed, and no account is made."""
    ctx = context.get()
    ada = make_patient(ctx, 'ada@example.com')
    someone = {
        'Full name': 'Someone Else',
        'Email': 'ADA@example.com',
        'Password': 'Another-Long-Secret-4',
        'Date of birth': '1990-01-01',
        'Phone': '0123456789',
    }
    await register(user, someone, 'Male')
    await see(user, marker='registered')
    await see(user, 'If you have just created your account, you can sign in now.')
    await user.should_not_see('already exists')
    with ctx.uow() as uow:
        assert uow.notices.for_user(ada.id)[0].subject == ('Someone tried to register with your email address')
    await sign_in(user, 'ada@example.com', 'Another-Long-Secret-4', 'Wrong email or password.')


@pytest.mark.parametrize(
    ('role', 'home', 'heading'),
    [('admin', '/admin', 'Clinic dashboard'), ('doctor', '/doctor', 'My day'), ('patient', '/patient', 'My health')],
)
async def test_each_role_lands_on_its_home_and_is_refused_the_others(
    user: User, role: str, home: str, heading: str
) -> None:
    ctx = context.get()
    credentials = {
        'admin': (ADMIN_EMAIL, ADMIN_PASSWORD),
        'doctor': (make_doctor(ctx).email, DOCTOR_PASSWORD) if role == 'doctor' else None,
        'patient': (make_patient(ctx).email, PATIENT_PASSWORD) if role == 'patient' else None,
    }[role]
    assert credentials is not None
    await sign_in(user, *credentials)
    await see(user, heading)
    await user.open('/')
    await see(user, heading)
    for other in {'/admin', '/doctor', '/patient'} - {home}:
        await user.open(other)
        await see(user, FORBIDDEN)
    await user.open(home)
    await user.should_not_see(FORBIDDEN)


async def test_wrong_password_shows_one_generic_message(user: User) -> None:
    make_patient(context.get())
    await sign_in(user, 'ada@example.com', 'not-my-password', 'Wrong email or password.')
    await sign_in(user, 'nobody@example.com', 'not-my-password', 'Wrong email or password.')
    await user.should_not_see('My health')


async def test_repeated_failures_are_throttled_with_a_clear_message(user: User, clock: ManualClock) -> None:
    """After the free failures the next attempt waits (seconds at first, growing with each failure), then may go."""
    settings = context.get().settings
    make_patient(context.get())
    for _ in range(settings.login_max_failures):
        await sign_in(user, 'ada@example.com', 'not-my-password', 'Wrong email or password.')
    wait = settings.login_delay_seconds
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, f'Too many sign-in attempts. Try again in {wait} seconds.')
    await user.should_not_see('My health')
    clock.advance(timedelta(seconds=wait))
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')


async def test_blacklisted_user_is_refused_and_sees_why(user: User) -> None:
    ctx = context.get()
    patient = make_patient(ctx)
    deactivate(ctx, patient.id)
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'deactivated by the clinic')
    await user.should_not_see('My health')


async def test_blacklisting_ends_an_open_session(user: User) -> None:
    ctx = context.get()
    patient = make_patient(ctx)
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    deactivate(ctx, patient.id)
    await user.open('/patient')
    await see(user, 'deactivated by the clinic')
    await see(user, kind=ui.button, content='Sign in')


async def test_session_ends_after_idle_time(user: User, clock: ManualClock) -> None:
    make_patient(context.get())
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    clock.advance(timedelta(minutes=20))
    await user.open('/patient')
    await see(user, 'My health')
    clock.advance(timedelta(minutes=31))
    await user.open('/patient')
    await see(user, 'You were signed out after 30 minutes without activity.')
    await see(user, kind=ui.button, content='Sign in')


async def test_an_open_page_signs_itself_out_when_idle(user: User, clock: ManualClock) -> None:
    make_patient(context.get())
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    timer = user.find(ui.timer).elements.pop()
    assert isinstance(timer, ui.timer) and timer.callback is not None
    with user:
        await timer.callback()  # the periodic check, as if its interval had passed
    await see(user, 'Welcome, Ada')  # still valid: the check neither ends nor extends the session
    clock.advance(timedelta(minutes=31))
    with user:
        await timer.callback()
    await see(user, 'without activity')
    await see(user, kind=ui.button, content='Sign in')


async def test_logout_ends_the_session(user: User) -> None:
    make_patient(context.get())
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    await user.open('/logout')  # a GET only asks
    user.find(marker='confirm-sign-out').click()
    await see(user, kind=ui.button, content='Sign in')
    await user.open('/patient')
    await see(user, kind=ui.button, content='Sign in')


async def test_doctor_with_initial_password_must_change_it_first(user: User) -> None:
    make_doctor(context.get(), must_change_password=True)
    await sign_in(user, 'house@clinic.test', DOCTOR_PASSWORD, 'Choose your password')
    await user.open('/doctor')
    await see(user, 'Choose your password')  # every page waits for the change
    change_password(user, DOCTOR_PASSWORD, 'Vicodin-Puzzle-Solver-7')
    await see(user, 'My day')
    await user.open('/doctor')
    await see(user, 'My day')


async def test_password_change_from_the_profile_page(user: User) -> None:
    make_patient(context.get())
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    await user.open('/profile')
    change_password(user, 'wrong-current', 'Analytical-Engine-1843')
    await see(user, 'This is not your current password.')
    current = user.find('Current password').elements.pop()
    assert isinstance(current, ui.input)
    current.value = PATIENT_PASSWORD
    user.find(kind=ui.button, content='Change password').click()
    await see(user, 'Password changed.')
    await sign_out(user)
    await sign_in(user, 'ada@example.com', 'Analytical-Engine-1843', 'My health')


async def test_signed_in_user_visiting_login_goes_home(user: User) -> None:
    await sign_in(user, ADMIN_EMAIL, ADMIN_PASSWORD, 'Clinic dashboard')
    await user.open('/login')
    await see(user, 'Clinic dashboard')


async def test_login_follows_a_safe_next_path_only(user: User) -> None:
    make_patient(context.get())
    await user.open('/profile')  # redirected to /login?next=/profile
    submit_credentials(user, 'ada@example.com', PATIENT_PASSWORD)
    await see(user, 'Change password')
    await sign_out(user)
    await user.open('/login?next=//evil.example.com')
    submit_credentials(user, 'ada@example.com', PATIENT_PASSWORD)
    await see(user, 'My health')


async def test_admin_home_shows_counts_and_security_events(user: User) -> None:
    ctx = context.get()
    make_patient(ctx)
    make_patient(ctx, 'bob@example.com')
    make_doctor(ctx)
    # The failed sign-in is recorded before the administrator looks.
    await sign_in(user, 'ada@example.com', 'definitely-wrong', 'Wrong email or password.')
    await sign_in(user, ADMIN_EMAIL, ADMIN_PASSWORD, 'Clinic dashboard')
    figures = {key: user.find(marker=f'figure-{key}').elements.pop() for key in ('patients', 'doctors_active')}
    assert {key: label.text for key, label in figures.items() if isinstance(label, ui.label)} == {
        'patients': '2',
        'doctors_active': '1',
    }
    table = user.find(ui.table).elements.pop()
    assert isinstance(table, ui.table)
    assert [row['event'] for row in table.rows] == ['Failed sign-in']
