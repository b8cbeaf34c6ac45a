"""Single-use links sent by email: password reset ("Forgot password?"), the welcome of a patient registered at the
front desk (a reset link that lets them choose their first password and take the account over) and, with
``HMS_VERIFY_EMAIL``, the confirmation of a new patient's address. One mechanism for all.

A link's token is 256 random bits; only its SHA-256 is stored. The raw token exists in the request that made it, in
the task that carries it to the worker (never in the outbox table) and in the email. Using a link marks it used with
a conditional UPDATE (``used_at IS NULL`` and not expired), so of two uses at the same moment exactly one wins.

Asking for a reset answers the same for any address, known or not, throttled or not, and does the same work (a token
is drawn and a task handed over either way: an unknown address's task finds nothing to send).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from hms import clock
from hms.config import Settings
from hms.db.models import AccountToken, User
from hms.db.uow import UnitOfWork
from hms.domain.emails import email_or_as_typed
from hms.domain.errors import InvalidInput, LinkNotValid
from hms.domain.passwords import password_problem
from hms.domain.schemas import PasswordReset
from hms.i18n import N_, _
from hms.notify import moments, render
from hms.notify.message import Message
from hms.runtime.dispatch import Producer
from hms.security.passwords import hash_password
from hms.security.tokens import hash_token, new_token

from . import audit, notices

logger = logging.getLogger(__name__)

RESET = 'reset'
VERIFY = 'verify'
CHANGED = 'password_changed'  # the "your password was changed" email (no link of its own)
WELCOME = 'welcome'  # the desk's welcome email: its link is a reset link (the /reset/ page), valid WELCOME_DAYS
WELCOME_DAYS = 7
EMAIL_TASK = 'hms.account_email'
RESET_REQUESTED = 'password.reset_requested'
# Silent limits (the answer stays 202): a few emails per account, and requests per client address, per hour.
RESETS_PER_ACCOUNT_PER_HOUR = 3
RESETS_PER_CLIENT_PER_HOUR = 10
VERIFY_HOURS = 48
PUBLISH_RETRY = {'max_retries': 1, 'interval_start': 0, 'interval_step': 0.2, 'interval_max': 0.5}
PATHS = {RESET: '/reset/', VERIFY: '/verify/'}
RESET_SENT = N_(
    'If an account has this address, we have sent it a link to choose a new password. Check your email, and your '
    'spam folder too.'
)
PASSWORD_RESET = N_('Your password was changed. Sign in with your new password.')


@dataclass(frozen=True)
class Mail:
    """What the worker needs to send one account email: the token's row and, for a link, the raw token."""

    kind: str
    token_id: int
    token: str

    def task_kwargs(self) -> dict[str, object]:
        return {'kind': self.kind, 'token_id': self.token_id, 'token': self.token}


def nothing() -> Mail:
    """A task that finds nothing to send: the same work for an address without an account."""
    return Mail(RESET, 0, new_token())


def hand_over(tasks: Producer | None, mail: Mail) -> None:
    """Give the email to the worker, best effort: with the broker down the person simply asks again (a raw token
    is never written to the outbox table to wait there)."""
    if tasks is None or not tasks.available:
        return
    try:
        tasks.send(EMAIL_TASK, mail.task_kwargs(), retry_policy=PUBLISH_RETRY)
    except (OperationalError, OSError, RedisError) as error:
        logger.warning('account email %s: the broker is unreachable (%s)', mail.kind, type(error).__name__)


def issue(uow: UnitOfWork, user: User, purpose: str, lifetime: timedelta) -> Mail:
    """A new link of ``purpose`` for ``user`` (their older open ones end), in the caller's transaction."""
    now = clock.now()
    token = new_token()
    uow.account_tokens.retire_unused(user.id, purpose, at=now)
    row = uow.account_tokens.add(
        AccountToken(
            user_id=user.id, purpose=purpose, token_hash=hash_token(token), created_at=now, expires_at=now + lifetime
        )
    )
    return Mail(purpose, row.id, token)


