"""Reading the audit log for the administrator's browser: filters, newest first, paginated. Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hms.domain.criteria import AuditFilter, AuditSort

from .models import AuditEntry
from .scheduling import people_names

Ts = TypeVarTuple('Ts')
_SORT_KEYS = {AuditSort.AT: AuditEntry.id, AuditSort.ACTION: AuditEntry.action, AuditSort.RESULT: AuditEntry.success}


def _filtered(query: Select[*Ts], where: AuditFilter) -> Select[*Ts]:
    if where.actor_id is not None:
        query = query.where(AuditEntry.actor_id == where.actor_id)
    if where.action:
        if where.action.endswith('.'):
            escaped = where.action.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
            query = query.where(AuditEntry.action.like(f'{escaped}%', escape='\\'))
        else:
            query = query.where(AuditEntry.action == where.action)
    if where.subject_user_id is not None:
        query = query.where(AuditEntry.subject_user_id == where.subject_user_id)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    if where.success is not None:
        query = query.where(AuditEntry.success.is_(where.success))
    return query


def search(
    session: Session,
    where: AuditFilter,
    *,
    limit: int,
    offset: int,
    sort: AuditSort = AuditSort.AT,
    descending: bool = True,
) -> tuple[Sequence[AuditEntry], int]:
    """One page of matching rows (by default newest first) and the number of all matching rows. Entries are written
    in time order, so the id orders by time; ties of another key keep the newest first."""
    total = session.scalar(_filtered(select(func.count(AuditEntry.id)), where)) or 0
    key: Any = _SORT_KEYS[sort]
    order = [key.desc() if descending else key.asc()]
    if sort is not AuditSort.AT:
        order.append(AuditEntry.id.desc())
    rows = session.scalars(_filtered(select(AuditEntry), where).order_by(*order).limit(limit).offset(offset)).all()
    return rows, total


def actions(session: Session) -> list[str]:
    """Every distinct action name (for the filter's choices)."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    return people_names(session, ids)
