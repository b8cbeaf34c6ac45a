"""The signed-in user of a page: a server-side session whose raw token lives only in this browser's HttpOnly cookie.

The server keeps the token's SHA-256 (the sessions table), never the token: nothing on disk — the database, NiceGUI's
per-browser storage files — lets a reader act as a signed-in user. Signing in happens in a socket event, which cannot
set a cookie, so the page hands the new token over through ``BEGIN_PATH``: a one-time code, kept in this process's
memory for seconds and bound to the browser that asked, is exchanged there for the cookie. That exchange and the one
after signing out (``END_PATH``) also give the browser a new NiceGUI id, so no identifier outlives a sign-in or a
sign-out (no session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, context, ui

from hms import context as app_context
from hms import i18n
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import AccountBlocked, DomainError, NotAuthenticated
from hms.domain.schemas import Credentials
from hms.security.addresses import UNKNOWN, client_address, parse_networks
from hms.services import accounts, preferences
from hms.services.principal import Principal

from .i18n import LANGUAGE_KEY, language, remember
from .services import call

SESSION_COOKIE = 'hms_session'
FLASH_KEY = 'flash'
ENDED_KEY = 'ended_session'  # the SHA-256 of the cookie's ended session, never the token
BEGIN_PATH = '/session/begin'
END_PATH = '/session/end'
HANDOVER_SECONDS = 30

HOME_BY_ROLE = {Role.ADMIN: '/admin', Role.DOCTOR: '/doctor', Role.PATIENT: '/patient', Role.RECEPTION: '/reception'}
FORGOT_PATH = '/forgot'  # asks for a password-reset link (pages/account/recovery.py)
CHANGE_PASSWORD_PATH = '/change-password'  # noqa: S105 - a path, not a secret
_KEPT_ACROSS_IDS = (LANGUAGE_KEY, FLASH_KEY)  # what a new browser id takes over: nothing that signs anyone in


def request_client_ip(request: Request) -> str:
    """The client's address for this request, believing ``X-Forwarded-For`` only from a configured proxy."""
    proxies = parse_networks(app_context.get().settings.trusted_proxies)
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist('x-forwarded-for'), proxies)


def _page_request() -> Request | None:
    try:
        return context.client.request
    except (RuntimeError, AttributeError):
        return None


def client_ip() -> str:
    request = _page_request()
    return request_client_ip(request) if request is not None else UNKNOWN


def session_token(request: Request | None = None) -> str | None:
    """The raw token of this browser's session (from its cookie), or None when it has none."""
    request = request or _page_request()
    return request.cookies.get(SESSION_COOKIE) if request is not None else None


async def current_principal(*, touch: bool = True) -> Principal | None:
    """The signed-in user, or None (and the reason kept for the login page) when the session has ended."""
    token = session_token()
    if not token:
        return None
    ended = _digest(token)
    if app.storage.user.get(ENDED_KEY) == ended:
        return None  # the browser keeps an ended session's cookie until it signs in: its reason was told once
    sessions = app_context.get().sessions
    ip = client_ip()
    if touch:
        cached = accounts.cached_principal(sessions, token, kind=SessionKind.WEB, ip=ip)
        if cached is not None:  # verified moments ago in this process, no database round trip
            return cached
    try:
        return await call(accounts.authenticate, token, kind=SessionKind.WEB, ip=ip, touch=touch, sessions=sessions)
    except (NotAuthenticated, AccountBlocked) as error:
        app.storage.user[FLASH_KEY] = error.message
        app.storage.user[ENDED_KEY] = ended
        return None


# --- Handing a new session to the browser ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Handover:
    token: str
    browser_id: str
    max_age: int
    expires: float


_handovers: dict[str, _Handover] = {}
_handovers_lock = threading.Lock()


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _browser_id() -> str:
    request = _page_request()
    return str(request.session.get('id', '')) if request is not None else ''


def hand_over(token: str, max_age: int, next_path: str) -> str:
    """Where to send this browser to receive ``token`` as its cookie: a one-time code bound to this browser."""
    code = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _handovers_lock:
        for key in [key for key, handover in _handovers.items() if handover.expires < now]:
            del _handovers[key]
        _handovers[_digest(code)] = _Handover(token, _browser_id(), max_age, now + HANDOVER_SECONDS)
    return f'{BEGIN_PATH}?code={code}&next={safe_next(next_path) or "/"}'


def _take_handover(code: str, browser_id: str) -> _Handover | None:
    with _handovers_lock:
        handover = _handovers.pop(_digest(code), None)
    if handover is None or handover.expires < time.monotonic() or handover.browser_id != browser_id:
        return None  # another browser's code (a planted sign-in link) or a stale one: no session
    return handover


