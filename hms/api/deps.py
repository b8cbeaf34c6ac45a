"""Dependencies shared by every route: the context, the client address and the authenticated principal; and the
steps many routes take alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hms import context
from hms.context import AppContext
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import NotAllowed
from hms.i18n import _
from hms.security.addresses import client_address, parse_networks
from hms.services import accounts
from hms.services.principal import Principal

T = TypeVar('T')

_bearer = HTTPBearer(auto_error=False, description='The `access_token` from `POST /api/login`.')


def app_context() -> AppContext:
    return context.get()


def client_ip(request: Request, ctx: Annotated[AppContext, Depends(app_context)]) -> str:
    """The caller's address: ``X-Forwarded-For`` counts only when the peer is one of ``HMS_TRUSTED_PROXIES``."""
    proxies = parse_networks(ctx.settings.trusted_proxies)
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist('x-forwarded-for'), proxies)


def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    return credentials.credentials if credentials else None


def signed_in_user(
    ctx: Annotated[AppContext, Depends(app_context)],
    token: Annotated[str | None, Depends(bearer_token)],
    ip: Annotated[str, Depends(client_ip)],
) -> Principal:
    """The caller, from a valid bearer token, even one who must still change a one-time password (the routes that
    change it, sign out and read one's own account)."""
    cached = accounts.cached_principal(ctx.sessions, token, kind=SessionKind.API, ip=ip)
    if cached is not None:  # verified moments ago in this process; an ended session is announced at once
        return cached
    with ctx.uow() as uow:
        return accounts.authenticate(uow, ctx.settings, token, kind=SessionKind.API, ip=ip, sessions=ctx.sessions)


def current_user(principal: Annotated[Principal, Depends(signed_in_user)]) -> Principal:
    """The caller, from a valid bearer token; 401 otherwise, 403 for a blacklisted account and for one that must
    change its one-time password first."""
    return accounts.ensure_password_settled(principal)


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only the given roles (403 for the others)."""

    def check(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
        if principal.role not in roles:
            raise NotAllowed(_('Your role does not give access to this resource.'))
        return principal

    return check


CurrentUser = Annotated[Principal, Depends(current_user)]
SignedInUser = Annotated[Principal, Depends(signed_in_user)]
Context = Annotated[AppContext, Depends(app_context)]
ClientIp = Annotated[str, Depends(client_ip)]
AdminUser = Annotated[Principal, Depends(require_role(Role.ADMIN))]
DoctorUser = Annotated[Principal, Depends(require_role(Role.DOCTOR))]
PatientUser = Annotated[Principal, Depends(require_role(Role.PATIENT))]


def from_cache(response: Response, found: tuple[T, bool]) -> T:
    """The answer of a cached read, saying in `X-Cache` whether it came from the cache (HIT) or not (MISS)."""
    value, hit = found
    response.headers['X-Cache'] = 'HIT' if hit else 'MISS'
    return value
