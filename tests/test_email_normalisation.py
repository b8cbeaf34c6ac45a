"""One form of an email address everywhere; look-alikes of a registered address are one address; registration does
not say whether an address is registered and is limited per client address."""

from __future__ import annotations

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hms.context import AppContext
from hms.db.migrate import alembic_config
from hms.db.models import Notice, User
from hms.domain.emails import look_alike_key, normalise_email
from hms.domain.errors import EmailTaken
from hms.services import accounts

from .factories import PATIENT_PASSWORD, make_patient, patient_data


@pytest.mark.parametrize(
    'typed',
    [
        'ada@bücher.example',
        'ADA@BÜCHER.EXAMPLE',
        'ada@xn--bcher-kva.example',
        ' Ada@Bücher.Example ',
        'ａｄａ@bücher.example',
    ],
)
def test_look_alike_addresses_have_one_form(typed: str) -> None:
    assert normalise_email(typed) == 'ada@xn--bcher-kva.example'


@pytest.mark.parametrize(
    'typed', ['ada', 'ada@', '@example.com', 'ada@@example.com', 'ada@localhost', 'a b@example.com']
)
def test_invalid_addresses_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match='valid email address'):
        normalise_email(typed)


def test_a_look_alike_of_a_registered_address_makes_no_second_account(ctx: AppContext) -> None:
    make_patient(ctx, 'ada@bücher.example')
    make_patient(ctx, 'ＡＤＡ@xn--bcher-kva.example', name='Mallory')
    with ctx.uow() as uow:
        assert uow.session.scalars(select(User.email).where(User.role == 'patient')).all() == [
            'ada@xn--bcher-kva.example'
        ]
        with pytest.raises(EmailTaken):  # the admin's and profile forms say so plainly
            accounts.available_email(uow, 'Ada@Bücher.example')


def test_sign_in_accepts_any_form_of_the_address(api: TestClient, ctx: AppContext) -> None:
    make_patient(ctx, 'ada@bücher.example')
    for typed in ('ADA@xn--bcher-kva.example', 'ada@BÜCHER.example'):
        response = api.post('/api/login', json={'email': typed, 'password': PATIENT_PASSWORD})
        assert response.status_code == 200, typed


def test_registration_answers_the_same_and_tells_the_owner(api: TestClient, ctx: AppContext) -> None:
    new = api.post('/api/register', json=patient_data('ada@example.com'))
    taken = api.post('/api/register', json=patient_data('ADA@example.com', name='Mallory', phone='+44 20 0000 0000'))
    assert new.status_code == taken.status_code == 202
    assert new.json() == taken.json()
    with ctx.uow() as uow:
        subjects = uow.session.scalars(select(Notice.subject).order_by(Notice.id)).all()
        names = uow.session.scalars(select(User.name).where(User.email == 'ada@example.com')).all()
    assert names == ['Ada Lovelace']
    assert subjects[-1] == 'Someone tried to register with your email address'


def test_registration_is_rate_limited_per_client_address(api: TestClient, ctx: AppContext) -> None:
    limit = ctx.settings.registration_per_hour
    answers = [api.post('/api/register', json=patient_data(f'p{n}@example.com')) for n in range(limit + 1)]
    assert [answer.status_code for answer in answers] == [202] * limit + [429]
    assert int(answers[-1].headers['retry-after']) > 0
    assert answers[-1].headers['content-type'].startswith('application/problem+json')


