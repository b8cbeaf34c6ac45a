"""The signed-in user of a page: a server-side session whose token lives in NiceGUI's per-browser storage."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi.responses import RedirectResponse
from nicegui import app, context, run

from hms import context as app_context
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import AccountBlocked, NotAuthenticated
from hms.domain.schemas import Credentials
from hms.services import accounts
from hms.services.principal import Principal

TOKEN_KEY = 'session_token'  # noqa: S105 - a storage key, not a secret
FLASH_KEY = 'flash'

HOME_BY_ROLE = {Role.ADMIN: '/admin', Role.DOCTOR: '/doctor', Role.PATIENT: '/patient'}
CHANGE_PASSWORD_PATH = '/change-password'  # noqa: S105 - a path, not a secret


def client_ip() -> str:
    try:
        return context.client.ip or 'unknown'
    except RuntimeError:
        return 'unknown'


def _authenticate(token: str, ip: str, touch: bool) -> Principal:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return accounts.authenticate(uow, ctx.settings, token, kind=SessionKind.WEB, ip=ip, touch=touch)


async def current_principal(*, touch: bool = True) -> Principal | None:
    """The signed-in user, or None (and the reason kept for the login page) when the session has ended."""
    token = app.storage.user.get(TOKEN_KEY)
    if not token:
        return None
    try:
        return await run.io_bound(_authenticate, token, client_ip(), touch)
    except (NotAuthenticated, AccountBlocked) as error:
        app.storage.user.pop(TOKEN_KEY, None)
        app.storage.user[FLASH_KEY] = error.message
        return None


def _login(email: str, password: str, ip: str) -> accounts.LoginResult:
    ctx = app_context.get()
    with ctx.uow() as uow:
        return accounts.login(
            uow, ctx.settings, Credentials(email=email, password=password), ip=ip, kind=SessionKind.WEB
        )


async def sign_in(email: str, password: str) -> Principal:
    """Check the credentials and bind a brand-new server session to this browser."""
    result = await run.io_bound(_login, email, password, client_ip())
    app.storage.user[TOKEN_KEY] = result.token
    return result.principal


def _logout(token: str | None, ip: str) -> None:
    ctx = app_context.get()
    with ctx.uow() as uow:
        accounts.logout(uow, token, ip=ip)


async def sign_out() -> None:
    token = app.storage.user.pop(TOKEN_KEY, None)
    await run.io_bound(_logout, token, client_ip())


def take_flash() -> str | None:
    return app.storage.user.pop(FLASH_KEY, None)


def home_of(principal: Principal) -> str:
    if principal.must_change_password:
        return CHANGE_PASSWORD_PATH
    return HOME_BY_ROLE[principal.role]


def safe_next(path: str | None) -> str | None:
    """Only same-site relative paths are followed after login (no open redirects)."""
    if path and path.startswith('/') and not path.startswith('//') and '\\' not in path:
        return path
    return None


@dataclass(frozen=True)
class Access:
    """What a page learns from its guard: the principal, or where to send the visitor instead."""

    principal: Principal | None = None
    redirect: RedirectResponse | None = None
    forbidden: bool = False


async def page_access(path: str, *roles: Role, allow_password_change_pending: bool = False) -> Access:
    """Check the session and the role where the page is built (sub-page navigation bypasses middleware)."""
    principal = await current_principal()
    if principal is None:
        return Access(redirect=RedirectResponse(f'/login?next={quote(path)}', status_code=303))
    if principal.must_change_password and not allow_password_change_pending:
        return Access(redirect=RedirectResponse(CHANGE_PASSWORD_PATH, status_code=303))
    if roles and principal.role not in roles:
        return Access(principal=principal, forbidden=True)
    return Access(principal=principal)
