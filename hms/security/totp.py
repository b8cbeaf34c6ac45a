"""TOTP (RFC 6238) codes and one-time recovery codes: generation, matching and hashing. No storage here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

DIGITS = 6
WINDOW = 1  # accept the previous and the next 30-second step too: phones' clocks drift
RECOVERY_CODE_COUNT = 10
# No look-alikes (0/o, 1/l/i): the codes are typed from paper. 31 symbols ** 12 ~ 2 ** 59, enough for a plain hash.
_RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
_RECOVERY_GROUPS, _RECOVERY_GROUP_LENGTH = 3, 4


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (the RFC's recommended key length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG data URI (no request leaves the page for it)."""
    return segno.make(uri, error='m').svg_data_uri(scale=5, border=2)


def clean_code(code: str) -> str | None:
    """The six digits of a typed code ('123 456' and '123-456' are fine), or None if it is not one."""
    digits = ''.join(ch for ch in code if not ch.isspace() and ch != '-')
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def matching_step(secret: str, code: str, at: datetime, *, window: int = WINDOW) -> int | None:
    """The time step whose code ``code`` is (within ``window`` steps of ``at``), or None."""
    digits = clean_code(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    for step in sorted(range(current - window, current + window + 1), key=lambda s: abs(s - current)):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def code_at(secret: str, at: datetime) -> str:
    """The code an authenticator shows at ``at`` (tests and the enrolment page's self-check use it)."""
    return pyotp.TOTP(secret).at(at)


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    groups = range(_RECOVERY_GROUPS)
    return [
        '-'.join(''.join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LENGTH)) for _ in groups)
        for _ in range(count)
    ]


def normalise_recovery_code(code: str) -> str:
    return ''.join(ch for ch in code.lower() if ch.isalnum())


def looks_like_recovery_code(code: str) -> bool:
    clean = normalise_recovery_code(code)
    return len(clean) == _RECOVERY_GROUPS * _RECOVERY_GROUP_LENGTH and all(ch in _RECOVERY_ALPHABET for ch in clean)


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the normalised code: the codes are random and long, so a slow hash adds nothing."""
    return hashlib.sha256(normalise_recovery_code(code).encode('ascii', 'ignore')).hexdigest()
