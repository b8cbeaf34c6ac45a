"""The password policy: a length range and a common-password list, no composition rules (hashing is in
``hms.security.passwords``)."""

from __future__ import annotations

from functools import lru_cache

from hms.i18n import _, ngettext

MIN_LENGTH = 8
MAX_LENGTH = 128


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The passwords people choose most often (zxcvbn's list), refused whatever their length."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # ~12 MB: loaded by the first password check only

    return frozenset(FREQUENCY_LISTS['passwords'])


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why ``password`` is not acceptable (in the language in force), or None when it is."""
    if len(password) < MIN_LENGTH:
        return ngettext('Use at least {n} character.', 'Use at least {n} characters.', MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return ngettext('Use at most {n} character.', 'Use at most {n} characters.', MAX_LENGTH)
    if password.lower() in common_passwords() or password.strip() == '':
        return _('This password is too common; choose one that is harder to guess.')
    if email and password.strip().lower() in {email.strip().lower(), email.strip().lower().split('@')[0]}:
        return _('The password must not be your email address.')
    return None
