"""Optional second factor for staff: TOTP enrolment, recovery codes, and the check at sign-in.

Only administrators, doctors and receptionists may turn it on (patients are not offered it: their accounts hold only
their own record, and a lost phone must not lock a patient out of the clinic). The secret is stored once enrolment
starts (``totp_secret`` set, ``totp_enabled_at`` NULL = pending) and the factor is required from confirmation on.
Replay protection: every accepted code's time step is written in the audit row of its use, and a code is accepted
only for a step later than the newest one spent, checked under the audit writers' lock (so two requests with the
same code cannot both pass). Neither the secret nor any code is ever written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hms import clock
from hms.config import Settings
from hms.db.models import User
from hms.db.recovery_codes import RecoveryCodeRepository, last_totp_step
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role
from hms.domain.errors import Conflict, InvalidCredentials, InvalidInput, NotAllowed, NotAuthenticated
from hms.i18n import N_, _
from hms.security import totp
from hms.security.passwords import verify_password

from . import audit, throttling
from .principal import Principal

ELIGIBLE_ROLES = frozenset({Role.ADMIN, Role.DOCTOR, Role.RECEPTION})
# Audit actions whose detail carries the TOTP step spent (the replay guard reads them).
STEP_ACTIONS = ('login.totp', 'totp.enabled', 'totp.disabled', 'totp.recovery_codes_regenerated')

# Messages are marked here and translated where they are raised (in the caller's language).
CODE_REQUIRED = N_(
    'This account uses two-step verification. Enter the 6-digit code from your authenticator app, '
    'or one of your recovery codes. (API: send it as "totp_code", or "recovery_code".)'
)
WRONG_LOGIN_CODE = N_('That verification code is not valid. Enter the current code from your authenticator app.')
WRONG_CODE = N_('That code is not valid. Enter the 6-digit code your authenticator app shows now.')
USED_CODE = N_('This code was already used. Wait for the next one (codes change every 30 seconds).')
WRONG_RECOVERY_CODE = N_('That recovery code is not valid or was already used.')


class SecondFactorRequired(NotAuthenticated):
    title = N_('Second factor required')
    code = 'second_factor_required'
    default_message = CODE_REQUIRED


@dataclass(frozen=True)
class TwoFactorStatus:
    eligible: bool
    enabled: bool
    pending: bool
    enabled_at: datetime | None
    recovery_codes_left: int


@dataclass(frozen=True)
class Enrolment:
    secret: str  # shown once so it can be typed in when the QR code cannot be scanned
    uri: str
    qr_data_uri: str


def required(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def _user(uow: UnitOfWork, principal: Principal) -> User:
    user = uow.users.get(principal.user_id)
    if user is None:
        raise NotAuthenticated(_('Please sign in.'))
    return user


def _address(user: User) -> str:
    """The account's address: every account that signs in (staff always) has one."""
    return user.email or ''


def _eligible(user: User) -> None:
    if Role(user.role) not in ELIGIBLE_ROLES:
        raise NotAllowed(
            _('Two-step verification is available to clinic staff (administrators, doctors and receptionists).')
        )


def status(uow: UnitOfWork, principal: Principal) -> TwoFactorStatus:
    user = _user(uow, principal)
    enabled = required(user)
    return TwoFactorStatus(
        eligible=Role(user.role) in ELIGIBLE_ROLES,
        enabled=enabled,
        pending=user.totp_secret is not None and not enabled,
        enabled_at=user.totp_enabled_at,
        recovery_codes_left=RecoveryCodeRepository(uow.session).unused_count(user.id) if enabled else 0,
    )


def begin(uow: UnitOfWork, settings: Settings, principal: Principal, password: str) -> Enrolment:
    """Start (or restart) enrolment: a new secret, its otpauth URI and QR code. Nothing is required yet.

    The password is asked again so that a session left open cannot tie the account to someone else's phone.
    """
    user = _user(uow, principal)
    _eligible(user)
    if required(user):
        raise Conflict(_('Two-step verification is already on. Turn it off first to set up another authenticator.'))
    _require_password(uow, settings, principal, user, password, 'totp.enrolment_started')
    user.totp_secret = totp.new_secret()
    audit.record(uow, 'totp.enrolment_started', actor=principal, subject_user_id=user.id)
    uow.commit()
    uri = totp.provisioning_uri(user.totp_secret, _address(user), settings.clinic_name)
    return Enrolment(secret=user.totp_secret, uri=uri, qr_data_uri=totp.qr_data_uri(uri))


