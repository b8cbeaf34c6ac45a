"""The clinic's messages as Jinja2 templates (``hms/notify/templates``): an HTML and a plain-text template per
message, translated through the same gettext catalogues as the rest of HMS, in the language in force (the
recipient's: callers compose inside ``hms.i18n.use_language``).

Templates write text as ``{{ _('Dear {name},', name=patient_name) }}``: whole sentences with named placeholders, as in
Python. HTML templates are autoescaped, and so is everything filled into a sentence (names, addresses: whatever a user
typed is never markup); a placeholder can take markup only as ``Markup`` (a ``{% set %}`` block of the template).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import escape

from hms.i18n import current_language, gettext, translations

from .message import Attachment, Message

TEMPLATES = Path(__file__).resolve().parent / 'templates'


def _fill(context: Context, text: str, params: dict[str, Any]) -> str:
    if context.eval_ctx.autoescape:
        return escape(text).format(**params)  # the values are escaped, unless they are Markup
    return text.format(**params)


@pass_context
def _gettext(context: Context, message: str, **params: Any) -> str:
    return _fill(context, gettext(message), params)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(current_language()).ngettext(singular, plural, n)
    return _fill(context, text, {'n': n, **params})


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=('html',), default_for_string=False, default=False),
        extensions=['jinja2.ext.i18n'],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Not Jinja's "newstyle" wrappers: those fill %(name)s placeholders, and HMS's messages use {name} (filled and
    # escaped above). The extension's ``_`` calls the ``gettext`` installed here, with the template's context.
    cast(Any, env).install_gettext_callables(gettext=_gettext, ngettext=_ngettext, newstyle=False)
    return env


def render(template: str, /, **values: Any) -> str:
    """One template, in the language in force (``language`` is given to it for ``<html lang>``)."""
    return environment().get_template(template).render(language=current_language(), **values)


def email(
    template: str,
    /,
    *,
    to_email: str,
    to_name: str,
    subject: str,
    attachments: tuple[Attachment, ...] = (),
    short_text: str = '',
    phone: str | None = None,
    **values: Any,
) -> Message:
    """A message from ``{template}.html`` and ``{template}.txt``, both given ``values`` and the ``subject``."""
    return Message(
        to_email=to_email,
        to_name=to_name,
        subject=subject,
        text=render(f'{template}.txt', subject=subject, **values),
        html=render(f'{template}.html', subject=subject, **values),
        attachments=attachments,
        short_text=short_text,
        phone=phone,
    )
