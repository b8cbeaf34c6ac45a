import pytest

from hms.domain.passwords import password_problem
from hms.security.passwords import hash_password, verify_password


def test_hashes_are_argon2id_and_verify() -> None:
    hashed = hash_password('Granite-Sparrow-1984')
    assert hashed.startswith('$argon2id$')
    assert verify_password(hashed, 'Granite-Sparrow-1984')
    assert not verify_password(hashed, 'granite-sparrow-1984')


def test_missing_hash_never_verifies() -> None:
    assert not verify_password(None, 'anything at all')


@pytest.mark.parametrize(
    ('password', 'problem'),
    [
        ('short1', 'at least 8'),
        ('x' * 129, 'at most 128'),
        ('password', 'too common'),
        ('Password1', 'too common'),
        ('iloveyou', 'too common'),
    ],
)
def test_policy_refuses(password: str, problem: str) -> None:
    message = password_problem(password)
    assert message is not None
    assert problem in message


def test_policy_refuses_the_email_itself() -> None:
    assert password_problem('ada.lovelace@example.com', email='Ada.Lovelace@example.com') is not None


@pytest.mark.parametrize('password', ['correct horse battery', 'x' * 128, 'ñandú-über-東京-2026', 'abcdefgh-no-rules'])
def test_policy_accepts_without_composition_rules(password: str) -> None:
    assert password_problem(password) is None