def _spend_code(uow: UnitOfWork, user: User, code: str) -> int | str:
    """The step of a valid, unspent code; otherwise the message saying why not (untranslated: ``WRONG_CODE`` or
    ``USED_CODE``). Call under the audit lock."""
    assert user.totp_secret is not None
    step = totp.matching_step(user.totp_secret, code, clock.now())
    if step is None:
        return WRONG_CODE
    last = last_totp_step(uow.session, user.id, STEP_ACTIONS)
    if last is not None and step <= last:
        return USED_CODE
    return step


def _require_password(
    uow: UnitOfWork, settings: Settings, principal: Principal, user: User, password: str, action: str
) -> None:
    """Re-authentication before a change to the sign-in factors; a wrong password counts like a failed sign-in."""
    ip = principal.ip or 'unknown'
    throttling.ensure_not_throttled(uow, settings, _address(user), ip)
    if not verify_password(user.password_hash, password):
        throttling.record_failed_attempt(uow, _address(user), ip)
        audit.record(
            uow, action, actor=principal, subject_user_id=user.id, success=False, detail={'reason': 'password'}
        )
        uow.commit()
        message = _('The password is not correct.')
        raise InvalidInput(message, field_errors={'password': message})


def _checked_code(uow: UnitOfWork, settings: Settings, principal: Principal, user: User, code: str, action: str) -> int:
    """Throttle, lock, verify; a wrong code is audited and counted like a wrong password."""
    ip = principal.ip or 'unknown'
    throttling.ensure_not_throttled(uow, settings, _address(user), ip)
    audit.lock(uow.session)
    outcome = _spend_code(uow, user, code)
    if isinstance(outcome, str):
        throttling.record_failed_attempt(uow, _address(user), ip)
        audit.record(uow, action, actor=principal, subject_user_id=user.id, success=False, detail={'reason': 'code'})
        uow.commit()
        message = _(outcome)
        raise InvalidInput(message, field_errors={'code': message})
    return outcome


def _new_recovery_codes(uow: UnitOfWork, user: User) -> list[str]:
    codes = totp.new_recovery_codes()
    RecoveryCodeRepository(uow.session).replace(user.id, [totp.hash_recovery_code(c) for c in codes], at=clock.now())
    return codes


def confirm(uow: UnitOfWork, settings: Settings, principal: Principal, code: str) -> list[str]:
    """Turn the factor on with a first valid code; returns the 10 recovery codes, shown this once only."""
    user = _user(uow, principal)
    _eligible(user)
    if required(user):
        raise Conflict(_('Two-step verification is already on.'))
    if user.totp_secret is None:
        raise Conflict(_('Start the setup first: scan the QR code, then enter the code your app shows.'))
    step = _checked_code(uow, settings, principal, user, code, 'totp.enabled')
    user.totp_enabled_at = clock.now()
    codes = _new_recovery_codes(uow, user)
    audit.record(uow, 'totp.enabled', actor=principal, subject_user_id=user.id, detail={'step': step})
    uow.commit()
    return codes


def regenerate_recovery_codes(uow: UnitOfWork, settings: Settings, principal: Principal, code: str) -> list[str]:
    """Replace every recovery code (used or not) after a valid TOTP code; the new ones are shown once."""
    user = _user(uow, principal)
    if not required(user):
        raise Conflict(_('Two-step verification is off, so there are no recovery codes.'))
    step = _checked_code(uow, settings, principal, user, code, 'totp.recovery_codes_regenerated')
    codes = _new_recovery_codes(uow, user)
    audit.record(
        uow, 'totp.recovery_codes_regenerated', actor=principal, subject_user_id=user.id, detail={'step': step}
    )
    uow.commit()
    return codes


