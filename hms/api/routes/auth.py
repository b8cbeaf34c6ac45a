"""Registration, login, logout and the caller's own account."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from hms.api.deps import ClientIp, Context, CurrentUser, SignedInUser, bearer_token
from hms.api.problems import Responses, problem_responses
from hms.api.schemas import MeOut, Message, TokenOut, ViewModel
from hms.domain.enums import SessionKind
from hms.domain.schemas import (
    Command,
    Credentials,
    EmailVerification,
    PasswordChange,
    PasswordReset,
    PasswordResetRequest,
    PatientRegistration,
)
from hms.i18n import _
from hms.services import account_links, accounts, two_factor

router = APIRouter(tags=['account'])

_PROBLEMS: Responses = {401: {'description': 'Not signed in'}, 403: {'description': 'Account deactivated'}}


@router.post(
    '/register',
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(
        422, 429, described={422: 'Invalid fields', 429: 'Too many registrations from this address; see Retry-After'}
    ),
)
def register(body: PatientRegistration, ctx: Context, ip: ClientIp) -> Message:
    """Register a new patient (staff accounts are created by the administrator). The answer is the same whether or
    not the address has an account already: a new patient can sign in now, an existing owner is emailed instead."""
    with ctx.uow() as uow:
        accounts.register_patient(uow, ctx.settings, body, ip=ip, tasks=ctx.tasks)
    return Message(detail=accounts.registered_message(ctx.settings))


@router.post('/password-reset', status_code=status.HTTP_202_ACCEPTED, responses=problem_responses(422))
def password_reset(body: PasswordResetRequest, ctx: Context, ip: ClientIp) -> Message:
    """Ask for a password-reset link by email. The answer is the same for every address, known or not: the
    owner of an account gets a single-use link valid for ``HMS_RESET_MINUTES``."""
    account_links.request_reset(ctx.uow, ctx.settings, ctx.tasks, body.email, ip=ip)
    return Message(detail=_(account_links.RESET_SENT))


@router.post(
    '/password-reset/confirm',
    responses=problem_responses(
        400, 422, described={400: 'The link was used already, has expired or does not exist', 422: 'Invalid fields'}
    ),
)
def password_reset_confirm(body: PasswordReset, ctx: Context, ip: ClientIp) -> Message:
    """Set a new password with the token from a reset link. Every session of the account ends; it does not sign
    in (the next sign-in asks for the second factor as usual)."""
    account_links.confirm_reset(ctx.uow, ctx.settings, ctx.tasks, body, ip=ip)
    return Message(detail=_(account_links.PASSWORD_RESET))


@router.post(
    '/verify-email',
    responses=problem_responses(
        400, 422, described={400: 'The link was used already, has expired or does not exist', 422: 'Invalid fields'}
    ),
)
def verify_email(body: EmailVerification, ctx: Context, ip: ClientIp) -> Message:
    """Confirm a new account's address with the token from its verification email (``HMS_VERIFY_EMAIL``); the
    account can sign in from now on. The same single-use token as the page ``/verify/{token}``."""
    with ctx.uow() as uow:
        account_links.verify_email(uow, body.token, ip=ip)
    return Message(detail=_(account_links.ADDRESS_CONFIRMED))


Code = Field(min_length=1, max_length=64)


class LoginIn(Credentials):
    totp_code: str | None = Field(default=None, max_length=64, description='6-digit code, when the account has 2FA')
    recovery_code: str | None = Field(default=None, max_length=64, description='a one-time recovery code instead')


_LOGIN_PROBLEMS = problem_responses(
    401,
    403,
    422,
    429,
    described={
        401: 'Wrong credentials or code, or a second-factor code is required (title "Second factor required")',
        403: 'Account deactivated',
        429: 'Too many attempts; see Retry-After',
    },
)


@router.post('/login', responses=_LOGIN_PROBLEMS)
def login(body: LoginIn, ctx: Context, ip: ClientIp) -> TokenOut:
    """Exchange email and password (and the second-factor code, if the account has one) for a bearer token."""
    credentials = Credentials(email=body.email, password=body.password)
    with ctx.uow() as uow:
        result = accounts.login(
            uow,
            ctx.settings,
            credentials,
            ip=ip,
            kind=SessionKind.API,
            totp_code=body.totp_code,
            recovery_code=body.recovery_code,
        )
    user = result.principal
    return TokenOut(access_token=result.token, role=user.role, user_id=user.user_id, expires_at=result.expires_at)


@router.post('/logout', responses=_PROBLEMS)
def logout(principal: SignedInUser, ctx: Context, ip: ClientIp, token: str | None = Depends(bearer_token)) -> Message:
    """Revoke the token used for this call."""
    with ctx.uow() as uow:
        accounts.logout(uow, token, ip=ip)
    return Message(detail=_('Signed out.'))


@router.get('/me', responses=_PROBLEMS)
def me(principal: SignedInUser) -> MeOut:
    return MeOut.from_view(principal)


@router.post('/me/password', responses={**_PROBLEMS, 422: {'description': 'Invalid fields'}})
def change_password(body: PasswordChange, principal: SignedInUser, ctx: Context) -> Message:
    """Change the caller's password; their other sessions and tokens end."""
    with ctx.uow() as uow:
        accounts.change_password(uow, principal, body)
    return Message(detail=_('Password changed.'))


