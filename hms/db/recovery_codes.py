"""Queries of the second factor: one-time recovery codes and the last TOTP step a user spent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .models import AuditEntry, RecoveryCode
from .repositories import rowcount


class RecoveryCodeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def replace(self, user_id: int, code_hashes: Sequence[str], *, at: datetime) -> None:
        """Drop the user's codes, used or not, and store the new set."""
        self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        self.session.add_all(RecoveryCode(user_id=user_id, code_hash=h, created_at=at) for h in code_hashes)

    def remove_all(self, user_id: int) -> None:
        self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))

    def spend(self, user_id: int, code_hash: str, *, at: datetime) -> bool:
        """Mark an unused code as used; False when there is no such unused code (the UPDATE decides races)."""
        result = self.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash, RecoveryCode.used_at.is_(None))
            .values(used_at=at)
        )
        return rowcount(result) > 0

    def unused_count(self, user_id: int) -> int:
        query = select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        return self.session.scalar(query) or 0


def last_totp_step(session: Session, user_id: int, actions: Sequence[str]) -> int | None:
    """The newest TOTP time step the user spent, as recorded in the audit log (the replay guard)."""
    rows = session.scalars(
        select(AuditEntry.detail)
        .where(AuditEntry.subject_user_id == user_id, AuditEntry.action.in_(actions), AuditEntry.success.is_(True))
        .order_by(AuditEntry.id.desc())
        .limit(50)  # rows without a step (recovery code uses) may come after the newest one with a step
    ).all()
    for detail in rows:
        step = (detail or {}).get('step')
        if isinstance(step, int):
            return step
    return None
