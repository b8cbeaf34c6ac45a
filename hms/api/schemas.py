"""Response bodies of the API (request bodies are the domain's commands)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from hms.domain.enums import Role


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal['bearer'] = 'bearer'  # noqa: S105 - the OAuth token type, not a secret
    role: Role
    user_id: int
    expires_at: datetime


class MeOut(BaseModel):
    user_id: int
    email: str
    role: Role
    name: str
    must_change_password: bool


class RegisteredOut(BaseModel):
    user_id: int
    email: str
    role: Role
    name: str


class Message(BaseModel):
    detail: str
