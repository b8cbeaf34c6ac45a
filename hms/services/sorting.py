"""Sort keys a client asks for, checked against the list's allow-list before any query sees them."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from hms.domain.errors import InvalidInput
from hms.i18n import _

E = TypeVar('E', bound=StrEnum)


def sort_key(allowed: type[E], asked: str) -> E:
    """``asked`` as one of ``allowed``'s members; anything else is refused (never passed on as a column name)."""
    try:
        return allowed(asked)
    except ValueError:
        keys = ', '.join(member.value for member in allowed)
        message = _('A list cannot be sorted by "{key}"; choose one of: {keys}.', key=asked, keys=keys)
        raise InvalidInput(message, field_errors={'sort': message}) from None
