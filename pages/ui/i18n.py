"""The pages' side of translations: which language this browser speaks, and the language menu's choices.

Text on pages goes through ``hms.i18n`` (gettext catalogues); ``install`` tells it how to find the language of the
page being built or the event being handled: the language kept in this browser's storage (the signed-in user's
account preference, copied there by the frame, or the choice made on the sign-in page), else the browser's
``Accept-Language``, else ``HMS_DEFAULT_LANGUAGE``.
"""

from __future__ import annotations

from nicegui import app, context

from hms import i18n

LANGUAGE_KEY = 'display_language'  # this browser's copy of the user's choice; for a signed-in user the account rules


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
    """Keep a language for this browser (the sign-in page's menu, or the account's preference once signed in)."""
    code = i18n.normalise(language_code)
    if code is not None:
        app.storage.user[LANGUAGE_KEY] = code
