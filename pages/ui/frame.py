"""The common frame of every signed-in page: header with the clinic's name, the role's navigation, the user, the
language and colour theme menus, logout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import app, background_tasks, ui

from hms import context as app_context
from hms import i18n as hms_i18n
from hms.domain.errors import DomainError
from hms.i18n import _
from hms.services import preferences
from hms.services.principal import Principal

from . import announce, status_banner, theme
from .actions import attempt
from .footer import version_footer
from .i18n import LANGUAGE_KEY, language, language_menu
from .navigation import NAVIGATION
from .services import call
from .session import current_principal
from .session import sign_out as end_session

# How often an open page checks that its session is still valid (automatic logoff when idle or blacklisted).
SESSION_CHECK_SECONDS = 60
# The last known colour theme of the signed-in user, kept in this browser so that pages open in it at once; the
# database (preferences service) is the truth, read again after every page load.
THEME_CACHE_KEY = 'display_theme'
DARK_VALUES: dict[str, bool | None] = {'auto': None, 'light': False, 'dark': True}  # None: follow the OS
THEME_ICONS = {'auto': 'brightness_auto', 'light': 'light_mode', 'dark': 'dark_mode'}


@contextmanager
def frame(principal: Principal, title: str, *, current_path: str = '') -> Iterator[None]:
    """Enter to build a page inside the frame; the caller has already checked access. ``title`` is translated here
    (pass it marked: ``_('My account')``; a translated text or a name passes through unchanged)."""
    theme.apply()
    clinic = app_context.get().settings.clinic_name
    title = _(title)
    ui.page_title(f'{title} · {clinic}')
    display = _ThemeChoice(principal, current_path)
    with ui.header(elevated=True).classes('items-center gap-2 px-3 py-2 bg-primary'):
        # The phone's menu button says whether the drawer is open and which element it opens (aria-expanded and
        # aria-controls); a11y.js moves the focus into the opened drawer and back, and closes it on Escape.
        menu = ui.button(icon='menu').props('flat round color=white aria-expanded=false').classes('lg:hidden')
        menu.props['aria-label'] = _('Open navigation')
        menu.props['data-hms-drawer-toggle'] = ''
        menu.mark('navigation-menu')
        ui.link(clinic, '/').classes('text-lg font-semibold text-white no-underline')
        ui.space()
        ui.label(principal.name).classes('text-white text-sm max-sm:hidden').props('data-testid=user-name')
        language_menu(display.choose_language)
        display.button()
        # On a phone only the icon: with the language and theme buttons the label would push the header to two rows.
        sign_out = _('Sign out')
        leave = ui.button(icon='logout', on_click=end_session).props('flat color=white no-caps').mark('sign-out')
        leave.props['aria-label'] = sign_out
        with leave:
            ui.label(sign_out).classes('ps-2 max-sm:hidden')
    # Closed to begin with, and open on wide screens by Quasar itself (show-if-above), which tells the server: with
    # no value NiceGUI would ask each newly connected browser, and on a busy machine an answer later than a second
    # put "Something went wrong" in front of the user.
    with ui.left_drawer(value=False, bordered=True).props('breakpoint=1024 width=220').classes('p-0') as drawer:
        drawer.props['show-if-above'] = True
        navigation_links(principal, current_path)
    menu.props['aria-controls'] = drawer.html_id
    menu.on_click(drawer.toggle)
    drawer.on_value_change(lambda event: menu.props.update({'aria-expanded': 'true' if event.value else 'false'}))
    version_footer()
    ui.timer(SESSION_CHECK_SECONDS, _end_if_session_expired, immediate=False)  # the page build just checked
    with main_content():
        ui.label(title).classes(theme.HEADING).props('role=heading aria-level=1')
        status_banner.show()
        announce.live_region()
        yield


def navigation_links(principal: Principal, current_path: str) -> None:
    """The role's navigation: a ``<nav>`` landmark holding a list of real links (open in a new tab, listed by a
    screen reader's links list); the current page's link has ``aria-current="page"`` and is marked by a bar and bold
    text, not by colour alone."""
    nav = ui.element('nav').classes('w-full py-2').mark('main-navigation')
    nav.props['aria-label'] = _('Main navigation')
    with nav, ui.element('ul').classes(theme.NAV_LIST):
        for item in NAVIGATION[principal.role]:
            with ui.element('li'):
                link = ui.link(target=item.path).classes(theme.NAV_LINK)
                if item.path == current_path:
                    link.props['aria-current'] = 'page'
                with link:
                    ui.icon(item.icon).classes('text-xl')
                    ui.label(_(item.label))


@contextmanager
def main_content() -> Iterator[ui.column]:
    """The page's own content (inside Quasar's ``<main>``), with the skip link to it as the page's first Tab stop."""
    with ui.column().classes(f'{theme.PAGE_WIDTH} p-4 gap-4') as content:
        ui.skip_link(_('Skip to main content'), target=content)
        yield content


