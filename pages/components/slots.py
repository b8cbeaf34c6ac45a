"""Free slots to choose from, grouped by day in the clinic's zone: a heading per day ('Tue 3 Mar') and a button per
start time. Booking, and moving an appointment (by the patient or the administrator), pick their time here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import groupby

from nicegui import ui

from hms import context as app_context
from hms.services.views import SlotView

from ..ui import formats, theme


class SlotPicker(ui.column):
    """Calls ``on_pick`` with the slot whose button is pressed (and shows that button as the chosen one); ``empty``
    (translated by the caller) says what to do when there is no free slot. Days and times are the locale's."""

    def __init__(
        self, slots: list[SlotView], on_pick: Callable[[SlotView], Awaitable[None] | None], *, empty: str
    ) -> None:
        super().__init__()
        self.classes('w-full gap-3')
        self.on_pick = on_pick
        self.buttons: list[ui.button] = []
        zone = app_context.get().settings.zone
        with self:
            if not slots:
                if empty:
                    ui.label(empty).classes(theme.SUBTLE).mark('no-slots')
                return
            ordered = sorted(slots, key=lambda s: s.start)
            for day, day_slots in groupby(ordered, key=lambda s: s.start.astimezone(zone).date()):
                heading = formats.day(day)
                with ui.column().classes('w-full gap-1').mark(f'slots-{day.isoformat()}'):
                    ui.label(heading).classes('font-medium').props('role=heading aria-level=3')
                    with ui.row().classes('gap-2'):
                        for slot in day_slots:
                            time = formats.time_of_day(slot.start)
                            button = ui.button(time).props('outline no-caps')
                            button.props['aria-label'] = f'{heading}, {time}'
                            button.on_click(lambda _event, slot=slot, button=button: self._pick(slot, button))
                            button.mark(f'slot-{slot.start.astimezone(zone):%Y-%m-%dT%H:%M}')
                            self.buttons.append(button)

    def _pick(self, slot: SlotView, button: ui.button) -> Awaitable[None] | None:
        for other in self.buttons:
            other.props(remove='unelevated').props('outline')
        button.props(remove='outline').props('unelevated')
        return self.on_pick(slot)  # at once (a dialog it opens is there for the next step); NiceGUI awaits the rest
