"""Repositories: the queries, in one place per aggregate. Services never write SQL themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from hms.domain.enums import Role

from .models import AuditEntry, AuthSession, LoginAttempt, User


def rowcount(result: object) -> int:
    """The rows an UPDATE or DELETE touched (``Session.execute`` is typed as returning any ``Result``; for these
    statements it is a ``CursorResult``, which counts them)."""
    if not isinstance(result, CursorResult):
        raise TypeError(f'no row count on {type(result).__name__}: not the result of an UPDATE or DELETE')
    return result.rowcount or 0


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email.strip().lower()))

    def looking_like(self, look: str) -> User | None:
        """An account whose address is, or looks like, ``look`` (a key of ``hms.domain.emails.look_alike_key``)."""
        return self.session.scalar(
            select(User).where(or_(User.email == look, User.email_look_alike == look)).order_by(User.id).limit(1)
        )

    def add(self, user: User) -> User:
        self.session.add(user)
        self.session.flush()
        return user

    def first_with_role(self, role: Role) -> User | None:
        return self.session.scalar(select(User).where(User.role == role).order_by(User.id).limit(1))

    def page_with_role(
        self, role: Role, text: str | None, *, include_inactive: bool, limit: int, offset: int
    ) -> tuple[Sequence[User], int]:
        """Accounts of ``role`` whose name or email contains ``text`` (any case), by name, a page at a time."""
        query = select(User).where(User.role == role)
        if not include_inactive:
            query = query.where(User.is_active.is_(True))
        if text:
            escaped = text.strip().lower().replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
            pattern = f'%{escaped}%'
            query = query.where(
                or_(
                    func.lower(User.name).like(pattern, escape='\\'),
                    func.lower(func.coalesce(User.email, '')).like(pattern, escape='\\'),
                )
            )
        total = int(self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = self.session.scalars(query.order_by(func.lower(User.name), User.id).limit(limit).offset(offset)).all()
        return rows, total

    def count_by_role(self) -> dict[Role, int]:
        rows = self.session.execute(select(User.role, func.count()).group_by(User.role)).all()
        return {Role(role): count for role, count in rows}


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, auth_session: AuthSession) -> AuthSession:
        self.session.add(auth_session)
        self.session.flush()
        return auth_session

    def by_token_hash(self, token_hash: str) -> AuthSession | None:
        return self.session.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash))

    def active_for_user(self, user_id: int) -> Sequence[AuthSession]:
        return self.session.scalars(
            select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        ).all()

    def revoke_all_for_user(self, user_id: int, *, at: datetime, reason: str) -> int:
        result = self.session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=at, revoked_reason=reason)
        )
        return rowcount(result)


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    def for_subject(self, user_id: int, limit: int = 200) -> Sequence[AuditEntry]:
        return self.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_user_id == user_id).order_by(AuditEntry.at.desc()).limit(limit)
        ).all()

    def count_from(self, actions: Sequence[str], ip: str, since: datetime) -> int:
        """How many rows of ``actions`` came from ``ip`` since ``since`` (rate limits by client address)."""
        query = select(func.count()).where(AuditEntry.action.in_(actions), AuditEntry.ip == ip, AuditEntry.at >= since)
        return self.session.scalar(query) or 0

    def recent(self, *, actions: Sequence[str] | None = None, limit: int = 200) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if actions is not None:
            query = query.where(AuditEntry.action.in_(actions))
        return self.session.scalars(query).all()


class LoginAttemptRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, attempt: LoginAttempt) -> None:
        self.session.add(attempt)

    def failures_for_pair(self, email_key: str, ip: str, since: datetime) -> list[datetime]:
        """Failure times of this account at this address since ``since`` and after its last success there, newest
        first."""
        last_success = self.session.scalar(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.email_key == email_key, LoginAttempt.ip == ip, LoginAttempt.succeeded
            )
        )
        query = select(LoginAttempt.at).where(
            LoginAttempt.email_key == email_key,
            LoginAttempt.ip == ip,
            LoginAttempt.at >= since,
            LoginAttempt.succeeded.is_(False),
        )
        if last_success is not None:
            query = query.where(LoginAttempt.at > last_success)
        return list(self.session.scalars(query.order_by(LoginAttempt.at.desc())))

    def has_succeeded(self, email_key: str, ip: str) -> bool:
        """Whether this account was ever signed in to from this address (as long as the attempts are kept)."""
        query = select(LoginAttempt.id).where(
            LoginAttempt.email_key == email_key, LoginAttempt.ip == ip, LoginAttempt.succeeded
        )
        return self.session.scalar(query.limit(1)) is not None

    def failures_from_unknown_addresses(self, email_key: str, since: datetime) -> list[datetime]:
        """Failure times of this account since ``since`` from addresses it was never signed in to from, newest
        first."""
        known = select(LoginAttempt.ip).where(LoginAttempt.email_key == email_key, LoginAttempt.succeeded)
        query = select(LoginAttempt.at).where(
            LoginAttempt.email_key == email_key,
            LoginAttempt.at >= since,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.ip.not_in(known),
        )
        return list(self.session.scalars(query.order_by(LoginAttempt.at.desc())))

    def failing_pairs(self, since: datetime) -> list[tuple[str, str]]:
        """The (email key, address) pairs with a failed attempt since ``since`` (what may be slowed down now)."""
        query = (
            select(LoginAttempt.email_key, LoginAttempt.ip)
            .where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
            .group_by(LoginAttempt.email_key, LoginAttempt.ip)
            .order_by(LoginAttempt.email_key, LoginAttempt.ip)
        )
        return [(key, ip) for key, ip in self.session.execute(query)]

    def failures_for_ip(self, ip: str, since: datetime) -> list[datetime]:
        query = select(LoginAttempt.at).where(
            LoginAttempt.ip == ip, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
        )
        return list(self.session.scalars(query.order_by(LoginAttempt.at.desc())))