def _valid(uow: UnitOfWork, token: str, purpose: str) -> AccountToken:
    """The open link behind ``token``, or LinkNotValid (used, expired, unknown: one answer)."""
    found = uow.account_tokens.by_hash(hash_token(token), purpose)
    if found is None or found.used_at is not None or found.expires_at <= clock.now():
        raise LinkNotValid()
    return found


# --- Password reset -----------------------------------------------------------------------------------------------


def request_reset(
    open_uow: Callable[[], UnitOfWork], settings: Settings, tasks: Producer | None, email: str, *, ip: str
) -> None:
    """ "Forgot password?": email a reset link to the account with this address, if there is one and it is not
    throttled. The caller answers the same whatever happened."""
    with open_uow() as uow:
        mail = _reset_requested(uow, settings, email, ip)
    hand_over(tasks, mail or nothing())


def _reset_requested(uow: UnitOfWork, settings: Settings, email: str, ip: str) -> Mail | None:
    since = clock.now() - timedelta(hours=1)
    user = uow.users.by_email(email_or_as_typed(email))
    if uow.audit.count_from((RESET_REQUESTED,), ip, since) >= RESETS_PER_CLIENT_PER_HOUR:
        outcome = 'throttled_address'
    elif user is None:
        outcome = 'no_account'
    elif not user.is_active:
        outcome = 'inactive'
    elif uow.account_tokens.count_since(user.id, RESET, since) >= RESETS_PER_ACCOUNT_PER_HOUR:
        outcome = 'throttled_account'
    else:
        outcome = 'sent'
    mail = issue(uow, user, RESET, timedelta(minutes=settings.reset_minutes)) if outcome == 'sent' and user else None
    audit.record(
        uow,
        RESET_REQUESTED,
        ip=ip,
        success=mail is not None,
        subject_user_id=user.id if user else None,
        object_type='user' if user else None,
        object_id=user.id if user else None,
        detail={'outcome': outcome},
    )
    uow.commit()
    return mail


def check_reset_link(uow: UnitOfWork, token: str) -> bool:
    """Whether a reset link can still be used (the page says so before asking for a password)."""
    try:
        _valid(uow, token, RESET)
    except LinkNotValid:
        return False
    return True


def confirm_reset(
    open_uow: Callable[[], UnitOfWork], settings: Settings, tasks: Producer | None, data: PasswordReset, *, ip: str
) -> None:
    """Set a new password through a reset link: the link is used up, every session of the account ends, the
    account's address counts as confirmed, and the owner is told by notice and email. It does not sign in: the next
    sign-in asks for the second factor as usual."""
    with open_uow() as uow:
        mail = _reset(uow, data, ip)
    hand_over(tasks, mail)


def _reset(uow: UnitOfWork, data: PasswordReset, ip: str) -> Mail:
    found = _valid(uow, data.token, RESET)
    user = uow.users.get(found.user_id)
    if user is None or not user.is_active:
        raise LinkNotValid()
    problem = password_problem(data.password, email=user.email)
    if problem:  # the link stays usable: the person chooses another password
        raise InvalidInput(problem, field_errors={'password': problem})
    password_hash = hash_password(data.password)
    now = clock.now()
    if not uow.account_tokens.use(found.id, at=now):  # someone used it a moment ago
        raise LinkNotValid()
    user.password_hash = password_hash
    user.must_change_password = False
    user.password_changed_at = now
    user.verification_pending = False  # the link reached this address
    uow.sessions.revoke_all_for_user(user.id, at=now, reason='password_changed')
    uow.account_tokens.retire_unused(user.id, RESET, at=now)
    notices.notify(
        uow,
        user.id,
        lambda: (
            _('Your password was changed'),
            _('Your password was changed through a reset link, and every session was signed out.'),
        ),
    )
    audit.record(
        uow,
        'password.reset',
        actor_id=user.id,
        actor_role=user.role,
        ip=ip,
        object_type='user',
        object_id=user.id,
        subject_user_id=user.id,
    )
    uow.commit()
    return Mail(CHANGED, found.id, '')


