"""Registration, login, logout and the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from hms.api.deps import ClientIp, Context, CurrentUser, bearer_token
from hms.api.schemas import MeOut, Message, RegisteredOut, TokenOut
from hms.domain.enums import SessionKind
from hms.domain.schemas import Credentials, PasswordChange, PatientRegistration
from hms.services import accounts

router = APIRouter(tags=['account'])

_PROBLEMS = {401: {'description': 'Not signed in'}, 403: {'description': 'Account deactivated'}}


@router.post(
    '/register',
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredOut,
    responses={409: {'description': 'Email already registered'}, 422: {'description': 'Invalid fields'}},
)
def register(body: PatientRegistration, ctx: Context, ip: ClientIp) -> RegisteredOut:
    """Register a new patient (staff accounts are created by the administrator)."""
    with ctx.uow() as uow:
        user = accounts.register_patient(uow, body, ip=ip)
        return RegisteredOut(user_id=user.id, email=user.email, role=user.role, name=user.name)


@router.post('/login', response_model=TokenOut, responses={**_PROBLEMS, 429: {'description': 'Too many attempts'}})
def login(body: Credentials, ctx: Context, ip: ClientIp) -> TokenOut:
    """Exchange email and password for an opaque bearer token."""
    with ctx.uow() as uow:
        result = accounts.login(uow, ctx.settings, body, ip=ip, kind=SessionKind.API)
    return TokenOut(
        access_token=result.token,
        role=result.principal.role,
        user_id=result.principal.user_id,
        expires_at=result.expires_at,
    )


@router.post('/logout', response_model=Message, responses=_PROBLEMS)
def logout(principal: CurrentUser, ctx: Context, ip: ClientIp, token: str | None = Depends(bearer_token)) -> Message:
    """Revoke the token used for this call."""
    with ctx.uow() as uow:
        accounts.logout(uow, token, ip=ip)
    return Message(detail='Signed out.')


@router.get('/me', response_model=MeOut, responses=_PROBLEMS)
def me(principal: CurrentUser) -> MeOut:
    return MeOut(
        user_id=principal.user_id,
        email=principal.email,
        role=principal.role,
        name=principal.name,
        must_change_password=principal.must_change_password,
    )


@router.post('/me/password', response_model=Message, responses={**_PROBLEMS, 422: {'description': 'Invalid fields'}})
def change_password(body: PasswordChange, principal: CurrentUser, ctx: Context) -> Message:
    """Change the caller's password; their other sessions and tokens end."""
    with ctx.uow() as uow:
        accounts.change_password(uow, principal, body)
    return Message(detail='Password changed.')