async def _new_browser_id(request: Request) -> None:
    """Give the browser a fresh NiceGUI id (sent with this response's session cookie), keeping its language."""
    kept: dict[str, Any] = {key: app.storage.user[key] for key in _KEPT_ACROSS_IDS if key in app.storage.user}
    for key in [key for key in app.storage.user if key not in _KEPT_ACROSS_IDS]:  # the old id keeps nothing else;
        del app.storage.user[key]  # its language stays for whatever still runs under it (the page being left)
    new_id = str(uuid.uuid4())
    request.session['id'] = new_id
    # NiceGUI creates a browser's storage on its first request; this one must exist now to take over the language.
    await app.storage._create_user_storage(new_id)  # NiceGUI has no public way to create it early
    app.storage._users[new_id].update(kept)


def _cookie_options() -> dict[str, Any]:
    secure = app_context.get().settings.cookies_secure
    return {'httponly': True, 'samesite': 'lax', 'secure': secure, 'path': '/'}


async def begin(request: Request, code: str, next_path: str) -> RedirectResponse:
    """The browser comes back with its code: the session's token becomes its cookie, under a new browser id."""
    handover = _take_handover(code, str(request.session.get('id', '')))
    if handover is None:
        return RedirectResponse('/login', status_code=303)
    await _new_browser_id(request)
    response = RedirectResponse(safe_next(next_path) or '/', status_code=303)
    response.set_cookie(SESSION_COOKIE, handover.token, max_age=handover.max_age, **_cookie_options())
    return response


async def end(request: Request) -> RedirectResponse:
    """After signing out: forget the ended session's cookie and the browser id. A live session is left alone, so a
    link or an image on another site cannot sign anyone out by pointing here."""
    token = session_token(request)
    if token:
        ip = request_client_ip(request)
        try:
            await call(accounts.authenticate, token, kind=SessionKind.WEB, ip=ip, touch=False)
            return RedirectResponse('/', status_code=303)
        except DomainError:
            pass
    await _new_browser_id(request)
    response = RedirectResponse('/login', status_code=303)
    response.delete_cookie(SESSION_COOKIE, **_cookie_options())
    return response


# --- Signing in and out ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    handover_path: str  # where to send the browser next: it receives the session there


async def sign_in(
    email: str,
    password: str,
    *,
    totp_code: str | None = None,
    recovery_code: str | None = None,
    next_path: str | None = None,
) -> SignedIn:
    """Check the credentials (and the second step's code, for accounts that have one) and open a brand-new server
    session, handed to this browser by navigating to ``handover_path``; the browser speaks the account's language."""
    result = await call(
        accounts.login,
        Credentials(email=email, password=password),
        ip=client_ip(),
        kind=SessionKind.WEB,
        totp_code=totp_code,
        recovery_code=recovery_code,
    )
    await _speak_the_accounts_language(result.principal)
    principal = result.principal
    target = next_path if next_path and not principal.must_change_password else home_of(principal)
    max_age = app_context.get().settings.session_absolute_hours * 3600
    return SignedIn(principal, hand_over(result.token, max_age, target))


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
    """The sign-out control (a socket event, which no link or image of another site can send): end the session on
    the server, then send the browser where it drops its cookie."""
    await call(accounts.logout, session_token(), ip=client_ip())
    ui.navigate.to(END_PATH)


def take_flash() -> str | None:
    return app.storage.user.pop(FLASH_KEY, None)


def home_of(principal: Principal) -> str:
    if principal.must_change_password:
        return CHANGE_PASSWORD_PATH
    return HOME_BY_ROLE[principal.role]


def safe_next(path: str | None) -> str | None:
    """A path on this site to go to after signing in, or None. Browsers read ``//host``, ``/\\host``, ``/%09/host``
    and the like as another origin (they drop tabs and line breaks, turn backslashes into slashes, and some decode
    before parsing), so only a plain absolute path of printable ASCII that cannot start a network path is followed."""
    if not path or not path.startswith('/') or len(path) > 2000:
        return None
    if any(not ('!' <= ch <= '~') for ch in path):  # spaces, controls, non-ASCII (e.g. fullwidth solidus)
        return None
    if '\\' in path or '%' in path[:4]:  # backslashes anywhere; encoded characters where a host could start
        return None
    lowered = path.lower()
    if lowered.startswith('//') or '%5c' in lowered or '%2f%2f' in lowered:
        return None
    return path