# --- Email verification (HMS_VERIFY_EMAIL) ---------------------------------------------------------------------------


def issue_verification(uow: UnitOfWork, user: User) -> Mail:
    return issue(uow, user, VERIFY, timedelta(hours=VERIFY_HOURS))


# --- The welcome of a patient registered at the desk ------------------------------------------------------------------


def issue_welcome(uow: UnitOfWork, user: User) -> Mail:
    """The welcome email of an account the front desk created: a reset link, open for ``WELCOME_DAYS``, through which
    the patient chooses a password and so takes the account over (after that, "Forgot password?" as usual)."""
    link = issue(uow, user, RESET, timedelta(days=WELCOME_DAYS))
    return Mail(WELCOME, link.token_id, link.token)


ADDRESS_CONFIRMED = N_('Your email address is confirmed. You can sign in now.')


def verify_email(uow: UnitOfWork, token: str, *, ip: str) -> None:
    """Confirm a new account's address through its link; the account can sign in from now on."""
    found = _valid(uow, token, VERIFY)
    user = uow.users.get(found.user_id)
    if user is None or not uow.account_tokens.use(found.id, at=clock.now()):
        raise LinkNotValid()
    user.verification_pending = False
    audit.record(
        uow, 'account.verified', actor_id=user.id, actor_role=user.role, ip=ip, object_type='user', object_id=user.id
    )
    uow.commit()


# --- The emails (composed by the worker, in the recipient's language) ----------------------------------------------


def compose(uow: UnitOfWork, settings: Settings, kind: str, token_id: int, token: str) -> tuple[int, Message] | None:
    """The email of one account link (or of a changed password), or None when there is nothing to send: no such
    link, a token that is not its own, or a link used or expired in the meantime."""
    row = uow.account_tokens.get(token_id) if token_id > 0 else None
    if row is None:
        return None
    user = uow.users.get(row.user_id)
    if user is None or user.email is None:
        return None
    if kind == CHANGED:
        if row.purpose != RESET or row.used_at is None:
            return None
        with notices.speaking(uow, user.id):
            return user.id, _changed_email(settings, user, row)
    purpose = RESET if kind == WELCOME else kind  # the welcome carries a reset link
    if purpose not in PATHS or row.purpose != purpose or not hmac.compare_digest(row.token_hash, hash_token(token)):
        return None
    if row.used_at is not None or row.expires_at <= clock.now():
        return None
    with notices.speaking(uow, user.id):
        return user.id, _link_email(settings, user, row, token, kind)


def _link_email(settings: Settings, user: User, row: AccountToken, token: str, kind: str) -> Message:
    link = settings.link(PATHS[row.purpose] + token)
    until = moments.long_moment(row.expires_at, settings.zone)
    if kind == WELCOME:
        subject = _('Welcome to {clinic}: choose your password', clinic=settings.clinic_name)
        template = 'account_welcome'
    elif row.purpose == RESET:
        subject = _('Reset your password for {clinic}', clinic=settings.clinic_name)
        template = 'password_reset'
    else:
        subject = _('Confirm your email address for {clinic}', clinic=settings.clinic_name)
        template = 'email_verification'
    return render.email(
        template,
        to_email=user.email or '',  # compose sends nothing to an account without an address
        to_name=user.name,
        subject=subject,
        name=user.name,
        link=link,
        until=until,
        clinic=settings.clinic_name,
    )


def _changed_email(settings: Settings, user: User, row: AccountToken) -> Message:
    assert row.used_at is not None
    return render.email(
        'password_changed',
        to_email=user.email or '',  # compose sends nothing to an account without an address
        to_name=user.name,
        subject=_('Your password for {clinic} was changed', clinic=settings.clinic_name),
        name=user.name,
        when=moments.long_moment(row.used_at, settings.zone),
        link=settings.link('/forgot'),
        clinic=settings.clinic_name,
    )


def delivery_key(kind: str, token_id: int) -> str:
    return f'account:{kind}:{token_id}:email'
