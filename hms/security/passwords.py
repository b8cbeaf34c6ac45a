"""argon2id password hashing (the password policy, what is acceptable, is ``hms.domain.passwords``)."""

from __future__ import annotations

import os
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Each hash holds 64 MiB while it runs and already keeps 4 lanes (threads) busy: more hashes at once than cores / 4
# are no faster, and a burst of sign-ins would otherwise grow the web process by 64 MiB per thread waiting in the
# pool (measured: +256 MiB with four at once).
ARGON2_AT_ONCE = max(1, (os.cpu_count() or 4) // 4)
_ARGON2_SLOTS = threading.BoundedSemaphore(ARGON2_AT_ONCE)
# Verified against when the account does not exist, so both paths cost the same (no account enumeration by timing).
_DUMMY_HASH = _hasher.hash('not-a-real-password-but-a-timing-equaliser')


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
