"""The pages' side of translations: which language this browser speaks, the page's ``<html lang>``, and the language
menu.

Text on pages goes through ``hms.i18n`` (gettext catalogues); ``install`` tells it how to find the language of the
page being built or the event being handled: the language kept in this browser's storage (the signed-in user's
account preference, copied there at sign-in and by the frame, or the choice made with the menu before signing in),
else the browser's ``Accept-Language``, else ``HMS_DEFAULT_LANGUAGE``.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from functools import partial

from nicegui import app, context, ui
from nicegui.language import Language

from hms import i18n
from hms.i18n import _

LANGUAGE_KEY = 'display_language'  # this browser's copy of the user's choice; for a signed-in user the account rules
# Quasar's language pack for each of ours: its own texts (table pagination, "no data", the date picker's defaults)
# and the <html lang> NiceGUI writes. English follows British conventions, as the formats do (hms.i18n.FORMAT_LOCALES).
QUASAR_LANGUAGES: dict[str, Language] = {'en': 'en-GB', 'de': 'de', 'fr': 'fr', i18n.PSEUDO: 'en-GB'}

Choose = Callable[[str], Awaitable[None] | None]


def browser_language() -> str | None:
    """The language of the page in the current NiceGUI context, or None outside one (background work)."""
    try:
        stored = app.storage.user.get(LANGUAGE_KEY)
    except (RuntimeError, AttributeError):  # no page, no browser storage
        return None
    if stored and i18n.normalise(str(stored)):
        return i18n.normalise(str(stored))
    try:
        request = context.client.request
    except (RuntimeError, AttributeError):
        return None
    return i18n.negotiate(request.headers.get('accept-language')) if request is not None else None


def install(default_language: str) -> None:
    """Called when the pages are registered: the clinic's default, and this module's way to find a page's language."""
    i18n.configure(default_language, browser_language)


def language() -> str:
    """The language the current page speaks."""
    return i18n.current_language()


def remember(language_code: str) -> None:
    """Keep a language for this browser (the menu before signing in, or the account's preference once signed in)."""
    code = i18n.normalise(language_code)
    if code is not None:
        app.storage.user[LANGUAGE_KEY] = code


def apply_to_page() -> None:
    """Give the page being built its language: ``<html lang="...">`` and Quasar's own texts (``theme.apply`` calls
    this first thing on every page, the error pages included).

    Which way, and why: NiceGUI writes ``<html lang>`` and loads Quasar's language pack from the *page's* ``language``
    (``ui.page(language=...)``), one value per route, shared by every browser. Our pages speak each browser's
    language, so this client gets its own copy of the page's settings with its language. Then the served HTML
    carries the attribute from its first byte (screen readers, hyphenation and the browser's offer to translate read
    it on load; ``ui.query('html').props('lang=...')`` would set it only once the app has mounted, and a script in the
    head would leave Quasar in English), and Quasar's built-in texts speak the page's language too. A copy, never the
    shared page object: two browsers build the same page at the same time.
    """
    try:
        client = context.client
    except RuntimeError:  # no page being built
        return
    wanted = QUASAR_LANGUAGES.get(language(), QUASAR_LANGUAGES[i18n.SOURCE_LANGUAGE])
    try:
        current = client.page.resolve_language()
    except AttributeError:  # NiceGUI is shutting down (its app config is being reset): nothing left to serve
        return
    if current != wanted:
        own = copy.copy(client.page)
        own.language = wanted
        client.page = own


def language_name(code: str) -> str:
    """A language's name in that language ('Deutsch'); the pseudo-locale reads as English."""
    return i18n.LANGUAGES.get(code, i18n.LANGUAGES[i18n.SOURCE_LANGUAGE])


def choose_for_browser(code: str) -> None:
    """Before signing in: keep the choice for this browser, and show the page again in it."""
    remember(code)
    ui.navigate.reload()


def language_menu(choose: Choose = choose_for_browser, *, color: str = 'white') -> ui.button:
    """The language button and its menu (each language named in itself); ``choose`` gets the chosen code."""
    current = language()
    name = language_name(current)
    button = ui.button(icon='translate').props(f'flat round color={color}')
    button.props['aria-label'] = _('Language: {name}. Change', name=name)
    with button.mark('language-menu'):
        ui.tooltip(_('Language: {name}', name=name))
        with ui.menu().mark('language-options'):
            for code, label in i18n.LANGUAGES.items():
                item = ui.menu_item(label, on_click=partial(_chosen, choose, code))
                item.props(f'lang={code}' + (' active' if code == current else '')).mark(f'language-{code}')
    return button


async def _chosen(choose: Choose, code: str) -> None:
    result = choose(code)
    if result is not None:
        await result
