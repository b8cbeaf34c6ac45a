"""The acting user, as established by a valid session or token."""

from __future__ import annotations

from dataclasses import dataclass

from hms.domain.enums import Role
from hms.domain.errors import NotAllowed


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: Role
    name: str
    email: str
    must_change_password: bool
    session_id: int | None = None
    ip: str | None = None


def require_role(actor: Principal, *roles: Role, action: str = 'do this') -> None:
    """Refuse unless the actor has one of ``roles`` (the service-layer twin of every page and route check)."""
    if actor.role not in roles:
        raise NotAllowed(f'Your role does not allow you to {action}.')
