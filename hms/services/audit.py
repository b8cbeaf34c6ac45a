"""Writing and reading audit rows. Callers pass identifiers and outcomes only: never passwords or clinical values.

The log is append-only and tamper-evident: rows are linked in a hash chain that ``hms.db.audit_chain`` fills in as
they are flushed, guards against changes and verifies (``verify``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hms import clock
from hms.db import audit_log
from hms.db.audit_chain import GENESIS, AuditLogIsAppendOnly, ChainReport, compute_hash, content, lock, verify
from hms.db.models import AuditEntry
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AuditFilter, AuditSort
from hms.domain.enums import Role
from hms.domain.errors import NotAllowed
from hms.i18n import _

from .principal import Principal
from .sorting import sort_key
from .views import Page

# The public names, the hash chain's among them (they live in hms.db.audit_chain).
__all__ = [
    'GENESIS',
    'AuditLogIsAppendOnly',
    'AuditView',
    'ChainReport',
    'action_names',
    'browse',
    'compute_hash',
    'content',
    'lock',
    'people',
    'record',
    'user_id_for',
    'verify',
]


def record(
    uow: UnitOfWork,
    action: str,
    *,
    actor: Principal | None = None,
    actor_id: int | None = None,
    actor_role: str | None = None,
    ip: str | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    subject_user_id: int | None = None,
    success: bool = True,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the unit of work; it is committed with the change it describes."""
    uow.audit.add(
        AuditEntry(
            at=clock.now(),
            actor_id=actor.user_id if actor else actor_id,
            actor_role=str(actor.role) if actor else (str(actor_role) if actor_role is not None else None),
            action=action,
            object_type=object_type,
            object_id=object_id,
            subject_user_id=subject_user_id,
            ip=(actor.ip if actor and ip is None else ip),
            success=success,
            detail=detail or {},
        )
    )


# ---- browsing (administrator) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: int | None
    subject_user_id: int | None
    ip: str | None
    success: bool
    detail: dict[str, Any]


def _view(entry: AuditEntry) -> AuditView:
    return AuditView(
        id=entry.id,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_role=entry.actor_role,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        subject_user_id=entry.subject_user_id,
        ip=entry.ip,
        success=bool(entry.success),
        detail=dict(entry.detail or {}),
    )


def _admin_only(principal: Principal) -> None:
    if principal.role != Role.ADMIN:
        raise NotAllowed(_('Only the administrator can read the audit log.'))


def browse(
    uow: UnitOfWork,
    principal: Principal,
    where: AuditFilter,
    *,
    limit: int,
    offset: int,
    sort: str = AuditSort.AT,
    descending: bool = True,
) -> Page[AuditView]:
    """A page of the log for the administrator, ordered by one of ``AuditSort`` (by default newest first). Rows hold
    ids and outcomes, no clinical values."""
    _admin_only(principal)
    order = sort_key(AuditSort, sort)
    rows, total = audit_log.search(uow.session, where, limit=limit, offset=offset, sort=order, descending=descending)
    return Page(items=[_view(row) for row in rows], total=total, limit=limit, offset=offset)


def verify_chain(uow: UnitOfWork, principal: Principal) -> ChainReport:
    """Walk the whole hash chain for the administrator: intact, or the first altered, removed or reordered row."""
    _admin_only(principal)
    return verify(uow.session)


def action_names(uow: UnitOfWork, principal: Principal) -> list[str]:
    _admin_only(principal)
    return audit_log.actions(uow.session)


def people(uow: UnitOfWork, principal: Principal, ids: set[int]) -> dict[int, str]:
    """Names of the accounts a page of the log mentions (ids that no longer exist are left out)."""
    _admin_only(principal)
    return audit_log.user_names(uow.session, ids)


def user_id_for(uow: UnitOfWork, principal: Principal, text: str) -> int | None:
    """An account id typed as a number or as an email address; None when no such account."""
    _admin_only(principal)
    text = text.strip()
    if text.isdigit() and len(text) < 19:
        return int(text)
    user = uow.users.by_email(text)
    return user.id if user else None
