"""One-tap links in messages (``/a/<token>``): signed, single-purpose tokens that let whoever holds the message do one
thing to one subject without signing in: confirm, cancel or reschedule an appointment, accept a waitlist offer, take
a rescue slot.

A token carries its claims (the action, the subject's id, the subject's version when the link was made, when it
expires, and an optional small ``extra`` dict) and an HMAC over them with a key derived from the server's secret;
nothing is stored when a link is made. Checking a token says why it no longer works, in this order:

- ``tampered``: not a token this server signed (cut short, changed, or naming an action nobody registered);
- ``used``: it was used already (its SHA-256 is in ``action_link_uses``, inserted once: of two uses at the same moment
  the primary key lets one win, the other gets a 409);
- ``expired``: its time is up (an appointment's links expire at its start);
- ``superseded``: the subject changed since the link was made (its version, e.g. an appointment's iCalendar
  ``sequence``, moved on), or no longer exists.

Reading a link (GET, the page) changes nothing, so mail scanners that open links do no harm; only ``perform`` (POST,
the page's one button) acts. Each action is a handler registered with ``register_action``: it tells the subject's
current version, describes the subject for the page, and performs the action through the services that own its
rules (it re-checks the version under the subject's lock with ``require_version``).

Handlers live in the modules named in ``HANDLER_MODULES``, imported on first use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from hms import clock
from hms.config import Settings
from hms.db import action_links as uses
from hms.db.errors import CONSTRAINT_VIOLATION
from hms.db.uow import UnitOfWork
from hms.domain.errors import Conflict, DomainError
from hms.i18n import N_, _
from hms.security.tokens import hash_token

PATH = '/a/'
# The modules whose import registers their actions (each calls ``register_action`` at import time).
HANDLER_MODULES: list[str] = ['hms.services.appointment_actions', 'hms.services.offers', 'hms.services.rescue']
_KEY_LABEL = b'hms action link'


class Reason(StrEnum):
    TAMPERED = 'tampered'
    USED = 'used'
    EXPIRED = 'expired'
    SUPERSEDED = 'superseded'


EXPLANATIONS: dict[Reason, str] = {
    Reason.TAMPERED: N_(
        'This link does not work: it may have been cut short or changed on the way. Open it again from your email, '
        'or sign in.'
    ),
    Reason.USED: N_('This link has already been used. Sign in to see where things stand.'),
    Reason.EXPIRED: N_('This link has expired. Sign in to see where things stand.'),
    Reason.SUPERSEDED: N_(
        'This link no longer works because the appointment changed after it was sent. Sign in to see it as it is now.'
    ),
}


class LinkNotUsable(DomainError):
    """A link that cannot be used; ``reason`` says why (the API's problem code is ``link_<reason>``)."""

    status_code = 409
    title = N_('Link not usable')
    reason: Reason = Reason.TAMPERED

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message if message is not None else _(EXPLANATIONS[self.reason]))


class LinkTampered(LinkNotUsable):
    status_code = 400
    title = N_('Link not valid')
    reason = Reason.TAMPERED


class LinkUsed(LinkNotUsable, Conflict):
    status_code = 409
    title = N_('Link already used')
    reason = Reason.USED


class LinkExpired(LinkNotUsable):
    status_code = 410
    title = N_('Link expired')
    reason = Reason.EXPIRED


class LinkSuperseded(LinkNotUsable, Conflict):
    status_code = 409
    title = N_('Link superseded')
    reason = Reason.SUPERSEDED


_ERRORS: dict[Reason, type[LinkNotUsable]] = {
    Reason.TAMPERED: LinkTampered,
    Reason.USED: LinkUsed,
    Reason.EXPIRED: LinkExpired,
    Reason.SUPERSEDED: LinkSuperseded,
}


