"""The signed-in user of a page: a server-side session whose token lives in NiceGUI's per-browser storage."""

from __future__ import annotations

from nicegui import app, context

from hms import i18n
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import AccountBlocked, DomainError, NotAuthenticated
from hms.domain.schemas import Credentials
from hms.services import accounts, preferences
from hms.services.principal import Principal

from .i18n import language, remember
from .services import call

TOKEN_KEY = 'session_token'  # noqa: S105 - a storage key, not a secret
FLASH_KEY = 'flash'

HOME_BY_ROLE = {Role.ADMIN: '/admin', Role.DOCTOR: '/doctor', Role.PATIENT: '/patient'}
CHANGE_PASSWORD_PATH = '/change-password'  # noqa: S105 - a path, not a secret


def client_ip() -> str:
    try:
        return context.client.ip or 'unknown'
    except RuntimeError:
        return 'unknown'


async def current_principal(*, touch: bool = True) -> Principal | None:
    """The signed-in user, or None (and the reason kept for the login page) when the session has ended."""
    token = app.storage.user.get(TOKEN_KEY)
    if not token:
        return None
    try:
        return await call(accounts.authenticate, token, kind=SessionKind.WEB, ip=client_ip(), touch=touch)
    except (NotAuthenticated, AccountBlocked) as error:
        app.storage.user.pop(TOKEN_KEY, None)
        app.storage.user[FLASH_KEY] = error.message
        return None


async def sign_in(
    email: str, password: str, *, totp_code: str | None = None, recovery_code: str | None = None
) -> Principal:
    """Check the credentials (and the second step's code, for accounts that have one) and bind a brand-new server
    session to this browser, which from now on speaks the account's language."""
    result = await call(
        accounts.login,
        Credentials(email=email, password=password),
        ip=client_ip(),
        kind=SessionKind.WEB,
        totp_code=totp_code,
        recovery_code=recovery_code,
    )
    app.storage.user[TOKEN_KEY] = result.token
    await _speak_the_accounts_language(result.principal)
    return result.principal


async def _speak_the_accounts_language(principal: Principal) -> None:
    """The account's language wins over the one chosen on the sign-in page (the frame checks again on every page);
    the pseudo-locale, a developer's view, stays."""
    if language() == i18n.PSEUDO:
        return
    try:
        chosen = await call(preferences.get, principal)
    except DomainError:
        return
    if chosen.language is not None:  # no choice on the account: the browser's stays
        remember(chosen.language)


async def sign_out() -> None:
    token = app.storage.user.pop(TOKEN_KEY, None)
    await call(accounts.logout, token, ip=client_ip())


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
