"""argon2id password hashing and the password policy (length and a common-password list, no composition rules)."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
MAX_LENGTH = 128

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Each hash holds 64 MiB while it runs and already keeps 4 lanes (threads) busy: more hashes at once than cores / 4
# are no faster, and a burst of sign-ins would otherwise grow the web process by 64 MiB per thread waiting in the
# pool (measured: +256 MiB with four at once).
ARGON2_AT_ONCE = max(1, (os.cpu_count() or 4) // 4)
_ARGON2_SLOTS = threading.BoundedSemaphore(ARGON2_AT_ONCE)
# Verified against when the account does not exist, so both paths cost the same (no account enumeration by timing).
_DUMMY_HASH = _hasher.hash('not-a-real-password-but-a-timing-equaliser')


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS['passwords'])


def hash_password(password: str) -> str:
    with _ARGON2_SLOTS:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with no hash it still spends the same time and returns False."""
    try:
        with _ARGON2_SLOTS:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why ``password`` is not acceptable, or None when it is."""
    if len(password) < MIN_LENGTH:
        return f'Use at least {MIN_LENGTH} characters.'
    if len(password) > MAX_LENGTH:
        return f'Use at most {MAX_LENGTH} characters.'
    if password.lower() in _common_passwords() or password.strip() == '':
        return 'This password is too common; choose one that is harder to guess.'
    if email and password.strip().lower() in {email.strip().lower(), email.strip().lower().split('@')[0]}:
        return 'The password must not be your email address.'
    return None
