"""What a text field accepts: the one rule for every string users type (names, addresses, reasons, notes...).

Typed text later lands in email headers, log lines, CSV rows, calendar files, PDFs and other users' screens, where an
invisible character can do harm: a line break splits a header or a log line, a bidirectional override (U+202E)
reorders what another user reads, a NUL or a lone surrogate breaks the database driver or the encoder. So:

- every string field of a ``Command`` is single-line unless marked ``MULTI_LINE`` (a new field is safe by default);
- single-line fields refuse every control and format character (Unicode Cc, Cf, Zl, Zp and surrogates) — refused,
  not silently removed, because a line break or an override in a name is either a mistake the user should see or an
  attack; the message names the character so that an API client can find it;
- multi-line fields (notes, descriptions, reasons typed in a text area) keep line breaks and tabs; every other kind
  of line break (CR LF, CR, U+2028, U+2029, VT, FF, NEL) becomes ``\\n``, because it means the same and other tools
  read it differently; the rest is refused as in single-line fields;
- both strip invisible characters that copying from documents and spreadsheets leaves behind and that carry no
  meaning in a field (zero-width space, byte order mark, soft hyphen, word joiner, the left-to-right, right-to-left
  and Arabic letter marks): a user cannot see them to remove them, and once gone they can do no harm;
- zero-width (non-)joiners stay: Persian, Indic scripts and emoji sequences need them to be spelt right.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from hms.i18n import _


class TextKind:
    """Marks, inside ``Annotated[str, ...]``, a field that may hold several lines."""

    def __repr__(self) -> str:
        return 'MULTI_LINE'


MULTI_LINE = TextKind()

STRIPPED = frozenset('\u200b\u200e\u200f\u061c\ufeff\u00ad\u2060')
KEPT_FORMAT = frozenset('\u200c\u200d')
LINE_BREAKS = ('\r\n', '\r', '\u2028', '\u2029', '\x0b', '\x0c', '\x85')
_REFUSED_CATEGORIES = frozenset({'Cc', 'Cf', 'Zl', 'Zp', 'Cs'})


def _refusal(character: str, *, multi_line: bool) -> ValueError:
    code = f'U+{ord(character):04X}'
    if character == '\t' or any(character in separator for separator in (*LINE_BREAKS, '\n')):
        return ValueError(_('This field takes a single line: remove the line break or tab ({code}).', code=code))
    if multi_line:
        return ValueError(
            _(
                'This field contains an invisible control character ({code}); line breaks and tabs are fine, '
                'other control characters are not.',
                code=code,
            )
        )
    return ValueError(_('This field contains an invisible control character ({code}); remove it.', code=code))


def clean_text(value: str, *, multi_line: bool = False) -> str:
    """``value`` under the rule above: cleaned, or ValueError with a translated message."""
    if value.isprintable():  # nearly every value: no control, format or separator character at all
        return value
    if multi_line:
        for separator in LINE_BREAKS:
            value = value.replace(separator, '\n')
    kept: list[str] = []
    for character in value:
        if character in STRIPPED:
            continue
        if character in KEPT_FORMAT or (multi_line and character in '\n\t'):
            kept.append(character)
            continue
        if unicodedata.category(character) in _REFUSED_CATEGORIES:
            raise _refusal(character, multi_line=multi_line)
        kept.append(character)
    return ''.join(kept)


def is_multi_line(annotation: Any, metadata: Sequence[Any] = ()) -> bool:
    """Whether a field's type (e.g. ``Notes | None``, ``list[Notes]``) or its metadata carries ``MULTI_LINE``."""
    if any(item is MULTI_LINE for item in metadata):
        return True
    nested = list(getattr(annotation, '__metadata__', ())) + list(getattr(annotation, '__args__', ()) or ())
    return any(item is MULTI_LINE or (item is not annotation and is_multi_line(item)) for item in nested)


def one_line(value: str) -> str:
    """``value`` made safe where one line is all there is (an email header, a calendar parameter, a log line): each
    control, format or separator character becomes a space. For output paths, which must never fail; input is
    checked by ``clean_text`` already, so this only matters for data stored before the rule or from elsewhere."""
    if value.isprintable():
        return value
    return ''.join(
        ' ' if unicodedata.category(character) in _REFUSED_CATEGORIES and character not in KEPT_FORMAT else character
        for character in value
    )
