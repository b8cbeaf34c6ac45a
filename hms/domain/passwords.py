"""The password policy: a length range and a common-password list, no composition rules (hashing is in
``hms.security.passwords``)."""

from __future__ import annotations

from functools import lru_cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
MAX_LENGTH = 128


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The passwords people choose most often (zxcvbn's list), refused whatever their length."""
    return frozenset(FREQUENCY_LISTS['passwords'])


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why ``password`` is not acceptable, or None when it is."""
    if len(password) < MIN_LENGTH:
        return f'Use at least {MIN_LENGTH} characters.'
    if len(password) > MAX_LENGTH:
        return f'Use at most {MAX_LENGTH} characters.'
    if password.lower() in common_passwords() or password.strip() == '':
        return 'This password is too common; choose one that is harder to guess.'
    if email and password.strip().lower() in {email.strip().lower(), email.strip().lower().split('@')[0]}:
        return 'The password must not be your email address.'
    return None
