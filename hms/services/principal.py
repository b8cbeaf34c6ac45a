"""The acting user, as established by a valid session or token."""

from __future__ import annotations

from dataclasses import dataclass

from hms.domain.enums import Role
from hms.domain.errors import NotAllowed
from hms.i18n import N_, _


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: Role
    name: str
    email: str
    must_change_password: bool
    session_id: int | None = None
    ip: str | None = None


def require_role(actor: Principal, *roles: Role, refusal: str = N_('Your role does not allow you to do this.')) -> None:
    """Refuse unless the actor has one of ``roles`` (the service-layer twin of every page and route check).

    ``refusal`` is the whole sentence to show, marked with ``N_`` by the caller and translated here."""
    if actor.role not in roles:
        raise NotAllowed(_(refusal))
