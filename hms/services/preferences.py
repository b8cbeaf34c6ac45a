"""Per-user display preferences (colour theme, language): a user's own choice, remembered across browsers.

Not audited: they change nothing but how the pages look to the user who chose them.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.lists import format_list

from hms import i18n
from hms.db.uow import UnitOfWork
from hms.domain.errors import InvalidInput, NotFound
from hms.i18n import N_, _

from .principal import Principal

# Theme names are translated where shown (`_(THEMES[theme])`); each language is named in itself ('Deutsch'), so that
# people find their own whatever the page speaks.
THEMES = {'auto': N_('Match my device'), 'light': N_('Light'), 'dark': N_('Dark')}
LANGUAGES = dict(i18n.LANGUAGES)  # English, Deutsch, Français
DEFAULT_THEME = 'auto'


@dataclass(frozen=True)
class Preferences:
    theme: str = DEFAULT_THEME
    language: str | None = None  # None: the user has not chosen; pages follow the browser's Accept-Language


def get(uow: UnitOfWork, actor: Principal) -> Preferences:
    """The actor's own preferences; unknown stored values read as the defaults."""
    user = uow.users.get(actor.user_id)
    if user is None:
        raise NotFound(_('No such account.'))
    theme = user.theme if user.theme in THEMES else DEFAULT_THEME
    language = user.language if user.language in LANGUAGES else None
    return Preferences(theme=theme, language=language)


def set_theme(uow: UnitOfWork, actor: Principal, theme: str) -> Preferences:
    if theme not in THEMES:
        choices = _either([_(name) for name in THEMES.values()])
        raise InvalidInput(
            _('Choose a colour theme: {choices}.', choices=choices),
            field_errors={'theme': _('Choose one of {choices}.', choices=choices)},
        )
    return _write(uow, actor, theme=theme)


def set_language(uow: UnitOfWork, actor: Principal, language: str) -> Preferences:
    if language not in LANGUAGES:
        choices = _either(list(LANGUAGES.values()))
        raise InvalidInput(
            _('Choose a language: {choices}.', choices=choices),
            field_errors={'language': _('Choose one of {choices}.', choices=choices)},
        )
    return _write(uow, actor, language=language)


def _write(uow: UnitOfWork, actor: Principal, **changes: str) -> Preferences:
    user = uow.users.get(actor.user_id)
    if user is None:
        raise NotFound(_('No such account.'))
    for name, value in changes.items():
        setattr(user, name, value)
    uow.commit()
    return get(uow, actor)


def _either(names: list[str]) -> str:
    """'Light, Dark or Match my device' in the current language's way of listing choices."""
    return format_list(names, style='or', locale=i18n.locale())
