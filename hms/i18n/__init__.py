"""Translations: gettext catalogues managed by Babel, chosen per request, page, message or job.

Every user-facing string goes through ``gettext`` (``_``) or ``ngettext`` with *named* placeholders
(``_('Welcome, {name}', name=...)``), so a translator sees whole sentences. The catalogues are the ``.po`` files in
``hms/locale/<language>/LC_MESSAGES/messages.po`` (``make translations`` extracts, updates and checks them); they are
compiled in memory on first use, so a fresh install serves every language without a build step.

The language in force is a context variable: the API sets it from ``Accept-Language`` for each request, a page from
the account's preference, a job from the recipient's (``use_language``). Where nothing set it, a resolver that the
page layer plugs in (the current browser's choice) or ``HMS_DEFAULT_LANGUAGE`` decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / 'locale'
DOMAIN = 'messages'
SOURCE_LANGUAGE = 'en'
PSEUDO = 'en-XA'  # every string wrapped and accented: untranslated text stands out (tests, a developer's eye)
LANGUAGES: dict[str, str] = {'en': 'English', 'de': 'Deutsch', 'fr': 'Français'}  # each in its own language
_PLACEHOLDER = re.compile(r'(\{[^{}]*\}|%\([^)]*\)[sdif]|<[^<>]*>|&[a-z]+;)')

_language: ContextVar[str | None] = ContextVar('hms_language', default=None)
_default_language = SOURCE_LANGUAGE
_resolver: Callable[[], str | None] | None = None


def configure(default_language: str, resolver: Callable[[], str | None] | None = None) -> None:
    """Set the clinic's default language and, for the pages, how to find the current browser's language."""
    global _default_language, _resolver  # noqa: PLW0603 - set once by the composition root
    _default_language = normalise(default_language) or SOURCE_LANGUAGE
    if resolver is not None:
        _resolver = resolver


def normalise(code: str | None) -> str | None:
    """One of the offered languages for a code such as 'de-AT' or 'fr_CH', or None."""
    if not code:
        return None
    if code == PSEUDO:
        return PSEUDO
    base = code.replace('_', '-').split('-')[0].strip().lower()
    return base if base in LANGUAGES else None


def negotiate(accept_language: str | None) -> str | None:
    """The best offered language for an ``Accept-Language`` header (quality values respected), or None."""
    if not accept_language:
        return None
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(',')):
        tag, _, params = part.strip().partition(';')
        quality = 1.0
        if params.strip().startswith('q='):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = normalise(tag.strip())
        if language and quality > 0:
            weighted.append((-quality, index, language))
    return min(weighted)[2] if weighted else None


def current_language() -> str:
    """The language in force here: set for this context, else the page's browser, else the clinic's default."""
    chosen = _language.get()
    if chosen is None and _resolver is not None:
        chosen = _resolver()
    return chosen or _default_language


def set_language(code: str | None) -> None:
    """Set the language for the rest of this context (a request, a page build)."""
    _language.set(normalise(code))


@contextmanager
def use_language(code: str | None) -> Iterator[str]:
    """Speak ``code`` (the recipient's language) inside the block; the default when it is not offered."""
    token = _language.set(normalise(code) or _default_language)
    try:
        yield current_language()
    finally:
        _language.reset(token)


def locale() -> Locale:
    """The Babel locale for formats (dates, numbers) in the current language."""
    return babel_locale(current_language())


# The conventions each language's dates and numbers follow: English as written internationally (8 Nov 2026, 14:30).
FORMAT_LOCALES = {'en': 'en_GB', 'de': 'de_DE', 'fr': 'fr_FR', PSEUDO: 'en_GB'}


@cache
def babel_locale(code: str) -> Locale:
    try:
        return Locale.parse(FORMAT_LOCALES.get(code, code.replace('-', '_')))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE_LANGUAGE)


class _PseudoTranslations(NullTranslations):
    """'[Ŝîĝñ îñ]': each string accented and bracketed, placeholders and markup kept as they are."""

    ACCENTS = str.maketrans(
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
        'àƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ',
    )

    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        return pseudo(message)


def pseudo(message: str) -> str:
    parts = _PLACEHOLDER.split(message)
    accented = ''.join(
        part if _PLACEHOLDER.fullmatch(part) else part.translate(_PseudoTranslations.ACCENTS) for part in parts
    )
    return f'[{accented}]'


@cache
def translations(code: str) -> NullTranslations:
    """The compiled catalogue of one language (English is the source: no catalogue)."""
    if code == PSEUDO:
        return _PseudoTranslations()
    path = LOCALE_DIR / code / 'LC_MESSAGES' / f'{DOMAIN}.po'
    if code == SOURCE_LANGUAGE or not path.is_file():
        return NullTranslations()
    compiled_file = path.with_suffix('.mo')  # made by `make translations`; used while it is not older than the .po
    if compiled_file.is_file() and compiled_file.stat().st_mtime >= path.stat().st_mtime:
        with compiled_file.open('rb') as handle:
            return Translations(fp=handle, domain=DOMAIN)
    with path.open('rb') as handle:
        catalog = read_po(handle, locale=code)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def _fill(text: str, params: dict[str, Any]) -> str:
    return text.format(**params) if params else text


def gettext(message: str, **params: Any) -> str:
    """``message`` in the current language, its ``{named}`` placeholders filled from ``params``."""
    return _fill(translations(current_language()).gettext(message), params)


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """The plural form for ``n`` in the current language; ``{n}`` and other named placeholders are filled."""
    return _fill(translations(current_language()).ngettext(singular, plural, n), {'n': n, **params})


def pgettext(context: str, message: str, **params: Any) -> str:
    """``message`` as meant in ``context``, for words whose translation depends on it (a dialog's "Cancel" is not
    an appointment's "Cancel")."""
    return _fill(str(translations(current_language()).pgettext(context, message)), params)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it here (a module-level label, translated where it is
    shown with ``_(label)``)."""
    return message


def lazy_gettext(message: str, **params: Any) -> LazyProxy:
    """A string translated when it is shown (module-level labels, error messages made before the language is known)."""
    return LazyProxy(gettext, message, enable_cache=False, **params)


_ = gettext
__all__ = [
    'LANGUAGES',
    'N_',
    'PSEUDO',
    '_',
    'babel_locale',
    'configure',
    'current_language',
    'gettext',
    'lazy_gettext',
    'locale',
    'negotiate',
    'ngettext',
    'normalise',
    'pgettext',
    'set_language',
    'use_language',
]
