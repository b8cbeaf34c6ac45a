"""Every page of every role, walked in the pseudo-locale: a visible text that is not accented and bracketed did not
go through gettext. The pages come from the access matrix, which fails when a page has no row (the page registry).

Data is allowed to stay as it is (names, emails, the clinic's and departments' names, what people typed), and so are
the CLDR month and weekday names that Babel writes in the pseudo-locale's British-English date formats."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from babel.dates import get_day_names, get_month_names
from babel.messages.pofile import read_po
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import select

from hms import i18n
from hms.clock import ManualClock
from hms.db.models import Base, Notice
from hms.services import preferences

from . import access_matrix as matrix
from .access_matrix import ADMIN, ANON, DOCTOR_X, PATIENT_A
from .page_steps import sign_in
from .scheduling_fixtures import Clinic
from .test_access_matrix import HOME_HEADINGS, PAGE_OBJECTS, World, _sign_in, build_world

TEXT_PROPS = ('label', 'placeholder', 'hint', 'aria-label', 'title', 'error-message', 'prefix', 'suffix')
WORD = re.compile(r'[^\W\d_]{3,}')  # a run of letters; a plain one is all ASCII (pseudo text is accented)
PLAIN = re.compile(r'[A-Za-z]+')
BRACKETED = re.compile(r'\[[^\[\]]*\]')
# Words that are the same in every language: product and format names, units, and the languages' own names.
UNTRANSLATABLE = {
    'HMS',
    'CSV',
    'PDF',
    'PNG',
    'SMS',
    'UTC',
    'TOTP',
    'API',
    'ICS',
    'Plotly',
    'English',
    'Deutsch',
    'Français',
}


def cldr_names() -> set[str]:
    locale = i18n.babel_locale(i18n.PSEUDO)
    names: set[str] = set()
    for width in ('wide', 'abbreviated', 'short'):
        names |= {str(name).rstrip('.') for name in get_day_names(width, locale=locale).values()}
    for width in ('wide', 'abbreviated'):
        names |= {str(name).rstrip('.') for name in get_month_names(width, locale=locale).values()}
    return names


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def data_of(world: World) -> set[str]:
    """Strings that are data on these pages: whatever is stored (names, emails, departments, specializations,
    reasons, diagnoses, addresses), and the clinic's settings."""
    settings = world.clinic.ctx.settings
    found = {settings.clinic_name, settings.timezone}
    with world.clinic.ctx.uow() as uow:
        for table in Base.metadata.sorted_tables:
            if table.name in ('audit_log', 'sessions', 'login_attempts', 'outbox_messages', 'alembic_version'):
                continue
            for row in uow.session.execute(select(table)):
                for value in row:
                    found.update(_strings(value))
    return {text for text in found if len(text) > 2}


def sent_notices(world: World) -> set[str]:
    with world.clinic.ctx.uow() as uow:
        rows = uow.session.execute(select(Notice.subject, Notice.body)).all()
    return {text for row in rows for text in row}


def texts(user: User) -> Iterator[tuple[str, str]]:
    assert user.client is not None
    for element in user.client.layout.descendants():
        if not element.visible:
            continue
        text = getattr(element, 'text', None)
        if isinstance(text, str) and text.strip():
            yield type(element).__name__, text
        for prop in TEXT_PROPS:
            value = element.props.get(prop)
            if isinstance(value, str) and value.strip():
                yield f'{type(element).__name__}[{prop}]', value


def untranslated(text: str, allowed: set[str], names: set[str]) -> list[str]:
    """The plain words left in ``text`` once pseudo-translated parts, data and CLDR names are taken out."""
    rest = BRACKETED.sub(' ', text)
    for value in sorted(allowed, key=len, reverse=True):
        rest = rest.replace(value, ' ')
    words = [word for word in WORD.findall(rest) if PLAIN.fullmatch(word)]
    return [word for word in words if word not in names and word not in UNTRANSLATABLE]


def pages_of(actor: str, world: World) -> list[str]:
    """The addresses of every page ``actor`` may open and that draws a page (not a redirect or a download)."""
    found = []
    for rule in matrix.PAGE_RULES:
        if actor not in rule.allowed or 200 not in rule.ok or rule.path in ('/logout', '/manifest.webmanifest'):
            continue
        if '/download' not in rule.path and not rule.path.endswith('.ics'):  # files, not pages
            found.append(rule.path.format(**PAGE_OBJECTS.get(rule.key.removeprefix('GET '), lambda w: {})(world)))
    return found


