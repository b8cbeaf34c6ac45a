"""Per-user display preferences (colour theme, language): a user's own choice, remembered across browsers.

Not audited: they change nothing but how the pages look to the user who chose them.
"""

from __future__ import annotations

from dataclasses import dataclass

from hms.db.uow import UnitOfWork
from hms.domain.errors import InvalidInput, NotFound

from .principal import Principal

THEMES = {'auto': 'Match my device', 'light': 'Light', 'dark': 'Dark'}
LANGUAGES = {'en': 'English', 'de': 'Deutsch'}
DEFAULT_THEME = 'auto'
DEFAULT_LANGUAGE = 'en'


@dataclass(frozen=True)
class Preferences:
    theme: str = DEFAULT_THEME
    language: str = DEFAULT_LANGUAGE


def get(uow: UnitOfWork, actor: Principal) -> Preferences:
    """The actor's own preferences; unknown stored values read as the defaults."""
    user = uow.users.get(actor.user_id)
    if user is None:
        raise NotFound('No such account.')
    theme = user.theme if user.theme in THEMES else DEFAULT_THEME
    language = user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE
    return Preferences(theme=theme, language=language)


def set_theme(uow: UnitOfWork, actor: Principal, theme: str) -> Preferences:
    if theme not in THEMES:
        choices = ', '.join(THEMES)
        raise InvalidInput(f'Choose a colour theme: {choices}.', field_errors={'theme': f'One of {choices}.'})
    return _write(uow, actor, theme=theme)


def set_language(uow: UnitOfWork, actor: Principal, language: str) -> Preferences:
    if language not in LANGUAGES:
        choices = ', '.join(LANGUAGES)
        raise InvalidInput(f'Choose a language: {choices}.', field_errors={'language': f'One of {choices}.'})
    return _write(uow, actor, language=language)


def _write(uow: UnitOfWork, actor: Principal, **changes: str) -> Preferences:
    user = uow.users.get(actor.user_id)
    if user is None:
        raise NotFound('No such account.')
    for name, value in changes.items():
        setattr(user, name, value)
    uow.commit()
    return get(uow, actor)