@dataclass(frozen=True)
class Claims:
    """What a link allows: ``action`` on ``subject_id`` while it is at ``version``, until ``expires_at``."""

    action: str
    subject_id: int
    version: int
    expires_at: datetime
    extra: Mapping[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkAppointment:
    """An appointment as a link shows it to whoever holds the link: no reason for the visit, no clinical detail."""

    id: int | None
    doctor_id: int
    doctor_name: str
    department_name: str
    start: datetime
    end: datetime
    status: str
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class Description:
    """What a handler shows for its subject: the appointment (or the offered slot), the free slots to choose from
    (reschedule) and anything else small and JSON-friendly in ``extra``."""

    appointment: LinkAppointment | None = None
    slots: list[tuple[datetime, datetime]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What performing an action did: a sentence for the person, and the subject afterwards."""

    message: str
    appointment: LinkAppointment | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ActionHandler(Protocol):
    def version(self, uow: UnitOfWork, subject_id: int) -> int | None:
        """The subject's current version; None when it no longer exists (the link is then superseded)."""

    def describe(self, uow: UnitOfWork, settings: Settings, claims: Claims, *, valid: bool) -> Description:
        """The subject for the page and the GET (reads only)."""

    def perform(self, uow: UnitOfWork, settings: Settings, claims: Claims, body: Mapping[str, Any]) -> Outcome:
        """Do the action (through the services that own its rules) and commit; call ``require_version`` once the
        subject is locked. The link's use is recorded in the same transaction, so a refusal leaves it usable."""


@dataclass(frozen=True)
class LinkState:
    """A link read without acting on it: its action, whether it can be used, why not, and its subject."""

    action: str | None
    valid: bool
    reason: Reason | None
    message: str | None
    description: Description
    claims: Claims | None = None


_handlers: dict[str, ActionHandler] = {}
_imported: set[str] = set()


def register_action(name: str, handler: ActionHandler) -> None:
    """Make ``name`` an action links can carry (at most 20 characters, the column's width)."""
    if len(name) > 20:
        raise ValueError(f'action name too long: {name!r}')
    _handlers[name] = handler


def handler(name: str) -> ActionHandler | None:
    for module in HANDLER_MODULES:
        if module not in _imported:
            importlib.import_module(module)
            _imported.add(module)
    return _handlers.get(name)


# --- tokens -------------------------------------------------------------------------------------------------------


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.effective_storage_secret().encode(), _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def make_token(settings: Settings, claims: Claims) -> str:
    body = {
        'a': claims.action,
        's': claims.subject_id,
        'v': claims.version,
        'e': int(claims.expires_at.timestamp()),
    }
    if claims.extra:
        body['x'] = dict(claims.extra)
    payload = _b64(json.dumps(body, separators=(',', ':'), sort_keys=True).encode())
    signature = _b64(hmac.new(_key(settings), payload.encode('ascii'), hashlib.sha256).digest())
    return f'{payload}.{signature}'


def make_link(
    settings: Settings,
    action: str,
    subject_id: int,
    version: int,
    expires_at: datetime,
    extra: Mapping[str, str | int] | None = None,
) -> str:
    """The absolute address (``HMS_PUBLIC_URL``/a/<token>) of a link allowing ``action`` on ``subject_id``."""
    claims = Claims(action, subject_id, version, expires_at.astimezone(UTC), dict(extra or {}))
    return settings.link(PATH + make_token(settings, claims))


def read_token(settings: Settings, token: str) -> Claims | None:
    """The claims of a token this server signed, else None (nothing about it is trusted then)."""
    if not isinstance(token, str) or len(token) > 2000 or token.count('.') != 1:
        return None
    payload, signature = token.split('.')
    try:
        expected = hmac.new(_key(settings), payload.encode('ascii'), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        body = json.loads(_unb64(payload))
        extra = body.get('x', {})
        claims = Claims(
            action=str(body['a']),
            subject_id=int(body['s']),
            version=int(body['v']),
            expires_at=datetime.fromtimestamp(int(body['e']), tz=UTC),
            extra=extra if isinstance(extra, dict) else {},
        )
    except (ValueError, TypeError, KeyError, UnicodeError, OverflowError, AttributeError):
        return None
    return claims


# --- reading and using ----------------------------------------------------------------------------------------------


def _check(uow: UnitOfWork, settings: Settings, token: str) -> tuple[Claims | None, Reason | None]:
    claims = read_token(settings, token)
    if claims is None or handler(claims.action) is None:
        return None, Reason.TAMPERED
    if uses.was_used(uow.session, hash_token(token)):
        return claims, Reason.USED
    if clock.now() >= claims.expires_at:
        return claims, Reason.EXPIRED
    if _handlers[claims.action].version(uow, claims.subject_id) != claims.version:
        return claims, Reason.SUPERSEDED
    return claims, None


def inspect(uow: UnitOfWork, settings: Settings, token: str) -> LinkState:
    """What the link is for and whether it can be used, with its subject: reads only (GET and the page)."""
    claims, reason = _check(uow, settings, token)
    if claims is None:
        return LinkState(None, False, Reason.TAMPERED, _(EXPLANATIONS[Reason.TAMPERED]), Description())
    description = _handlers[claims.action].describe(uow, settings, claims, valid=reason is None)
    message = _(EXPLANATIONS[reason]) if reason is not None else None
    return LinkState(claims.action, reason is None, reason, message, description, claims)


def perform(uow: UnitOfWork, settings: Settings, token: str, body: Mapping[str, Any] | None = None) -> Outcome:
    """Use the link: check it, record its use and let its handler act, in one transaction (the handler commits).
    Raises ``LinkNotUsable`` (with its reason) or the handler's own domain errors; a refused action leaves the link
    usable."""
    claims, reason = _check(uow, settings, token)
    if reason is not None or claims is None:
        raise _ERRORS[reason or Reason.TAMPERED]()
    try:
        uses.record_use(uow.session, hash_token(token), claims.action, claims.subject_id, at=clock.now())
    except CONSTRAINT_VIOLATION as error:  # someone used it a moment ago
        uow.rollback()
        raise LinkUsed() from error
    return _handlers[claims.action].perform(uow, settings, claims, body or {})


def require_version(claims: Claims, current: int | None) -> None:
    """For handlers, once the subject is locked: refuse when it changed since the link was made."""
    if current != claims.version:
        raise LinkSuperseded()


def reason_of(error: DomainError) -> Reason | None:
    return error.reason if isinstance(error, LinkNotUsable) else None
