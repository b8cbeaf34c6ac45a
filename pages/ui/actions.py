"""Actions of the user on a page: who acts at that moment (the session may have ended since the page was built), and
what the user is told when the change is refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from nicegui import ui

from hms.domain.errors import DomainError
from hms.services.principal import Principal

from .session import current_principal

T = TypeVar('T')


async def acting(path: str | None = None, *, touch: bool = True) -> Principal | None:
    """The signed-in user now, or None after sending the browser to sign in (and back to ``path`` afterwards).

    ``touch=False`` for what the page does by itself (a periodic refresh): that is no activity, and must not keep an
    idle session alive."""
    principal = await current_principal(touch=touch)
    if principal is None:
        ui.navigate.to(f'/login?next={path}' if path else '/login')
    return principal


async def attempt(
    change: Callable[[Principal], Awaitable[T]],
    *,
    path: str | None = None,
    refused: Callable[[DomainError], None] | None = None,
) -> T | None:
    """Make ``change`` as the user signed in now (see ``acting``): what it returns, or None when it was refused (the
    reason goes to ``refused``, or to a notification)."""
    actor = await acting(path)
    if actor is None:
        return None
    try:
        return await change(actor)
    except DomainError as failure:
        if refused is None:
            ui.notify(failure.message, type='negative')
        else:
            refused(failure)
        return None
