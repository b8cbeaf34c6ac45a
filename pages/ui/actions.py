"""The acting user at the moment of an action: the session may have ended since the page was built."""

from __future__ import annotations

from nicegui import ui

from hms.services.principal import Principal

from .session import current_principal


async def acting(path: str | None = None, *, touch: bool = True) -> Principal | None:
    """The signed-in user now, or None after sending the browser to sign in (and back to ``path`` afterwards).

    ``touch=False`` for what the page does by itself (a periodic refresh): that is no activity, and must not keep an
    idle session alive."""
    principal = await current_principal(touch=touch)
    if principal is None:
        ui.navigate.to(f'/login?next={path}' if path else '/login')
    return principal
