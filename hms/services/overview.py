"""What each role's home page shows before the feature-specific panels arrive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hms.db.uow import UnitOfWork
from hms.domain.enums import Role
from hms.domain.errors import NotAllowed
from hms.i18n import _

from .principal import Principal

SECURITY_ACTIONS = ('login.failed', 'login.throttled', 'login.refused', 'account.blacklisted', 'account.reactivated')


@dataclass(frozen=True)
class SecurityEvent:
    at: datetime
    action: str
    actor_role: str | None
    ip: str | None


@dataclass(frozen=True)
class AdminOverview:
    accounts_by_role: dict[Role, int]
    security_events: list[SecurityEvent]


def admin_overview(uow: UnitOfWork, actor: Principal, *, limit: int = 10) -> AdminOverview:
    if actor.role is not Role.ADMIN:
        raise NotAllowed(_('Only an administrator can see the clinic overview.'))
    counts = uow.users.count_by_role()
    events = [
        SecurityEvent(at=entry.at, action=entry.action, actor_role=entry.actor_role, ip=entry.ip)
        for entry in uow.audit.recent(actions=SECURITY_ACTIONS, limit=limit)
    ]
    return AdminOverview(accounts_by_role={role: counts.get(role, 0) for role in Role}, security_events=events)
