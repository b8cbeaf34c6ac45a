"""The catalogues are complete and current: every message the code marks is in the template, every shipped language
translates all of them (none fuzzy), and placeholders match the English exactly."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from hms import i18n
from hms.i18n import check

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {**DEFAULT_KEYWORDS, 'lazy_gettext': None}
METHODS = [('**.py', 'python'), ('**/templates/**', 'jinja2')]


def marked_in_code() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    for folder in ('hms', 'pages', 'jobs'):
        for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT / folder), METHODS, keywords=KEYWORDS
        ):
            found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def in_template() -> set[tuple[str | None, str]]:
    with check.TEMPLATE.open('rb') as handle:
        template = read_po(handle)
    return {
        (message.context, str(message.id[0] if isinstance(message.id, tuple) else message.id))
        for message in template
        if message.id
    }


def test_every_shipped_language_translates_every_message_with_the_same_placeholders() -> None:
    problems = check.check_all()
    assert not problems, '\n'.join(map(str, problems[:50]))


def test_the_template_holds_every_message_the_code_marks() -> None:
    marked = marked_in_code()
    missing = marked - in_template()
    assert not missing, f'run `make translations`: {sorted(missing, key=str)[:20]}'
    assert len(marked) > 900


def test_the_check_finds_missing_fuzzy_and_changed_placeholders() -> None:
    template = Catalog()
    for text in ('Welcome, {name}', 'Booked', 'Cancelled', 'Sign out'):
        template.add(text)
    german = Catalog(locale='de')
    german.add('Welcome, {name}', 'Willkommen, {nom}')
    german.add('Booked', 'Gebucht', flags=('fuzzy',))
    german.add('Cancelled', '')
    found = {(problem.message, problem.what.split(' ')[0]) for problem in check.problems('de', template, german)}
    assert found == {
        ('Welcome, {name}', 'placeholders'),
        ('Booked', 'fuzzy'),
        ('Cancelled', 'untranslated'),
        ('Sign out', 'missing'),
    }


def test_languages_are_negotiated_from_accept_language() -> None:
    assert i18n.negotiate('fr-CH, fr;q=0.9, en;q=0.8') == 'fr'
    assert i18n.negotiate('es, de;q=0.5') == 'de'
    assert i18n.negotiate('es, en;q=0') is None
    assert i18n.negotiate(None) is None


def test_a_message_is_in_the_language_in_force() -> None:
    for language, expected in (('en', 'Sign out'), ('de', 'Abmelden'), ('fr', 'Se déconnecter')):
        with i18n.use_language(language):
            assert i18n.gettext('Sign out') == expected
    with i18n.use_language('es'):  # not offered: the clinic's default
        assert i18n.gettext('Sign out') == 'Sign out'
    with i18n.use_language(i18n.PSEUDO):
        assert i18n.gettext('Welcome, {name}', name='Ada') == '[Ŵéļçöɱé, Ada]'
    with i18n.use_language('de'):
        assert i18n.ngettext('{n} doctor', '{n} doctors', 2).startswith('2 ')


def test_untranslated_messages_fall_back_to_english_not_to_an_error() -> None:
    with i18n.use_language('de'):
        assert i18n.gettext('A sentence nobody marked, {x}', x=1) == 'A sentence nobody marked, 1'
