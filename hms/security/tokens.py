"""Opaque bearer tokens; only their SHA-256 is ever stored."""

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


def email_key(email: str) -> str:
    """A stable key for an email address that does not reveal it (login throttling)."""
    return hashlib.sha256(email.strip().lower().encode('utf-8')).hexdigest()
