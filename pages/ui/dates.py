"""Date inputs in the page's language.

- ``date_picker_locale()``: the ``locale`` prop of a Quasar date picker (``ui.date``): month and weekday names and the
  first day of the week of the page's language, from CLDR (Babel).
- ``date_input(label, ...)``: a date field that shows and accepts dates as the language writes them ('31/12/2026',
  '31.12.2026'; ISO '2026-12-31' too), with a calendar in the page's language next to it. Its value is the text as
  shown; ``parse`` reads it (a ``date``, None when empty), ``iso`` gives what services and schemas take.

Instead of ``ui.input(...).props('type=date')`` (whose calendar and format follow the browser, not the page) and a
bare ``ui.date()`` (Quasar's names): ``dates.date_input(_('From'))`` and ``dates.parse(field.value)``, or
``ui.date(...).props(...)`` with ``picker.props['locale'] = dates.date_picker_locale()``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from babel import dates as cldr
from nicegui import ui

from hms import clock, i18n
from hms.i18n import _
from hms.i18n import formats as i18n_formats

PICKER_MASK = 'YYYY-MM-DD'  # what the calendar speaks (ISO); people see the language's own form
_SUNDAY_FIRST = (6, 0, 1, 2, 3, 4, 5)  # Babel counts from Monday, Quasar from Sunday
# Three numbers with a separator between them: '31/12/2026', '31.12.2026', '2026-12-31', '12/31/2026'.
_TYPED = re.compile(r'\s*(\d{1,4})\s*[./\-\s]\s*(\d{1,2})\s*[./\-\s]\s*(\d{1,4})\s*\.?\s*')


def date_picker_locale() -> dict[str, Any]:
    """QDate's ``locale`` prop for the page's language: names from CLDR, the language's first day of the week."""
    locale = i18n.locale()
    days = cldr.get_day_names('wide', context='format', locale=locale)
    days_short = cldr.get_day_names('abbreviated', context='format', locale=locale)
    months = cldr.get_month_names('wide', context='stand-alone', locale=locale)
    months_short = cldr.get_month_names('abbreviated', context='stand-alone', locale=locale)
    return {
        'days': [str(days[index]) for index in _SUNDAY_FIRST],
        'daysShort': [str(days_short[index]) for index in _SUNDAY_FIRST],
        'months': [str(months[index]) for index in range(1, 13)],
        'monthsShort': [str(months_short[index]) for index in range(1, 13)],
        'firstDayOfWeek': (locale.first_week_day + 1) % 7,
        'format24h': 'H' in str(cldr.get_time_format('short', locale=locale).pattern),
    }


def input_pattern() -> str:
    """The language's short date pattern with a four-digit year ('dd/MM/yyyy', 'dd.MM.yyyy'): a birth year or a
    period's start never reads as two digits."""
    return re.sub(r'y+', 'yyyy', i18n_formats.date_input_mask())


def shown(value: date | None) -> str:
    """A date as the date fields show it: '31/12/2026', '31.12.2026'; '' for none."""
    return i18n_formats.format_date(value, input_pattern()) if value is not None else ''


def example() -> str:
    """A date in the field's form, for hints and messages (the 31st: day and month cannot be mistaken)."""
    return shown(date(clock.now().year, 12, 31))


def invalid_message() -> str:
    return _('Enter a date like {example}.', example=example())


def parse(text: object) -> date | None:
    """The date in a date field's text: the language's form or ISO; None when empty. ``ValueError`` (with a message
    for the page, ``invalid_message()``) when the text is no date."""
    typed = str(text or '').strip()
    if not typed:
        return None
    found = _TYPED.fullmatch(typed)
    if found is None:
        raise ValueError(invalid_message())
    if len(found.group(1)) == 4:  # a year first: ISO ('2026-12-31'), whatever the language
        year, month, day = found.groups()
    else:
        parts = dict(zip(_field_order(), found.groups(), strict=True))
        year, month, day = parts['y'], parts['M'], parts['d']
        if len(year) != 4:
            raise ValueError(invalid_message())
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(invalid_message()) from None


def _field_order() -> str:
    """The order of day, month and year in the language's dates: 'dMy', 'Mdy'."""
    letters = re.sub(r"'[^']*'", '', input_pattern())
    return ''.join(dict.fromkeys(letter for letter in letters if letter in 'dMy'))


def iso(text: object) -> str | None:
    """What a service or schema takes for a date field: 'YYYY-MM-DD', None when empty, the text itself when it is no
    date (so that validation names the field)."""
    try:
        found = parse(text)
    except ValueError:
        return str(text).strip()
    return found.isoformat() if found is not None else None


def date_input(
    label: str,
    value: date | None = None,
    *,
    first: date | None = None,
    last: date | None = None,
    years_first: bool = False,
) -> ui.input:
    """A date field in the page's language with a calendar beside it; ``first``/``last`` bound what the calendar
    offers (typed dates are checked by the page or the service). ``years_first`` opens the calendar on the years (a
    date of birth). Style it as any ``ui.input`` (``.props('outlined clearable')``)."""
    field = ui.input(label, value=shown(value)).props(f'placeholder="{example()}"')
    with field.add_slot('append'):
        # A real button (Enter and Space, a focus ring): Quasar's icon is aria-hidden, so a focusable icon would be a
        # control that screen readers cannot see.
        opener = ui.button(icon='edit_calendar').props('flat round dense')
        opener.props['aria-label'] = _('{label}: choose a date in the calendar', label=label)
        opener.mark('calendar')
        with opener, ui.menu() as menu:  # Quasar opens it on a click, Enter or Space on the button
            picker = calendar(value, first=first, last=last)
            if years_first:
                picker.props('default-view=Years')

    def picked() -> None:
        chosen = date.fromisoformat(picker.value) if picker.value else None
        if chosen is not None and _parsed_or_none(field.value) != chosen:
            field.value = shown(chosen)
        menu.close()

    def typed() -> None:
        found = _parsed_or_none(field.value)
        if found is not None and picker.value != found.isoformat():
            picker.value = found.isoformat()

    def tidy() -> None:  # once the person leaves the field: a typed ISO date reads as the language writes dates
        found = _parsed_or_none(field.value)
        if found is not None:
            field.value = shown(found)

    picker.on_value_change(picked)
    field.on_value_change(typed)
    field.on('blur', tidy)
    return field


def calendar(value: date | None = None, *, first: date | None = None, last: date | None = None) -> ui.date:
    """A Quasar date picker in the page's language (ISO value), offering only the days from ``first`` to ``last``."""
    picker = ui.date(value.isoformat() if value else None, mask=PICKER_MASK)
    picker.props['locale'] = date_picker_locale()
    bounds = []
    if first is not None:
        bounds.append(f"day >= '{_slashed(first)}'")
        picker.props['navigation-min-year-month'] = _slashed(first)[:7]
    if last is not None:
        bounds.append(f"day <= '{_slashed(last)}'")
        picker.props['navigation-max-year-month'] = _slashed(last)[:7]
    if bounds:
        picker.props[':options'] = f'day => {" && ".join(bounds)}'
    return picker


def _slashed(day: date) -> str:
    """'2026/03/02': how Quasar's date picker hands a day to its ``options`` rule."""
    return day.isoformat().replace('-', '/')


def _parsed_or_none(text: object) -> date | None:
    try:
        return parse(text)
    except ValueError:
        return None
