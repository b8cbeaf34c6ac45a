"""Used one-tap links (hms.services.action_links): one row per used token, keyed by the token's SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ActionLinkUse


def was_used(session: Session, token_hash: str) -> bool:
    return session.scalar(select(ActionLinkUse.token_hash).where(ActionLinkUse.token_hash == token_hash)) is not None


def record_use(session: Session, token_hash: str, action: str, subject_id: int, *, at: datetime) -> None:
    """Insert the use and flush: the primary key refuses a second use of the same token (``CONSTRAINT_VIOLATION``),
    and on PostgreSQL a second transaction inserting it waits here until the first one ends."""
    session.add(ActionLinkUse(token_hash=token_hash, action=action, subject_id=subject_id, used_at=at))
    session.flush()
