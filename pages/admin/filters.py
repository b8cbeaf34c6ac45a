"""Date fields of the admin pages' filters: typed and shown as the page's language writes dates ('31/12/2026',
'31.12.2026'; ISO too), with a calendar in that language (``pages/ui/dates``), and read as a period."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from nicegui import ui

from hms.i18n import _

from ..ui import dates


def date_filter(
    label: str,
    on_change: Callable[[], Awaitable[None]],
    *,
    props: str = 'outlined dense clearable',
    value: date | None = None,
) -> ui.input:
    """A date field (``label`` comes translated) that calls ``on_change`` once its text reads as another date, or is
    emptied: not at every keystroke of a date being typed. Leaving a field whose text is no date says what to type.
    ``value`` (from the address) is shown without reading the list again."""
    field = dates.date_input(label, value).props(props)
    shown: dict[str, date | None] = {'day': value}

    async def changed() -> None:
        try:
            day = dates.parse(field.value)
        except ValueError:
            return  # still being typed
        if day == shown['day']:  # the same date, written another way (the field tidies it on leaving), or emptied
            if field.error == dates.invalid_message():
                field.error = None
            return
        shown['day'] = day
        await on_change()

    def left() -> None:
        try:
            dates.parse(field.value)
        except ValueError as problem:
            field.error = str(problem)

    field.on_value_change(changed)
    field.on('blur', left)
    return field


def day(field: ui.input) -> tuple[date | None, bool]:
    """The date in a date field (None when empty) and whether it was readable (if not, the field says so)."""
    field.error = None
    try:
        return dates.parse(field.value), True
    except ValueError as problem:
        field.error = str(problem)
        return None, False


def period(first: ui.input, last: ui.input) -> tuple[date | None, date | None] | None:
    """The days of a 'from' and a 'to' field (either may be empty), or None with the problem shown under a field."""
    start, start_ok = day(first)
    end, end_ok = day(last)
    if not (start_ok and end_ok):
        return None
    if start and end and end < start:
        last.error = _('The end date is before the start date.')
        return None
    return start, end
