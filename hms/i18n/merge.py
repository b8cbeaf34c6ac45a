"""Merge translations into the catalogues: ``python -m hms.i18n.merge FILE.json [FILE.json ...]``.

Each file is a JSON list of entries ``{"msgid": "...", "de": "...", "fr": "..."}``; a plural entry adds
``"msgid_plural"`` and gives each language a list of forms. Existing entries are replaced, new ones added, nothing is
removed (``make translations`` drops what the code no longer uses). Several people can merge at once: the catalogues
are rewritten under a lock.
"""

from __future__ import annotations

import fcntl
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from . import LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE


@contextmanager
def _locked() -> Iterator[None]:
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCALE_DIR / '.merge.lock').open('w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _catalogue(language: str) -> tuple[Path, Catalog]:
    path = LOCALE_DIR / language / 'LC_MESSAGES' / 'messages.po'
    if path.is_file():
        with path.open('rb') as handle:
            return path, read_po(handle, locale=language)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, Catalog(locale=language, project='HMS', copyright_holder='HMS contributors')


def merge(entries: list[dict[str, Any]]) -> int:
    """Add or replace ``entries`` in every language's catalogue; returns how many entries were merged."""
    with _locked():
        for language in LANGUAGES:
            if language == SOURCE_LANGUAGE:
                continue
            path, catalog = _catalogue(language)
            for entry in entries:
                text = entry.get(language)
                if not text:
                    continue
                key: str | tuple[str, str] = entry['msgid']
                string: str | tuple[str, ...] = str(text)
                if entry.get('msgid_plural'):
                    forms = [str(form) for form in text] if isinstance(text, list) else [str(text)]
                    forms += [forms[-1]] * (catalog.num_plurals - len(forms))
                    key, string = (entry['msgid'], entry['msgid_plural']), tuple(forms[: catalog.num_plurals])
                message = catalog.get(entry['msgid'])
                if message is None:
                    catalog.add(key, string)
                else:  # Catalog.add keeps an existing entry's translation: replace it here
                    message.id, message.string = key, string
                    message.flags.discard('fuzzy')
            with path.open('wb') as handle:
                write_po(handle, catalog, width=0, sort_output=True)
    return len(entries)


def main(paths: list[str]) -> int:
    total = 0
    for name in paths:
        entries = json.loads(Path(name).read_text(encoding='utf-8'))
        if not isinstance(entries, list):
            print(f'{name}: expected a JSON list of entries', file=sys.stderr)
            return 2
        total += merge(entries)
    print(f'merged {total} entries into ' + ', '.join(code for code in LANGUAGES if code != SOURCE_LANGUAGE))
    return 0


if __name__ == '__main__':
    raise SystemExit(main(sys.argv[1:]))