class _ThemeChoice:
    """The page's dark mode, set from the user's remembered theme, and the header menu that changes it; the check that
    the page speaks the account's language, and the saving of a new choice."""

    def __init__(self, principal: Principal, current_path: str) -> None:
        self.principal, self.path = principal, current_path or '/'
        self.language = language()  # what this page was built in
        self.storage = app.storage.user  # kept: the check below runs outside the page's request
        cached = self.storage.get(THEME_CACHE_KEY) or {}
        self.theme = cached.get('theme', 'auto') if cached.get('user_id') == principal.user_id else 'auto'
        self.dark = ui.dark_mode(DARK_VALUES[self.theme]).mark('dark-mode')
        # Not a ui.timer: a timer waits for the browser's connection, which makes NiceGUI deliver the page before
        # the rest of its builder has run.
        background_tasks.create(self._load(), name='theme-check')

    def button(self) -> None:
        self.menu_button = ui.button(icon=THEME_ICONS[self.theme]).props('flat round color=white').mark('theme-menu')
        with self.menu_button:
            self.tip = ui.tooltip('')
            with ui.menu().mark('theme-options'):
                for value, label in preferences.THEMES.items():
                    ui.menu_item(_(label), on_click=lambda value=value: self.choose(value)).mark(f'theme-{value}')
        self._label()

    def _label(self) -> None:
        name = _(preferences.THEMES[self.theme])
        self.menu_button.props['aria-label'] = _('Colour theme: {name}. Change', name=name)
        self.tip.text = _('Colour theme: {name}', name=name)

    def show(self, theme_name: str) -> None:
        self.theme = theme_name
        self.dark.value = DARK_VALUES[theme_name]
        self.menu_button.icon = THEME_ICONS[theme_name]
        self._label()
        self.storage[THEME_CACHE_KEY] = {'user_id': self.principal.user_id, 'theme': theme_name}

    async def _load(self) -> None:
        try:
            remembered = await call(preferences.get, self.principal)
        except DomainError:  # the account is gone: the session check signs the page out
            return
        if self.dark.is_deleted:  # the page is gone
            return
        if remembered.theme != self.theme or self.storage.get(THEME_CACHE_KEY) is None:
            self.show(remembered.theme)
        # The account's language wins over this browser's (chosen in another browser meanwhile, or this page was
        # built before the browser knew it): keep it here and build the page again in it. The pseudo-locale (a
        # developer's or the page walk's view) is left alone.
        if remembered.language is not None and self.language not in (remembered.language, hms_i18n.PSEUDO):
            self.storage[LANGUAGE_KEY] = remembered.language
            with self.dark:
                ui.navigate.reload()

    async def choose(self, theme_name: str) -> None:
        saved = await attempt(lambda actor: call(preferences.set_theme, actor, theme_name), path=self.path)
        if saved is None:
            return
        self.show(saved.theme)
        name = _(preferences.THEMES[saved.theme])
        ui.notify(_('Colour theme: {name}. We will remember it when you sign in again.', name=name), type='positive')

    async def choose_language(self, code: str) -> None:
        """Signed in, the language is the account's: saved there, then the page is built again in it."""
        saved = await attempt(lambda actor: call(preferences.set_language, actor, code), path=self.path)
        if saved is None:
            return
        self.storage[LANGUAGE_KEY] = saved.language
        ui.navigate.reload()  # every text of the page in the new language


async def _end_if_session_expired() -> None:
    if await current_principal(touch=False) is None:
        ui.navigate.to('/login')


def forbidden(principal: Principal) -> None:
    """The 403 page: signed in, but this page belongs to another role."""
    with frame(principal, _('Not allowed')):
        ui.label(_('You do not have access to this page.')).classes('text-lg')
        ui.label(_('This page belongs to another role. Use the navigation to get back to your own pages.')).classes(
            theme.SUBTLE
        )
        ui.button(_('Go to my home page'), on_click=lambda: ui.navigate.to('/'))
