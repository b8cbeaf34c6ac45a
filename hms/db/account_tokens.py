"""Single-use account links (password reset, email verification): found by the hash of their token, used once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .models import AccountToken
from .repositories import rowcount


class AccountTokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token: AccountToken) -> AccountToken:
        self.session.add(token)
        self.session.flush()
        return token

    def get(self, token_id: int) -> AccountToken | None:
        return self.session.get(AccountToken, token_id)

    def by_hash(self, token_hash: str, purpose: str) -> AccountToken | None:
        return self.session.scalar(
            select(AccountToken).where(AccountToken.token_hash == token_hash, AccountToken.purpose == purpose)
        )

    def use(self, token_id: int, *, at: datetime) -> bool:
        """Mark the token used unless it was already (or expired): True for the one caller that wins."""
        result = self.session.execute(
            update(AccountToken)
            .where(AccountToken.id == token_id, AccountToken.used_at.is_(None), AccountToken.expires_at > at)
            .values(used_at=at)
        )
        return rowcount(result) == 1

    def retire_unused(self, user_id: int, purpose: str, *, at: datetime) -> int:
        """End the user's other open links of ``purpose`` (a newer one, or the password changed anyway)."""
        result = self.session.execute(
            update(AccountToken)
            .where(AccountToken.user_id == user_id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
            .values(used_at=at)
        )
        return rowcount(result)

    def count_since(self, user_id: int, purpose: str, since: datetime) -> int:
        query = select(func.count()).where(
            AccountToken.user_id == user_id, AccountToken.purpose == purpose, AccountToken.created_at >= since
        )
        return self.session.scalar(query) or 0