@pytest.mark.parametrize('actor', [ANON, PATIENT_A, DOCTOR_X, ADMIN])
async def test_every_page_speaks_the_pseudo_locale(
    user: User, clinic: Clinic, clock: ManualClock, actor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(clinic, clock)
    if actor != ANON:
        await _sign_in(user, world, actor)
    else:
        await user.open('/login')
    monkeypatch.setattr(i18n, '_resolver', lambda: i18n.PSEUDO)  # every page and service call of this browser
    allowed, names = data_of(world), cldr_names()
    problems: list[str] = []
    walked = accented = 0
    for path in pages_of(actor, world):
        await user.open(path)
        await user.should_see(kind=ui.label)  # the page is drawn
        walked += 1
        for where, text in texts(user):
            accented += text != BRACKETED.sub('', text)
            words = untranslated(text, allowed, names)
            if words:
                problems.append(f'{path}: {where}: {text!r} (plain: {", ".join(words)})')
    assert walked > 0 and accented > 5 * walked  # the walk saw the pages' texts, in the pseudo-locale
    assert not problems, f'{len(problems)} texts not translated:\n' + '\n'.join(sorted(set(problems)))


def english_sources() -> set[str]:
    """Every English message of the catalogue template (what a page would show untranslated)."""
    with (i18n.LOCALE_DIR / 'messages.pot').open('rb') as handle:
        template = read_po(handle)
    return {str(message.id[0] if isinstance(message.id, tuple | list) else message.id) for message in template}


def translated_texts(language: str) -> set[str]:
    with (i18n.LOCALE_DIR / language / 'LC_MESSAGES' / 'messages.po').open('rb') as handle:
        catalogue = read_po(handle, locale=language)
    return {str(form) for message in catalogue for form in _forms(message.string)}


def _forms(string: object) -> list[object]:
    return list(string) if isinstance(string, tuple | list) else [string]


@pytest.mark.parametrize('language', ['de', 'fr'])
@pytest.mark.parametrize('actor', [ANON, PATIENT_A, DOCTOR_X, ADMIN])
async def test_every_page_speaks_german_and_french(
    user: User, clinic: Clinic, clock: ManualClock, actor: str, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In German and French no page shows an English message that the catalogue translates differently."""
    world = build_world(clinic, clock)
    if actor == ANON:
        monkeypatch.setattr(i18n, '_resolver', lambda: language)  # as the browser's Accept-Language would
    else:  # as the user would: the account's preference, which the pages follow after sign-in
        with clinic.ctx.uow() as uow:
            preferences.set_language(uow, world.person(actor), language)
        with i18n.use_language(language):
            home = i18n.gettext(HOME_HEADINGS[actor])
        await sign_in(user, world.person(actor).email, world.password(actor), home)
    catalogue = i18n.translations(language)
    # English messages, less the words that are also this language's translation of something ('Start' is German),
    # less the notices already sent: each was written once, in the language its reader had then (the welcome at
    # registration, before this account chose a language), and is kept as sent, like an email
    sources = {text for text in english_sources() if catalogue.gettext(text) != text} - translated_texts(language)
    sources -= sent_notices(world)
    problems: list[str] = []
    walked = 0
    for path in pages_of(actor, world):
        await user.open(path)
        await user.should_see(kind=ui.label)
        walked += 1
        for where, text in texts(user):
            if text in sources:
                problems.append(f'{path}: {where}: {text!r}')
    assert walked > 0
    assert not problems, f'{len(problems)} English texts on {language} pages:\n' + '\n'.join(sorted(set(problems)))


def test_the_walk_would_see_an_untranslated_text() -> None:
    names = cldr_names()
    assert untranslated('Book an appointment', set(), names) == ['Book', 'appointment']
    assert untranslated(i18n.pseudo('Book an appointment'), set(), names) == []
    assert untranslated('Ada Lovelace, Tue 3 Mar 2026', {'Ada Lovelace'}, names) == []
