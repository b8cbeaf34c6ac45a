"""The schema's refusals, named for the services that turn them into domain errors without importing SQLAlchemy."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

CONSTRAINT_VIOLATION: type[Exception] = IntegrityError
"""What a flush or commit raises when a constraint of the schema refuses the change (a unique index, a foreign key):
the database decides races that a check in Python cannot."""
