"""The common frame of every signed-in page: header with the clinic's name, the role's navigation, the user, logout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from hms import context as app_context
from hms.services.principal import Principal

from . import theme
from .navigation import NAVIGATION
from .session import current_principal

# How often an open page checks that its session is still valid (automatic logoff when idle or blacklisted).
SESSION_CHECK_SECONDS = 60


@contextmanager
def frame(principal: Principal, title: str, *, current_path: str = '') -> Iterator[None]:
    """Enter to build a page inside the frame; the caller has already checked access."""
    theme.apply()
    clinic = app_context.get().settings.clinic_name
    ui.page_title(f'{title} · {clinic}')
    with ui.header(elevated=True).classes('items-center gap-2 px-3 py-2 bg-primary'):
        menu = ui.button(icon='menu').props('flat round color=white aria-label="Open navigation"').classes('lg:hidden')
        ui.link(clinic, '/').classes('text-lg font-semibold text-white no-underline')
        ui.space()
        ui.label(principal.name).classes('text-white text-sm max-sm:hidden').props('data-testid=user-name')
        ui.button('Sign out', icon='logout', on_click=lambda: ui.navigate.to('/logout')).props(
            'flat color=white no-caps'
        )
    with ui.left_drawer(bordered=True).props('breakpoint=1024 width=220').classes('p-0') as drawer:
        with ui.list().classes('w-full').props('role=navigation aria-label="Main navigation"'):
            for item in NAVIGATION[principal.role]:
                active = item.path == current_path
                with ui.item(on_click=lambda path=item.path: ui.navigate.to(path)).props(
                    f'clickable {"active" if active else ""} active-class="text-primary"'
                ):
                    with ui.item_section().props('avatar'):
                        ui.icon(item.icon)
                    ui.item_section(item.label)
    menu.on_click(drawer.toggle)
    ui.timer(SESSION_CHECK_SECONDS, _end_if_session_expired, immediate=False)  # the page build just checked
    with ui.column().classes(f'{theme.PAGE_WIDTH} p-4 gap-4'):
        ui.label(title).classes(theme.HEADING).props('role=heading aria-level=1')
        yield


async def _end_if_session_expired() -> None:
    if await current_principal(touch=False) is None:
        ui.navigate.to('/login')


def forbidden(principal: Principal) -> None:
    """The 403 page: signed in, but this page belongs to another role."""
    with frame(principal, 'Not allowed'):
        ui.label('You do not have access to this page.').classes('text-lg')
        ui.label('This page belongs to another role. Use the navigation to get back to your own pages.').classes(
            theme.SUBTLE
        )
        ui.button('Go to my home page', on_click=lambda: ui.navigate.to('/'))
