"""Sign-in throttling: failed attempts (a wrong password, a wrong second-factor code) lock the account, and the
address they come from, out for a while. Used by signing in and by the changes that ask for the password again."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from hms import clock
from hms.config import Settings
from hms.db.models import LoginAttempt
from hms.db.uow import UnitOfWork
from hms.domain.errors import TooManyAttempts
from hms.i18n import ngettext
from hms.security.tokens import email_key

from . import audit


def _wait(uow: UnitOfWork, settings: Settings, key: str, ip: str, now: datetime) -> timedelta:
    """How long this account or address must wait before trying again (zero when it may try now)."""
    window = timedelta(minutes=settings.login_lockout_minutes)
    unlock_at = now
    account_failures = uow.login_attempts.failures_for_email(key, now - window)
    if len(account_failures) >= settings.login_max_failures:
        unlock_at = max(unlock_at, account_failures[settings.login_max_failures - 1] + window)
    ip_failures = uow.login_attempts.failures_for_ip(ip, now - window)
    if len(ip_failures) >= settings.login_max_failures_per_ip:
        unlock_at = max(unlock_at, ip_failures[settings.login_max_failures_per_ip - 1] + window)
    return unlock_at - now


def ensure_not_throttled(uow: UnitOfWork, settings: Settings, email: str, ip: str) -> None:
    """Refuse (and audit) an attempt while this account or address is locked out by recent failures."""
    now = clock.now()
    wait = _wait(uow, settings, email_key(email), ip, now)
    if wait > timedelta(0):
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        audit.record(uow, 'login.throttled', ip=ip, success=False)
        uow.commit()
        raise TooManyAttempts(
            ngettext(
                'Too many sign-in attempts. Try again in {n} minute.',
                'Too many sign-in attempts. Try again in {n} minutes.',
                minutes,
            ),
            retry_after_seconds=math.ceil(wait.total_seconds()),
        )


def record_failed_attempt(uow: UnitOfWork, email: str, ip: str, *, at: datetime | None = None) -> None:
    """Count a failed attempt (wrong password or wrong second-factor code) towards the throttling."""
    uow.login_attempts.add(LoginAttempt(at=at or clock.now(), email_key=email_key(email), ip=ip, succeeded=False))


def record_success(uow: UnitOfWork, email: str, ip: str, *, at: datetime | None = None) -> None:
    """A successful sign-in: the account's earlier failures stop counting."""
    uow.login_attempts.add(LoginAttempt(at=at or clock.now(), email_key=email_key(email), ip=ip, succeeded=True))
