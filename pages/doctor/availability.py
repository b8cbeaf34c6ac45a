"""The doctor's availability: the next 7 days (edit a day, day off, back to the template) and the weekly template."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from nicegui import ui

from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role
from hms.domain.errors import AvailabilityConflict, DomainError, InvalidInput
from hms.domain.scheduling import AvailabilityIn, OverrideIn, WindowIn
from hms.domain.slots import Window
from hms.domain.validation import parse
from hms.i18n import N_, _, ngettext
from hms.i18n.formats import format_time, weekday_names
from hms.services import availability, leave
from hms.services.availability import DayPlan
from hms.services.principal import Principal

from ..components import forms
from ..components.dialogs import ConfirmDialog
from ..components.leave import RangeEditor
from ..components.sections import section
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import call

PATH = '/doctor/availability'
DAYS = 7

# A change of the hours, run in a unit of work: with True it may cancel the bookings it strands (the doctor agreed);
# it returns the ids of the appointments it cancelled.
Change = Callable[[UnitOfWork, Settings, bool], list[int]]
Apply = Callable[[Change], Awaitable[bool]]
DayAction = Callable[[DayPlan], Awaitable[None] | None]


LEAVE_HINT = N_(
    'No free times are published on days of leave. Patients already booked on them are sent the nearest free times '
    'to choose from; what is not rebooked in time is cancelled and the patient told.'
)


def create() -> None:
    @role_page(PATH, Role.DOCTOR)
    async def availability_page(principal: Principal) -> None:
        template = await call(_template, principal)
        with frame(principal, N_('My availability'), current_path=PATH):
            ui.label(
                _(
                    'Patients can book the free times of the next 7 days. Change a single day here, or the weekly '
                    'template that every week follows.'
                )
            ).classes(theme.SUBTLE)
            error = forms.banner()

            @ui.refreshable
            async def week() -> None:
                plan = await call(availability.week_plan, principal, days=DAYS)
                _week_grid(plan, edit=edit_day, day_off=day_off, reset=reset)

            async def apply(change: Change, shown_in: ui.label | None = None) -> bool:
                banner = shown_in or error
                error.text = banner.text = ''
                try:
                    saved = await _save(change)
                except DomainError as failure:
                    banner.text = failure.message
                    return False
                if saved:
                    await week.refresh()
                return saved

            def edit_day(plan: DayPlan) -> None:
                async def save(windows: list[WindowIn], shown_in: ui.label) -> bool:
                    return await apply(_set_day_change(principal, plan.date, windows), shown_in)

                _day_dialog(plan, save=save)

            async def day_off(plan: DayPlan) -> None:
                await apply(_set_day_change(principal, plan.date, []))

            async def reset(plan: DayPlan) -> None:
                await apply(_set_day_change(principal, plan.date, None))

            with section(_('The next 7 days')):
                await week()
            _template_card(template, apply=apply, principal=principal)
            with section(_('My leave'), marker='leave'):  # days off as a range: no free slots, patients rescued
                ui.label(_(LEAVE_HINT)).classes(theme.SUBTLE)
                leave_editor = RangeEditor(
                    lambda: call(leave.leaves, principal),
                    lambda data: call(leave.add_leave, principal, data),
                    lambda leave_id: call(leave.remove_leave, principal, leave_id),
                    marker='leave',
                    empty=_('No leave entered.'),
                    add_label=_('Enter leave'),
                )
                await leave_editor.show()


# --- Reading and changing the hours ----------------------------------------------------------------------------------


def _template(uow: UnitOfWork, settings: Settings, principal: Principal) -> list[tuple[int, Window]]:
    return availability.get_availability(uow, settings, principal).weekly


def _set_day_change(principal: Principal, day: date, windows: list[WindowIn] | None) -> Change:
    def change(uow: UnitOfWork, settings: Settings, confirm: bool) -> list[int]:
        return availability.set_day(uow, settings, principal, day, windows, confirm_cancel=confirm)

    return change


def _copy_template_change(principal: Principal) -> Change:
    def change(uow: UnitOfWork, settings: Settings, confirm: bool) -> list[int]:
        return availability.apply_template(uow, settings, principal, days=DAYS, confirm_cancel=confirm)

    return change


def _template_change(principal: Principal, weekly: list[dict[str, object]]) -> Change:
    """Replace the weekly template, keeping every date override the doctor already has."""

    def change(uow: UnitOfWork, settings: Settings, confirm: bool) -> list[int]:
        current = availability.get_availability(uow, settings, principal)
        overrides = [
            {'date': day, 'windows': [{'start': w.start, 'end': w.end} for w in windows]}
            for day, windows in current.overrides
        ]
        data = parse(AvailabilityIn, {'weekly': weekly, 'overrides': overrides})
        return availability.set_availability(uow, settings, principal, data, confirm_cancel=confirm)

    return change


async def _save(change: Change) -> bool:
    """Run a change; when it would strand bookings, ask first and repeat it confirmed. Returns whether it was saved."""
    if await acting() is None:  # the session may have ended while the page was open
        return False
    try:
        cancelled = await call(change, False)
    except AvailabilityConflict as conflict:
        if not await _confirm_cancellations(conflict):
            return False
        cancelled = await call(change, True)
    count = len(cancelled)
    if count:
        ui.notify(
            ngettext(
                'Saved. {n} appointment cancelled; the patients were notified.',
                'Saved. {n} appointments cancelled; the patients were notified.',
                count,
            ),
            type='warning',
        )
    else:
        ui.notify(_('Availability saved.'), type='positive')
    return True


# --- Parts of the page ------------------------------------------------------------------------------------------------


def _day_label(day: date) -> str:
    return formats.day(day)


def _hours(windows: list[Window]) -> str:
    """Each window from its start to its end (the locale's times joined by an en dash), or 'Day off'."""
    return ', '.join(f'{format_time(w.start)}\N{EN DASH}{format_time(w.end)}' for w in windows) or _('Day off')


def _week_grid(plan: list[DayPlan], *, edit: DayAction, day_off: DayAction, reset: DayAction) -> None:
    for day in plan:
        with ui.card().classes('w-full p-3 gap-1').props('flat bordered').mark(f'day-{day.date.isoformat()}'):
            with ui.row().classes('w-full items-center gap-x-4 gap-y-1'):
                ui.label(_day_label(day.date)).classes('font-medium min-w-[6rem]')
                ui.label(_hours(day.windows)).classes('min-w-[12rem]').mark(f'hours-{day.date.isoformat()}')
                if day.source == 'template':
                    ui.badge(_('Weekly template'), color='grey-7').props('outline')
                else:
                    ui.badge(_('Changed for this day'), color='accent').props('outline')
                bookings = ngettext('{n} booking', '{n} bookings', day.booked) if day.booked else _('No bookings')
                ui.label(bookings).classes(theme.SUBTLE)
            with ui.row().classes('gap-2'):
                name = _day_label(day.date)
                edit_button = ui.button(_('Edit hours'), icon='edit', on_click=lambda d=day: edit(d))
                edit_button.props('flat dense no-caps').mark('edit-day')
                edit_button.props['aria-label'] = _('Edit hours of {day}', day=name)
                if day.windows:
                    off = ui.button(_('Make it a day off'), icon='event_busy', on_click=lambda d=day: day_off(d))
                    off.props('flat dense no-caps').mark('day-off')
                    off.props['aria-label'] = _('Make it a day off: {day}', day=name)
                if day.source == 'override':
                    back = ui.button(_('Reset to template'), icon='undo', on_click=lambda d=day: reset(d))
                    back.props('flat dense no-caps').mark('reset-day')
                    back.props['aria-label'] = _('Reset to template: {day}', day=name)


def _template_card(template: list[tuple[int, Window]], *, apply: Apply, principal: Principal) -> None:
    with section(_('Weekly template')):
        ui.label(
            _('The hours of a normal week. Saving changes every future week, except the days you changed one by one.')
        ).classes(theme.SUBTLE)
        error = forms.banner()
        editors: list[_WindowsEditor] = []
        for weekday, name in enumerate(weekday_names('wide')):
            with ui.row().classes('w-full items-start gap-2').mark(f'template-{weekday}'):
                ui.label(name).classes('font-medium w-28 pt-2')
                with ui.column().classes('flex-1 gap-1'):
                    editors.append(_WindowsEditor([w for day, w in template if day == weekday], day_name=name))

        async def save() -> None:
            error.text = ''
            weekly: list[dict[str, object]] = []
            rows: list[tuple[_WindowsEditor, int]] = []
            for weekday, editor in enumerate(editors):
                for index, window in enumerate(editor.values()):
                    weekly.append({'weekday': weekday, **window})
                    rows.append((editor, index))
            if not all([editor.check() for editor in editors]):  # a list: flag every editor, not just the first
                return
            try:
                parse(AvailabilityIn, {'weekly': weekly})
            except InvalidInput as failure:
                error.text = _show_window_errors(failure, 'weekly', lambda i: rows[i]) or failure.message
                return
            await apply(_template_change(principal, weekly))

        async def copy_forward() -> None:
            await apply(_copy_template_change(principal))

        with ui.row().classes('gap-2'):
            ui.button(_('Save weekly template'), icon='save', on_click=save).mark('save-template')
            ui.button(_('Copy template to the next 7 days'), icon='content_copy', on_click=copy_forward).props(
                'outline'
            ).mark('copy-template')


def _show_window_errors(failure: InvalidInput, prefix: str, locate: Callable[[int], tuple[_WindowsEditor, int]]) -> str:
    """Put each window's message under its input; returns the messages that belong to no single window."""
    general: list[str] = []
    for name, message in failure.field_errors.items():
        parts = name.split('.')
        if len(parts) >= 2 and parts[0] == prefix and parts[1].isdigit():
            editor, index = locate(int(parts[1]))
            editor.flag(index, 'start' if parts[-1] == 'start' else 'end', message)
        else:
            general.append(message)
    return ' '.join(general)


def _day_dialog(plan: DayPlan, *, save: Callable[[list[WindowIn], ui.label], Awaitable[bool]]) -> None:
    name = _day_label(plan.date)
    dialog = ConfirmDialog(
        _('Hours on {day}', day=name),
        _('Save hours'),
        dismiss=_('Close without saving'),
        icon='save',
        width='max-w-lg',
        marker='day-dialog',
        confirm_marker='save-day',
    )
    with dialog:
        ui.label(
            _(
                'To block some hours, shorten or split a window; remove every window for a day off. '
                'This changes this day only.'
            )
        ).classes(theme.SUBTLE)
        error = forms.banner()
        editor = _WindowsEditor(plan.windows, day_name=name)

    async def submit() -> bool | None:
        error.text = ''
        values = editor.values()
        if not editor.check():
            return None
        try:
            override = parse(OverrideIn, {'date': plan.date, 'windows': values})
        except InvalidInput as failure:
            error.text = _show_window_errors(failure, 'windows', lambda i: (editor, i)) or failure.message
            return None
        return True if await save(override.windows, error) else None

    dialog.ask(submit)


async def _confirm_cancellations(conflict: AvailabilityConflict) -> bool:
    """Show the appointments the change would cancel; True when the doctor confirms."""
    dialog = ConfirmDialog(
        _('These appointments would be cancelled and the patients notified'),
        _('Cancel these appointments and save'),
        dismiss=_('Go back, keep them'),
        color='negative',
        width='max-w-lg',
        persistent=True,
        marker='conflict-dialog',
        confirm_marker='confirm-cancel',
        dismiss_marker='keep-appointments',
    )
    with dialog:
        ui.label(conflict.message).classes(theme.SUBTLE)
        with ui.column().classes('w-full gap-1 max-h-64 overflow-auto'):
            for item in conflict.affected:
                start = datetime.fromisoformat(str(item['start']))
                ui.label(f'{formats.moment(start)} — {item["patient"]}').mark('affected')
    return await dialog.choice()


class _WindowsEditor(ui.column):
    """Rows of From/Until time inputs with Remove buttons, and a button that adds a row."""

    def __init__(self, windows: list[Window], *, day_name: str) -> None:
        super().__init__()
        self.classes('w-full gap-1')
        self.day_name = day_name
        self.rows = [{'start': f'{w.start:%H:%M}', 'end': f'{w.end:%H:%M}'} for w in sorted(windows)]
        self.inputs: list[dict[str, ui.input]] = []
        with self:
            self.container = ui.column().classes('w-full gap-1')
            add = ui.button(_('Add hours'), icon='add', on_click=self._add).props('flat dense no-caps')
            add.props['aria-label'] = _('Add hours on {day}', day=day_name)
            add.mark('add-window')
        self._render()

    def values(self) -> list[dict[str, str]]:
        return [{'start': row['start'] or '', 'end': row['end'] or ''} for row in self.rows]

    def check(self) -> bool:
        """Clear old messages and flag empty times; True when every time is filled in."""
        complete = True
        for index, row in enumerate(self.rows):
            for part in ('start', 'end'):
                self.inputs[index][part].error = None
                if not row[part]:
                    self.flag(index, part, _('Enter a time.'))
                    complete = False
        return complete

    def flag(self, index: int, part: str, message: str) -> None:
        if 0 <= index < len(self.inputs):
            self.inputs[index][part].error = message

    def _add(self) -> None:
        self.rows.append({'start': '', 'end': ''} if self.rows else {'start': '09:00', 'end': '17:00'})
        self._render()

    def _remove(self, index: int) -> None:
        del self.rows[index]
        self._render()

    def _render(self) -> None:
        self.container.clear()
        self.inputs = []
        with self.container:
            if not self.rows:
                ui.label(_('Day off — no hours')).classes(theme.SUBTLE)
            for index, row in enumerate(self.rows):
                with ui.row().classes('items-start gap-2 no-wrap').mark(f'window-{index}'):
                    start = ui.input(_('From')).bind_value(row, 'start').props('type=time outlined dense')
                    end = ui.input(_('Until')).bind_value(row, 'end').props('type=time outlined dense')
                    remove = ui.button(_('Remove'), icon='delete', on_click=lambda i=index: self._remove(i))
                    remove.props('flat dense no-caps').mark('remove-window')
                    remove.props['aria-label'] = _('Remove these hours on {day}', day=self.day_name)
                self.inputs.append({'start': start.mark('from'), 'end': end.mark('until')})
