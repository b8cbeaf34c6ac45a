"""Catalogue checks (``python -m hms.i18n.check``, run by ``make translations`` and the tests): every shipped
language translates every message of the template, none is fuzzy, and placeholders match the source exactly."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from . import LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

TEMPLATE = LOCALE_DIR / 'messages.pot'
PLACEHOLDER = re.compile(r'\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_]+\)[sd]')


@dataclass(frozen=True)
class Problem:
    language: str
    message: str
    what: str

    def __str__(self) -> str:
        return f'{self.language}: {self.what}: {self.message!r}'


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open('rb') as handle:
        return read_po(handle, locale=language)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _forms(message: Message) -> list[str]:
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return [str(text) for text in strings if text]


def problems(language: str, template: Catalog, catalog: Catalog) -> list[Problem]:
    found: list[Problem] = []
    for source in template:
        if not source.id:
            continue
        key = source.id
        text = str(key[0] if isinstance(key, (tuple, list)) else key)
        message = catalog.get(key, context=source.context)
        if message is None:
            found.append(Problem(language, text, 'missing'))
            continue
        if message.fuzzy:
            found.append(Problem(language, text, 'fuzzy'))
        forms = _forms(message)
        expected_forms = catalog.num_plurals if isinstance(key, tuple) else 1
        if len(forms) < expected_forms:
            found.append(Problem(language, text, 'untranslated'))
            continue
        wanted = placeholders(str(key[-1] if isinstance(key, (tuple, list)) else key))
        for form in forms:
            got = placeholders(form)
            # a plural form may leave the count out ('un rendez-vous'), never add or rename one
            if got != wanted and not (isinstance(key, tuple) and set(got) <= set(wanted)):
                found.append(Problem(language, text, f'placeholders {got} instead of {wanted}'))
    return found


def check_all(locale_dir: Path = LOCALE_DIR) -> list[Problem]:
    template = read(locale_dir / 'messages.pot')
    found: list[Problem] = []
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        path = locale_dir / language / 'LC_MESSAGES' / 'messages.po'
        if not path.is_file():
            found.append(Problem(language, str(path), 'no catalogue'))
            continue
        found.extend(problems(language, template, read(path, language)))
    return found


def main() -> int:
    found = check_all()
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print(f'{len(found)} catalogue problem(s)', file=sys.stderr)
        return 1
    print('catalogues complete: ' + ', '.join(sorted(LANGUAGES)))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
