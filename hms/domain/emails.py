"""Email addresses in their one form: every entry point (registration, sign-in, admin and profile forms, the API)
normalises through ``normalise_email``, so addresses that look alike are one address, and the unique index on the
stored form refuses a look-alike duplicate."""

from __future__ import annotations

import unicodedata
from typing import Annotated

import email_validator
from confusable_homoglyphs import confusables
from pydantic import AfterValidator, Field

from hms.i18n import _

# Clinics run staff mail on internal domains (clinic.local) and test on .test: accept those, refuse the rest of
# the special-use names (invalid, onion, arpa, localhost) as email-validator does.
email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = [
    name for name in email_validator.SPECIAL_USE_DOMAIN_NAMES if name not in {'local', 'test'}
]


def normalise_email(text: str) -> str:
    """The stored form of an address: validated by email-validator (no DNS lookup), the domain in its ASCII form
    (``bücher.de`` and ``xn--bcher-kva.de`` are one domain), the local part folded by NFKC and lower-cased (fullwidth
    and compatibility letters, and letter case, make no new address). Raises ValueError with a translated message."""
    try:
        parts = email_validator.validate_email(text.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        raise ValueError(_('Enter a valid email address.')) from error
    local = unicodedata.normalize('NFKC', parts.local_part).lower()
    if local != parts.local_part.lower():  # the folded form must itself be an address (e.g. no new '@')
        try:
            email_validator.validate_email(f'{local}@{parts.ascii_domain}', check_deliverability=False)
        except email_validator.EmailNotValidError as error:
            raise ValueError(_('Enter a valid email address.')) from error
    return f'{local}@{parts.ascii_domain.lower()}'


def look_alike_key(normalised: str) -> str:
    """What a normalised address looks like to a reader: each letter that has a Latin look-alike in another script
    (Unicode's confusables, e.g. Cyrillic a (U+0430) for Latin a) replaced by it. Two addresses with one key cannot be
    told apart on a screen; an ASCII address is its own key."""
    if normalised.isascii():
        return normalised
    return ''.join(_latin_look_alike(character) for character in normalised).lower()


def _latin_look_alike(character: str) -> str:
    if character.isascii():
        return character
    found = confusables.is_confusable(character, greedy=True, preferred_aliases=['latin'])
    if not found:
        return character
    latin = [glyph['c'] for glyph in found[0]['homoglyphs'] if glyph['c'].isascii() and glyph['c'].isalnum()]
    return latin[0] if latin else character


def email_or_as_typed(text: str) -> str:
    """The normal form of something typed as an address, or the text itself when it is none (sign-in: a wrong
    address is simply a wrong credential)."""
    try:
        return normalise_email(text)
    except ValueError:
        return text.strip().lower()


# `format: email` in the published schema, as when these fields were pydantic's EmailStr.
Email = Annotated[str, Field(max_length=254, json_schema_extra={'format': 'email'}), AfterValidator(normalise_email)]
