"""Who may open a page: ``@role_page(path, *roles)`` registers the page and checks the session and the role where
the page is built (sub-page navigation sends no request a middleware could see; the services check again)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec
from urllib.parse import quote

from fastapi.responses import RedirectResponse
from nicegui import Client, ui

from hms.domain.enums import Role
from hms.services.principal import Principal

from .frame import forbidden
from .session import CHANGE_PASSWORD_PATH, current_principal

P = ParamSpec('P')
PageBuilder = Callable[Concatenate[Principal, P], Awaitable[None]]


@dataclass(frozen=True)
class RegisteredPage:
    """A page of the app: its path (with ``{parameters}``) and who may open it: ``None`` for anyone (no sign-in, e.g.
    the sign-in page), an empty tuple for every signed-in user, else the roles."""

    path: str
    roles: tuple[Role, ...] | None


_ROLE_PAGES: dict[str, tuple[Role, ...]] = {}  # filled by role_page
# How long a page may take to build before NiceGUI gives up with an error page (its default is 3 s): when hundreds of
# screens open at once (a clinic's dashboards after a restart), a page waits its turn for the session check and its
# first reads; slow beats an error.
PAGE_BUILD_SECONDS = 20.0


def registered_pages() -> list[RegisteredPage]:
    """Every page registered so far (``pages.create()`` registers them all), by path: the role pages with their
    roles, and NiceGUI's other pages as open to anyone. The browser tests visit each one, so that a new page is held
    to the same checks without being listed anywhere else."""
    paths = set(Client.page_routes.values()) | set(_ROLE_PAGES)
    return [RegisteredPage(path, _ROLE_PAGES.get(path)) for path in sorted(paths)]


@dataclass(frozen=True)
class Access:
    """What a page learns from its guard: the principal, or where to send the visitor instead."""

    principal: Principal | None = None
    redirect: RedirectResponse | None = None
    forbidden: bool = False


async def page_access(path: str, *roles: Role, allow_password_change_pending: bool = False) -> Access:
    """Check the session and the role of the visitor of ``path`` (no roles: any signed-in user)."""
    principal = await current_principal()
    if principal is None:
        return Access(redirect=RedirectResponse(f'/login?next={quote(path)}', status_code=303))
    if principal.must_change_password and not allow_password_change_pending:
        return Access(redirect=RedirectResponse(CHANGE_PASSWORD_PATH, status_code=303))
    if roles and principal.role not in roles:
        return Access(principal=principal, forbidden=True)
    return Access(principal=principal)


def role_page(
    path: str, *roles: Role, allow_password_change_pending: bool = False
) -> Callable[[PageBuilder[P]], PageBuilder[P]]:
    """Register the decorated builder as the page at ``path`` for the signed-in users of ``roles`` (none named: any
    signed-in user).

    A visitor without a session is sent to sign in (and back here afterwards), one whose one-time password is still to
    be changed to the change-password page, one of another role gets the "not allowed" page. The builder is called
    with the ``Principal`` first, then the path's parameters (``'/admin/doctors/{doctor_id}'`` gives ``doctor_id``).
    """

    def register(build: PageBuilder[P]) -> PageBuilder[P]:
        builder: Callable[..., Awaitable[None]] = build  # called with the path's parameters by name

        async def page(**parameters: Any) -> RedirectResponse | None:
            access = await page_access(
                path.format(**parameters), *roles, allow_password_change_pending=allow_password_change_pending
            )
            if access.redirect:
                return access.redirect
            assert access.principal is not None
            if access.forbidden:
                forbidden(access.principal)
            else:
                await builder(access.principal, **parameters)
            return None

        # NiceGUI and FastAPI read the page's parameters from its signature: the builder's, without the principal.
        page.__signature__ = inspect.Signature(list(inspect.signature(build).parameters.values())[1:])  # type: ignore[attr-defined]
        page.__name__ = page.__qualname__ = build.__name__
        page.__module__ = build.__module__
        ui.page(path, response_timeout=PAGE_BUILD_SECONDS)(page)
        _ROLE_PAGES[path] = tuple(roles)
        return build

    return register
