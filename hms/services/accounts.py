"""Accounts: registration, login (throttled by ``throttling``), sessions and tokens, password changes, blacklisting."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from time import monotonic

from hms import clock
from hms.config import Settings
from hms.db.errors import CONSTRAINT_VIOLATION
from hms.db.models import AuthSession, PatientProfile, User
from hms.db.uow import UnitOfWork
from hms.domain.emails import email_or_as_typed, look_alike_key, normalise_email
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import (
    AccountBlocked,
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    PasswordChangeRequired,
    TooManyAttempts,
)
from hms.domain.schemas import Credentials, PasswordChange, PatientRegistration
from hms.i18n import N_, _, ngettext
from hms.runtime.dispatch import Producer
from hms.runtime.sessions import SessionCache, Verified
from hms.security.passwords import hash_password, needs_rehash, verify_password
from hms.security.tokens import hash_token, new_token

from . import account_links, audit, notices, throttling, two_factor
from .principal import Principal

# Messages are marked here and translated where they are raised (in the caller's language).
WRONG_CREDENTIALS = N_('Wrong email or password.')
EMAIL_TAKEN = N_('An account with this email already exists. Sign in instead, or use another email.')
BLOCKED_MESSAGE = N_('This account has been deactivated by the clinic. Please contact the clinic to restore access.')
SIGN_IN = N_('Please sign in.')
REGISTERED = N_(
    'Thank you. We have sent a message to this address. If you have just created your account, you can sign in now.'
)
REGISTERED_CHECK_EMAIL = N_(
    'Thank you. We have sent a message to this address. If you have just created your account, open the link in it '
    'to confirm your address, then sign in.'
)
REGISTRATION_ACTIONS = ('account.registered', 'account.registration_repeated')
_ENDED_MESSAGES = {
    'blacklisted': BLOCKED_MESSAGE,
    'expired': N_('Your session has ended. Please sign in again.'),
    'idle': N_('You were signed out after a period without activity.'),
    'password_changed': N_('Your password was changed, so you were signed out here. Please sign in again.'),
}
# Refreshing last_seen on every request would turn each read into a write; a minute's precision is plenty.
LAST_SEEN_GRANULARITY = timedelta(seconds=60)


@dataclass(frozen=True)
class LoginResult:
    token: str
    principal: Principal
    expires_at: datetime


def available_email(uow: UnitOfWork, email: object, *, owner_id: int | None = None, field: str = 'email') -> str:
    """The address in its one stored form (``hms.domain.emails``), when no account but ``owner_id``'s has it or a
    look-alike of it."""
    try:
        normalised = normalise_email(str(email))
    except ValueError as error:
        raise InvalidInput(str(error), field_errors={field: str(error)}) from error
    other = uow.users.looking_like(look_alike_key(normalised))
    if other is not None and other.id != owner_id:
        message = _(EMAIL_TAKEN)
        raise EmailTaken(message, field_errors={field: message})
    return normalised


def registered_message(settings: Settings) -> str:
    """What registration answers, the same for a new and a taken address."""
    return _(REGISTERED_CHECK_EMAIL) if settings.verify_email else _(REGISTERED)


def register_patient(
    uow: UnitOfWork,
    settings: Settings,
    data: PatientRegistration,
    *,
    ip: str,
    language: str | None = None,
    tasks: Producer | None = None,
) -> None:
    """Create a patient account and profile, answering the same whether or not the address is registered already:
    the new patient is welcomed, the owner of an existing account is told someone tried, both by a notice the jobs
    email. Limited to ``HMS_REGISTRATION_PER_HOUR`` attempts per client address. With ``HMS_VERIFY_EMAIL`` the new
    account waits for its emailed link (``tasks`` carries it to the worker) before it can sign in."""
    _ensure_registration_allowed(uow, settings, ip)
    email = normalise_email(data.email)
    password_hash = hash_password(data.password)  # hashed either way: the time taken says nothing either
    existing = uow.users.looking_like(look_alike_key(email))  # the address, or one that looks the same
    if existing is not None:
        _registration_repeated(uow, existing.id, ip)
        if settings.verify_email:  # the same work as for a new address; a still-unconfirmed owner gets a new link
            pending = existing.verification_pending and existing.is_active
            mail = account_links.issue_verification(uow, existing) if pending else None
            uow.commit()
            account_links.hand_over(tasks, mail or account_links.nothing())
        return
    now = clock.now()
    user = User(
        email=email,
        password_hash=password_hash,
        role=Role.PATIENT,
        name=data.name,
        is_active=True,
        must_change_password=False,
        created_at=now,
        password_changed_at=now,
        language=language,
        verification_pending=settings.verify_email,
    )
    try:
        uow.users.add(user)
        uow.session.add(
            PatientProfile(
                user_id=user.id, date_of_birth=data.dob, gender=data.gender, phone=data.phone, address=data.address
            )
        )
        uow.emit('patient.registered', patient_id=user.id)
        with notices.speaking(uow, user.id):
            notices.send(
                uow,
                user.id,
                _('Welcome to {clinic}', clinic=settings.clinic_name),
                _('Your patient account is ready. Sign in with this email address and the password you chose.'),
            )
        audit.record(
            uow,
            'account.registered',
            actor_id=user.id,
            actor_role=Role.PATIENT,
            ip=ip,
            object_type='user',
            object_id=user.id,
            subject_user_id=user.id,
        )
        mail = account_links.issue_verification(uow, user) if settings.verify_email else None
        uow.commit()
        if mail is not None:
            account_links.hand_over(tasks, mail)
    except CONSTRAINT_VIOLATION:  # a concurrent registration won the race for this address: the same answer
        uow.rollback()
        winner = uow.users.by_email(email)
        if winner is not None:
            _registration_repeated(uow, winner.id, ip)


def _ensure_registration_allowed(uow: UnitOfWork, settings: Settings, ip: str) -> None:
    hour = timedelta(hours=1)
    if uow.audit.count_from(REGISTRATION_ACTIONS, ip, clock.now() - hour) >= settings.registration_per_hour:
        raise TooManyAttempts(
            _('Too many accounts were created from your network. Please try again later.'),
            retry_after_seconds=int(hour.total_seconds()),
        )


def _registration_repeated(uow: UnitOfWork, owner_id: int, ip: str) -> None:
    """Someone tried to register an address that has an account: its owner hears of it, the visitor does not."""
    with notices.speaking(uow, owner_id):
        notices.send(
            uow,
            owner_id,
            _('Someone tried to register with your email address'),
            _(
                'Someone tried to create a new patient account with your email address. You already have an account: '
                'sign in as usual. If this was not you, you do not need to do anything.'
            ),
        )
    audit.record(
        uow,
        'account.registration_repeated',
        ip=ip,
        success=False,
        subject_user_id=owner_id,
        object_type='user',
        object_id=owner_id,
    )
    uow.commit()


def _refuse_login(uow: UnitOfWork, user: User, *, ip: str, reason: str) -> None:
    """Keep a refused sign-in by the right password in the audit trail (committed: the caller raises next)."""
    audit.record(
        uow,
        'login.refused',
        actor_id=user.id,
        actor_role=user.role,
        ip=ip,
        success=False,
        subject_user_id=user.id,
        detail={'reason': reason},
    )
    uow.commit()


def login(
    uow: UnitOfWork,
    settings: Settings,
    credentials: Credentials,
    *,
    ip: str,
    kind: SessionKind,
    totp_code: str | None = None,
    recovery_code: str | None = None,
) -> LoginResult:
    """Check the credentials (and the second factor when the user has one) and open a new session."""
    now = clock.now()
    email = email_or_as_typed(credentials.email)
    throttling.ensure_not_throttled(uow, settings, email, ip)
    user = uow.users.by_email(email)
    if not verify_password(user.password_hash if user else None, credentials.password) or user is None:
        throttling.record_failed_attempt(uow, email, ip, at=now, settings=settings)
        audit.record(
            uow,
            'login.failed',
            actor_id=user.id if user else None,
            ip=ip,
            success=False,
            subject_user_id=user.id if user else None,
            detail={'reason': 'bad_credentials'},
        )
        uow.commit()
        raise InvalidCredentials(_(WRONG_CREDENTIALS))
    if not user.is_active:
        _refuse_login(uow, user, ip=ip, reason='blacklisted')
        raise AccountBlocked(_(BLOCKED_MESSAGE))
    if settings.verify_email and user.verification_pending:  # told only to whoever knows the password
        _refuse_login(uow, user, ip=ip, reason='email_not_verified')
        raise EmailNotVerified()
    if two_factor.required(user):
        two_factor.check_login(uow, user, totp_code=totp_code, recovery_code=recovery_code, ip=ip)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(credentials.password)
    throttling.record_success(uow, email, ip, at=now)
    token, auth_session = _open_session(uow, settings, user, kind=kind, ip=ip, now=now)
    audit.record(
        uow,
        'login.succeeded',
        actor_id=user.id,
        actor_role=user.role,
        ip=ip,
        subject_user_id=user.id,
        object_type='session',
        object_id=auth_session.id,
        detail={'kind': str(kind)},
    )
    uow.commit()
    return LoginResult(token=token, principal=_principal(user, auth_session, ip), expires_at=auth_session.expires_at)


def _open_session(
    uow: UnitOfWork, settings: Settings, user: User, *, kind: SessionKind, ip: str | None, now: datetime
) -> tuple[str, AuthSession]:
    token = new_token()
    auth_session = uow.sessions.add(
        AuthSession(
            token_hash=hash_token(token),
            user_id=user.id,
            kind=kind,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            ip=ip,
        )
    )
    return token, auth_session


def _principal(user: User, auth_session: AuthSession | None, ip: str | None) -> Principal:
    return Principal(
        user_id=user.id,
        role=Role(user.role),
        name=user.name,
        email=user.email or '',  # only an account with an address can sign in
        must_change_password=user.must_change_password,
        session_id=auth_session.id if auth_session else None,
        ip=ip,
    )


def cached_principal(
    sessions: SessionCache | None, token: str | None, *, kind: SessionKind, ip: str | None = None
) -> Principal | None:
    """The principal behind a session token verified moments ago in this process, without a database round trip;
    None when the database must say (not cached, the cache not live, "last seen" a minute old, or expired)."""
    if sessions is None or not token:
        return None
    found = sessions.get(hash_token(token))
    if found is None or found.kind != kind:
        return None
    now = clock.now()
    if now >= found.expires_at or now - found.last_seen_at >= LAST_SEEN_GRANULARITY:
        return None  # the database ends it, or refreshes "last seen" (which also keeps idleness exact)
    principal: Principal = found.principal
    return principal if principal.ip == ip else replace(principal, ip=ip)


def authenticate(
    uow: UnitOfWork,
    settings: Settings,
    token: str | None,
    *,
    kind: SessionKind,
    ip: str | None = None,
    touch: bool = True,
    sessions: SessionCache | None = None,
) -> Principal:
    """The principal behind a session token; ends sessions that are idle, too old, or whose user was blacklisted.
    With ``sessions``, a valid one is remembered there for ``cached_principal``."""
    if not token:
        raise NotAuthenticated(_(SIGN_IN))
    version = sessions.version() if sessions is not None else 0
    token_hash = hash_token(token)
    auth_session = uow.sessions.by_token_hash(token_hash)
    if auth_session is None or auth_session.kind != kind:
        raise NotAuthenticated(_(SIGN_IN))
    if auth_session.revoked_at is not None:
        raise NotAuthenticated(_(_ENDED_MESSAGES.get(auth_session.revoked_reason or '', SIGN_IN)))
    now = clock.now()
    user = uow.users.get(auth_session.user_id)
    reason = None
    if user is None or not user.is_active:
        reason, message = 'blacklisted', _(BLOCKED_MESSAGE)
    elif now >= auth_session.expires_at:
        reason, message = 'expired', _(_ENDED_MESSAGES['expired'])
    elif now - auth_session.last_seen_at >= timedelta(minutes=settings.session_idle_minutes):
        reason = 'idle'
        message = ngettext(
            'You were signed out after {n} minute without activity.',
            'You were signed out after {n} minutes without activity.',
            settings.session_idle_minutes,
        )
    if reason is not None:
        auth_session.revoked_at, auth_session.revoked_reason = now, reason
        audit.record(
            uow,
            'session.ended',
            actor_id=auth_session.user_id,
            ip=ip,
            object_type='session',
            object_id=auth_session.id,
            detail={'reason': reason},
        )
        uow.commit()
        raise NotAuthenticated(message)
    assert user is not None
    if touch and now - auth_session.last_seen_at >= LAST_SEEN_GRANULARITY:
        auth_session.last_seen_at = now
        uow.commit()
    principal = _principal(user, auth_session, ip)
    if sessions is not None and touch:
        verified = Verified(
            principal, user.id, str(auth_session.kind), auth_session.expires_at, auth_session.last_seen_at, monotonic()
        )
        sessions.remember(token_hash, verified, version)
    return principal


def ensure_password_settled(principal: Principal) -> Principal:
    """Refuse everything but changing the password (and reading one's account, signing out) to an account that
    still has its one-time password; the pages send such a user to the change-password page instead."""
    if principal.must_change_password:
        raise PasswordChangeRequired(
            _('Change your one-time password first (POST /api/me/password): until then, that is all you can do.')
        )
    return principal


def logout(uow: UnitOfWork, token: str | None, *, ip: str | None = None) -> None:
    """End the session behind ``token``; unknown or already ended tokens are fine (logout is idempotent)."""
    if not token:
        return
    auth_session = uow.sessions.by_token_hash(hash_token(token))
    if auth_session is None or auth_session.revoked_at is not None:
        return
    auth_session.revoked_at, auth_session.revoked_reason = clock.now(), 'logout'
    audit.record(
        uow,
        'logout',
        actor_id=auth_session.user_id,
        ip=ip,
        object_type='session',
        object_id=auth_session.id,
        subject_user_id=auth_session.user_id,
    )
    uow.commit()


def change_password(uow: UnitOfWork, principal: Principal, change: PasswordChange) -> None:
    """Change one's own password; other sessions of the user end, the current one stays."""
    user = uow.users.get(principal.user_id)
    if user is None:
        raise NotAuthenticated(_(SIGN_IN))
    if not verify_password(user.password_hash, change.current_password):
        audit.record(uow, 'password.change_failed', actor=principal, subject_user_id=user.id, success=False)
        uow.commit()
        raise InvalidInput(
            _('The current password is not correct.'),
            field_errors={'current_password': _('This is not your current password.')},
        )
    if verify_password(user.password_hash, change.new_password):
        message = _('Choose a password different from the current one.')
        raise InvalidInput(message, field_errors={'new_password': message})
    now = clock.now()
    user.password_hash = hash_password(change.new_password)
    user.must_change_password = False
    user.password_changed_at = now
    for auth_session in uow.sessions.active_for_user(user.id):
        if auth_session.id != principal.session_id:
            auth_session.revoked_at, auth_session.revoked_reason = now, 'password_changed'
    audit.record(
        uow, 'password.changed', actor=principal, object_type='user', object_id=user.id, subject_user_id=user.id
    )
    uow.commit()


def set_active(uow: UnitOfWork, actor: Principal, user_id: int, *, active: bool, reason: str = '') -> User:
    """Blacklist (deactivate) or reactivate an account. Blacklisting ends its sessions and tokens at once."""
    if actor.role is not Role.ADMIN:
        raise NotAllowed(_('Only an administrator can change whether an account is active.'))
    user = uow.users.get(user_id)
    if user is None:
        raise NotFound(_('No such user.'))
    if user.id == actor.user_id and not active:
        raise NotAllowed(_('You cannot deactivate your own account.'))
    now = clock.now()
    user.is_active = active
    user.blocked_reason = None if active else (reason.strip()[:500] or None)
    if not active:
        uow.sessions.revoke_all_for_user(user.id, at=now, reason='blacklisted')
    audit.record(
        uow,
        'account.reactivated' if active else 'account.blacklisted',
        actor=actor,
        object_type='user',
        object_id=user.id,
        subject_user_id=user.id,
    )
    uow.commit()
    return user
