"""Writing audit rows. Callers pass identifiers and outcomes only: never passwords or clinical values."""

from __future__ import annotations

from typing import Any

from hms import clock
from hms.db.models import AuditEntry
from hms.db.uow import UnitOfWork

from .principal import Principal


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
            actor_role=str(actor.role) if actor else actor_role,
            action=action,
            object_type=object_type,
            object_id=object_id,
            subject_user_id=subject_user_id,
            ip=(actor.ip if actor and ip is None else ip),
            success=success,
            detail=detail or {},
        )
    )