# --- Second factor (administrators, doctors and receptionists) -------------------------------------------------------

_TOTP_DESCRIPTIONS = {
    403: 'Two-step verification is for staff: administrators, doctors and receptionists',
    409: 'Not possible in the current state (already on, already off, not started)',
    422: 'Wrong code or password; `errors` names the field',
    429: 'Too many wrong codes or passwords; see Retry-After',
}
_TOTP_CHANGE = problem_responses(401, 403, 409, 422, 429, described=_TOTP_DESCRIPTIONS)
totp = APIRouter(prefix='/auth/totp', tags=['two-factor'])


class TotpStatusOut(ViewModel):
    eligible: bool
    enabled: bool
    pending: bool
    enabled_at: datetime | None
    recovery_codes_left: int


class TotpSetupOut(ViewModel):
    # Differs: the enrolment's `uri` and `qr_data_uri`, named for what they hold.
    secret: str = Field(description='base32, for typing into the app when the QR code cannot be scanned')
    otpauth_uri: str = Field(validation_alias='uri')
    qr_svg_data_uri: str = Field(validation_alias='qr_data_uri')


class CodeIn(Command):
    code: str = Code


class SetupIn(Command):
    password: str = Field(min_length=1, max_length=512, description='the account password, asked again')


class DisableIn(Command):
    password: str = Field(min_length=1, max_length=512)
    code: str = Field(min_length=1, max_length=64, description='a current 6-digit code or a recovery code')


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description='shown this once only; each works once')
    detail: str


@totp.get('', responses=problem_responses(401))
def totp_status(principal: CurrentUser, ctx: Context) -> TotpStatusOut:
    with ctx.uow() as uow:
        return TotpStatusOut.from_view(two_factor.status(uow, principal))


@totp.post('/setup', responses=_TOTP_CHANGE)
def totp_setup(body: SetupIn, principal: CurrentUser, ctx: Context) -> TotpSetupOut:
    """Start enrolment (the password again): add the secret to an authenticator app, then confirm with a code."""
    with ctx.uow() as uow:
        return TotpSetupOut.from_view(two_factor.begin(uow, ctx.settings, principal, body.password))


@totp.post('/confirm', responses=_TOTP_CHANGE)
def totp_confirm(body: CodeIn, principal: CurrentUser, ctx: Context) -> RecoveryCodesOut:
    """Turn two-step verification on with the first code the app shows."""
    with ctx.uow() as uow:
        codes = two_factor.confirm(uow, ctx.settings, principal, body.code)
    return RecoveryCodesOut(recovery_codes=codes, detail=_('Two-step verification is on. Keep these codes safe.'))


@totp.post('/disable', responses=_TOTP_CHANGE)
def totp_disable(body: DisableIn, principal: CurrentUser, ctx: Context) -> Message:
    with ctx.uow() as uow:
        two_factor.disable(uow, ctx.settings, principal, body.password, body.code)
    return Message(detail=_('Two-step verification is off.'))


@totp.post('/recovery-codes', responses=_TOTP_CHANGE)
def totp_recovery_codes(body: CodeIn, principal: CurrentUser, ctx: Context) -> RecoveryCodesOut:
    """Replace all recovery codes; the old ones stop working."""
    with ctx.uow() as uow:
        codes = two_factor.regenerate_recovery_codes(uow, ctx.settings, principal, body.code)
    return RecoveryCodesOut(recovery_codes=codes, detail=_('New recovery codes; the old ones no longer work.'))


router.include_router(totp)
