"""One form of an email address everywhere; look-alikes of a registered address are one address; registration does
not say whether an address is registered and is limited per client address."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hms.context import AppContext
from hms.db.models import Notice, User
from hms.domain.emails import normalise_email
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
