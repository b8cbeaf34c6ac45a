"""The acting user, as established by a valid session or token."""

from __future__ import annotations

from dataclasses import dataclass

from hms.domain.enums import Role


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: Role
    name: str
    email: str
    must_change_password: bool
    session_id: int | None = None
    ip: str | None = None
