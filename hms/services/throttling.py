"""Sign-in throttling that slows guessers down without locking the owner out.

Failed attempts (a wrong password, a wrong second-factor code) are counted three ways, each with a few free failures
and then a wait that doubles with every further failure (``HMS_LOGIN_DELAY_SECONDS`` first, at most
``HMS_LOGIN_LOCKOUT_MINUTES``):
- per account *and* address (``HMS_LOGIN_MAX_FAILURES`` free): the guesser at one address is slowed for that account;
- per address (``HMS_LOGIN_MAX_FAILURES_PER_IP`` free): one address guessing many accounts is slowed for all of them;
- per account from addresses that never signed in to it (``HMS_LOGIN_MAX_FAILURES_PER_ACCOUNT`` free): many
  addresses guessing one account are slowed, while the owner's known addresses are not.
A stranger's failures therefore never stop the owner signing in from another address. The first time an account is
slowed down in a window its owner gets a notice (emailed by the jobs) and the admin sees it among security events.
Used by signing in and by the changes that ask for the password or a code again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from hms import clock
from hms.config import Settings
from hms.db.models import LoginAttempt, User
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role
from hms.domain.errors import NotAllowed, TooManyAttempts
from hms.i18n import _, ngettext
from hms.security.tokens import email_key

from . import audit, notices
from .principal import Principal

WARNED = 'login.owner_warned'


def _progressive_wait(failures: list[datetime], free: int, settings: Settings, now: datetime) -> timedelta:
    """How long to wait after ``failures`` (newest first): nothing for the first ``free``, then a doubling wait
    counted from the latest failure."""
    if len(failures) < free:
        return timedelta(0)
    first = timedelta(seconds=settings.login_delay_seconds)
    cap = timedelta(minutes=settings.login_lockout_minutes)
    doublings = min(len(failures) - free, 30)  # 2**30 times any delay is past any cap
    return max(timedelta(0), failures[0] + min(cap, first * (1 << doublings)) - now)


def _wait(uow: UnitOfWork, settings: Settings, key: str, ip: str, now: datetime) -> tuple[timedelta, str]:
    """How long this attempt must wait (zero when it may go ahead), and which count holds it back."""
    since = now - timedelta(minutes=settings.login_lockout_minutes)
    attempts = uow.login_attempts
    waits = [
        (
            _progressive_wait(attempts.failures_for_pair(key, ip, since), settings.login_max_failures, settings, now),
            'pair',
        ),
        (
            _progressive_wait(attempts.failures_for_ip(ip, since), settings.login_max_failures_per_ip, settings, now),
            'ip',
        ),
    ]
    if not attempts.has_succeeded(key, ip):
        strangers = attempts.failures_from_unknown_addresses(key, since)
        waits.append((_progressive_wait(strangers, settings.login_max_failures_per_account, settings, now), 'account'))
    return max(waits)


def ensure_not_throttled(uow: UnitOfWork, settings: Settings, email: str, ip: str) -> None:
    """Refuse (and audit) an attempt while this account and address must wait after recent failures."""
    now = clock.now()
    wait, scope = _wait(uow, settings, email_key(email), ip, now)
    if wait <= timedelta(0):
        return
    user = uow.users.by_email(email)
    audit.record(
        uow,
        'login.throttled',
        ip=ip,
        success=False,
        subject_user_id=user.id if user else None,
        detail={'scope': scope},
    )
    uow.commit()
    seconds = math.ceil(wait.total_seconds())
    if seconds < 120:
        message = ngettext(
            'Too many sign-in attempts. Try again in {n} second.',
            'Too many sign-in attempts. Try again in {n} seconds.',
            seconds,
        )
    else:
        message = ngettext(
            'Too many sign-in attempts. Try again in {n} minute.',
            'Too many sign-in attempts. Try again in {n} minutes.',
            math.ceil(seconds / 60),
        )
    raise TooManyAttempts(message, retry_after_seconds=seconds)


def record_failed_attempt(
    uow: UnitOfWork, email: str, ip: str, *, at: datetime | None = None, settings: Settings | None = None
) -> None:
    """Count a failed attempt (wrong password or wrong second-factor code); with ``settings``, warn the owner the
    first time in a window that their account is being slowed down."""
    now = at or clock.now()
    key = email_key(email)
    uow.login_attempts.add(LoginAttempt(at=now, email_key=key, ip=ip, succeeded=False))
    if settings is None:
        return
    if _wait(uow, settings, key, ip, now)[0] > timedelta(0):
        _warn_owner(uow, settings, email, ip, now)


def _warn_owner(uow: UnitOfWork, settings: Settings, email: str, ip: str, now: datetime) -> None:
    user = uow.users.by_email(email)
    if user is None:
        return
    window = timedelta(minutes=settings.login_lockout_minutes)
    if any(entry.action == WARNED and entry.at >= now - window for entry in uow.audit.for_subject(user.id, limit=50)):
        return  # one notice per window, however long the guessing goes on
    with notices.speaking(uow, user.id):
        notices.send(
            uow,
            user.id,
            _('Someone is trying to sign in to your account'),
            _(
                'There were several failed attempts to sign in to your account from the address {ip}. They are being '
                'slowed down, and you can still sign in as usual. If this was not you, choose a strong password you '
                'use nowhere else, and consider two-step verification.',
                ip=ip,
            ),
        )
    audit.record(uow, WARNED, ip=ip, success=False, subject_user_id=user.id, object_type='user', object_id=user.id)


def record_success(uow: UnitOfWork, email: str, ip: str, *, at: datetime | None = None) -> None:
    """A successful sign-in: this address becomes one the account knows, and its failures here stop counting."""
    uow.login_attempts.add(LoginAttempt(at=at or clock.now(), email_key=email_key(email), ip=ip, succeeded=True))


# --- What the administrator sees ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowedDown:
    """One count that makes sign-in attempts wait now: ``scope`` is 'pair' (this account from this address), 'ip'
    (this address, whatever the account) or 'account' (this account from addresses that never signed in to it)."""

    scope: str
    user_id: int | None  # None: no account has the address that was typed, or the scope is a whole address
    name: str | None
    email: str | None
    ip: str | None  # None for the 'account' scope: many addresses
    failures: int
    until: datetime


def slowed_down(uow: UnitOfWork, settings: Settings, principal: Principal) -> list[SlowedDown]:
    """The accounts and client addresses whose sign-in attempts must wait right now, longest wait first (the
    administrator's security overview)."""
    if principal.role != Role.ADMIN:
        raise NotAllowed(_('Only the administrator can see which sign-ins are being slowed down.'))
    now = clock.now()
    since = now - timedelta(minutes=settings.login_lockout_minutes)
    accounts = _accounts_that_failed(uow, since)
    attempts = uow.login_attempts
    found: dict[tuple[str, str | None, str | None], SlowedDown] = {}
    for key, ip in attempts.failing_pairs(since):
        wait, scope = _wait(uow, settings, key, ip, now)
        if wait <= timedelta(0):
            continue
        if scope == 'pair':
            counted = attempts.failures_for_pair(key, ip, since)
        elif scope == 'ip':
            counted = attempts.failures_for_ip(ip, since)
        else:
            counted = attempts.failures_from_unknown_addresses(key, since)
        user = accounts.get(key) if scope != 'ip' else None
        entry = SlowedDown(
            scope=scope,
            user_id=user.id if user else None,
            name=user.name if user else None,
            email=user.email if user else None,
            ip=ip if scope != 'account' else None,
            failures=len(counted),
            until=now + wait,
        )
        found.setdefault((scope, key if scope != 'ip' else None, entry.ip), entry)
    return sorted(found.values(), key=lambda entry: entry.until, reverse=True)


def _accounts_that_failed(uow: UnitOfWork, since: datetime) -> dict[str, User]:
    """The accounts named by recent failed or throttled sign-ins, by their throttling key (the attempts keep only
    that key, never the address)."""
    entries = uow.audit.recent(actions=('login.failed', 'login.throttled'), limit=1000)
    ids = {entry.subject_user_id for entry in entries if entry.at >= since and entry.subject_user_id is not None}
    users = [user for user in (uow.users.get(user_id) for user_id in sorted(ids)) if user is not None]
    return {email_key(user.email): user for user in users if user.email is not None}