def test_addresses_stored_before_the_normal_form_are_migrated_to_it(api: TestClient, ctx: AppContext) -> None:
    """Migration 0010 rewrites older rows (a Unicode domain, a mixed-case or fullwidth local part); a row whose normal
    form another row has already is left for the administrator."""
    ids = {email: make_patient(ctx, email).id for email in ('ada@example.org', 'zoe@example.org', 'bob@example.org')}
    grace = make_patient(ctx, 'grace@example.org').id
    older = {
        ids['ada@example.org']: 'Ada@Bücher.Example',
        ids['zoe@example.org']: 'ＺＯＥ@Example.org',
        ids['bob@example.org']: 'Grace@Example.org',  # a look-alike of Grace's address: two accounts, one address
    }
    url = ctx.settings.effective_database_url
    command.downgrade(alembic_config(url), '0009')
    with ctx.uow() as uow:
        for user_id, email in older.items():
            uow.session.execute(update(User).where(User.id == user_id).values(email=email))
        uow.commit()
    command.upgrade(alembic_config(url), 'head')
    with ctx.uow() as uow:
        stored = {user_id: email for user_id, email in uow.session.execute(select(User.id, User.email))}
    assert stored[ids['ada@example.org']] == 'ada@xn--bcher-kva.example'
    assert stored[ids['zoe@example.org']] == 'zoe@example.org'
    assert (stored[ids['bob@example.org']], stored[grace]) == ('Grace@Example.org', 'grace@example.org')
    for typed in ('ada@bücher.example', 'ADA@xn--bcher-kva.example'):
        response = api.post('/api/login', json={'email': typed, 'password': PATIENT_PASSWORD})
        assert response.status_code == 200, typed
    look_alike = api.post('/api/register', json=patient_data('ａｄａ@BÜCHER.example', name='Mallory'))
    assert look_alike.status_code == 202
    with ctx.uow() as uow:
        at_buecher = select(User.name).where(User.email.like('%@xn--bcher-kva.example'))
        assert uow.session.scalars(at_buecher).all() == ['Ada Lovelace']  # Mallory got no account
        with pytest.raises(EmailTaken):  # the admin's and profile forms refuse the look-alike plainly
            accounts.available_email(uow, 'Ada@Bücher.example')


CYRILLIC_ADA = '\u0430d\u0430@example.com'  # 'ada' with two Cyrillic a's: on screen the same as ada@example.com


def test_an_address_in_another_script_that_looks_the_same_is_refused(api: TestClient, ctx: AppContext) -> None:
    assert look_alike_key(normalise_email(CYRILLIC_ADA)) == 'ada@example.com'
    make_patient(ctx, 'ada@example.com')
    answer = api.post('/api/register', json=patient_data(CYRILLIC_ADA, name='Mallory'))
    assert answer.status_code == 202  # the same answer as ever; no second account, the owner is told
    with ctx.uow() as uow:
        assert uow.session.scalars(select(User.name).where(User.name == 'Mallory')).all() == []
        subjects = uow.session.scalars(select(Notice.subject).order_by(Notice.id)).all()
        assert subjects[-1] == 'Someone tried to register with your email address'
        with pytest.raises(EmailTaken):  # the admin's forms and a profile change say so plainly
            accounts.available_email(uow, CYRILLIC_ADA)


def test_the_latin_look_alike_of_an_address_in_another_script_is_refused_too(ctx: AppContext) -> None:
    make_patient(ctx, CYRILLIC_ADA)
    with ctx.uow() as uow:
        [stored] = uow.session.execute(select(User.email, User.email_look_alike).where(User.role == 'patient')).all()
        assert stored == (CYRILLIC_ADA, 'ada@example.com')
        with pytest.raises(EmailTaken):
            accounts.available_email(uow, 'ADA@example.com')


def test_addresses_in_other_scripts_that_differ_on_screen_are_welcome(ctx: AppContext) -> None:
    make_patient(ctx, 'иван@example.com', name='Ivan Petrov')
    make_patient(ctx, 'ирина@example.com', name='Irina Petrova')
    make_patient(ctx, 'ivan@example.com', name='Ivan Smith')
    with ctx.uow() as uow:
        names = uow.session.scalars(select(User.name).where(User.role == 'patient').order_by(User.id)).all()
    assert names == ['Ivan Petrov', 'Irina Petrova', 'Ivan Smith']