def disable(uow: UnitOfWork, settings: Settings, principal: Principal, password: str, code: str) -> None:
    """Turn the factor off: needs the password and a current code (or a recovery code)."""
    user = _user(uow, principal)
    if user.totp_secret is None:
        raise Conflict(_('Two-step verification is already off.'))
    ip = principal.ip or 'unknown'
    _require_password(uow, settings, principal, user, password, 'totp.disabled')
    detail: dict[str, object]
    if not required(user):  # an unfinished enrolment: the password is enough to drop it
        detail = {'pending': True}
    elif totp.clean_code(code) is None and totp.looks_like_recovery_code(code):
        audit.lock(uow.session)
        if not RecoveryCodeRepository(uow.session).spend(user.id, totp.hash_recovery_code(code), at=clock.now()):
            throttling.record_failed_attempt(uow, _address(user), ip)
            audit.record(
                uow,
                'totp.disabled',
                actor=principal,
                subject_user_id=user.id,
                success=False,
                detail={'reason': 'recovery_code'},
            )
            uow.commit()
            message = _(WRONG_RECOVERY_CODE)
            raise InvalidInput(message, field_errors={'code': message})
        detail = {'method': 'recovery_code'}
    else:
        detail = {'method': 'totp', 'step': _checked_code(uow, settings, principal, user, code, 'totp.disabled')}
    user.totp_secret = None
    user.totp_enabled_at = None
    RecoveryCodeRepository(uow.session).remove_all(user.id)
    audit.record(uow, 'totp.disabled', actor=principal, subject_user_id=user.id, detail=detail)
    uow.commit()


def check_login(uow: UnitOfWork, user: User, *, totp_code: str | None, recovery_code: str | None, ip: str) -> None:
    """The second step of signing in, after a correct password. Wrong codes count as failed sign-ins."""
    totp_code, recovery_code = (totp_code or '').strip(), (recovery_code or '').strip()
    if not totp_code and not recovery_code:
        raise SecondFactorRequired(_(CODE_REQUIRED), field_errors={'totp_code': _('Enter the 6-digit code.')})
    role = str(user.role)
    audit.lock(uow.session)
    if totp_code:
        outcome = _spend_code(uow, user, totp_code)
        if not isinstance(outcome, str):
            audit.record(
                uow,
                'login.totp',
                actor_id=user.id,
                actor_role=role,
                ip=ip,
                subject_user_id=user.id,
                detail={'step': outcome},
            )
            return
        message, reason = (outcome if outcome == USED_CODE else WRONG_LOGIN_CODE), 'totp'
    else:
        repository = RecoveryCodeRepository(uow.session)
        if repository.spend(user.id, totp.hash_recovery_code(recovery_code), at=clock.now()):
            audit.record(
                uow,
                'login.recovery_code',
                actor_id=user.id,
                actor_role=role,
                ip=ip,
                subject_user_id=user.id,
                detail={'left': repository.unused_count(user.id)},
            )
            return
        message, reason = WRONG_RECOVERY_CODE, 'recovery_code'
    throttling.record_failed_attempt(uow, _address(user), ip)
    audit.record(
        uow,
        'login.failed',
        actor_id=user.id,
        actor_role=role,
        ip=ip,
        subject_user_id=user.id,
        success=False,
        detail={'reason': reason},
    )
    uow.commit()
    raise InvalidCredentials(_(message))


def reset_by_operator(uow: UnitOfWork, email: str) -> bool:
    """Turn the factor off for an account whose owner lost phone and codes (``python main.py totp-reset``).

    Run by someone with shell access to the server, after checking the person's identity out of band; audited.
    """
    user = uow.users.by_email(email)
    if user is None or user.totp_secret is None:
        return False
    user.totp_secret = None
    user.totp_enabled_at = None
    RecoveryCodeRepository(uow.session).remove_all(user.id)
    audit.record(uow, 'totp.reset', actor_role='operator', subject_user_id=user.id, detail={'via': 'cli'})
    uow.commit()
    return True
