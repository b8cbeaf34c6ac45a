"""The one dialog of the pages: a question (or a small form) with a dismiss and a confirm button, built on demand,
answered, and removed again (a closed dialog leaves nothing behind)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from functools import partial
from typing import Any, Generic, Self, TypeVar

from nicegui import ui
from nicegui.awaitable_response import AwaitableResponse

from hms.i18n import N_, _
from hms.services.principal import Principal

from . import forms

T = TypeVar('T')
Action = Callable[[], Awaitable[T | None]]
Then = Callable[[T], Awaitable[None] | None]
DISMISS = N_('Cancel')  # the dismiss button's text unless the dialog names its own


class Answer(AwaitableResponse, Generic[T]):
    """What the user answered: await it right away for the answer, or leave it (the dialog still closes and goes)."""

    def __await__(self) -> Generator[Any, None, T | None]:
        return super().__await__()


class ConfirmDialog(ui.dialog):
    """A title, the content built inside ``with dialog:``, then the dismiss and confirm buttons.

    ``dialog.ask()`` opens it at once. On confirm it runs ``action`` (when given) until the action returns something:
    that is the answer, and the dialog closes; None keeps the dialog open (the action has shown why, e.g. in a banner
    of the dialog). Without an action, confirming answers True. Dismissing (the button, Escape, a click outside)
    answers None. Await the answer (``choice()`` for a plain yes or no), or pass ``then``, called with a confirmed
    answer once the dialog has gone, in the place the dialog was opened from. Enter in the dialog's one-line fields
    confirms too.

    The caller gives ``title``, ``confirm`` and ``dismiss`` already translated; the default dismiss text ('Cancel')
    is translated here.
    """

    def __init__(
        self,
        title: str,
        confirm: str,
        *,
        dismiss: str | None = DISMISS,
        color: str = 'primary',
        icon: str | None = None,
        width: str = 'max-w-xl',
        persistent: bool = False,
        marker: str | None = None,
        confirm_marker: str = 'dialog-confirm',
        dismiss_marker: str | None = None,
    ) -> None:
        super().__init__()
        if dismiss == DISMISS:
            dismiss = _(DISMISS)
        if persistent:
            self.props('persistent')
        self._action: Action[Any] | None = None
        self.error: ui.label | None = None
        with self.default_slot, ui.card().classes(f'w-full {width} p-6 gap-4') as self.card:
            if marker:
                self.card.mark(marker)
            self.title = ui.label(title).classes('text-lg font-semibold').props('role=heading aria-level=2')
            self.body = ui.column().classes('w-full gap-4 p-0')
            with ui.row().classes('w-full justify-end gap-2'):
                if dismiss is not None:
                    self.dismiss_button = ui.button(dismiss, on_click=lambda: self.submit(None)).props('flat no-caps')
                    if dismiss_marker:
                        self.dismiss_button.mark(dismiss_marker)
                self.confirm_button = ui.button(confirm, icon=icon, on_click=self._confirmed)
                self.confirm_button.props(f'color={color} no-caps').mark(confirm_marker)
        # Quasar puts role=dialog on its outer element and passes these attributes on to it: the dialog is named by
        # its title. Quasar moves the focus into an opened dialog, closes it on Escape (unless persistent) and gives
        # the focus back to the control that opened it.
        self.props['aria-labelledby'] = self.title.html_id

    def __enter__(self) -> Self:
        self.body.__enter__()
        return self

    def __exit__(self, *args: Any) -> None:
        self.body.__exit__(*args)

    def banner(self) -> ui.label:
        """The dialog's message area, placed where it is called; ``attempt`` shows refusals in it."""
        self.error = forms.banner()
        return self.error

    async def attempt(
        self,
        change: Callable[[Principal], Awaitable[T]],
        *,
        path: str | None = None,
        fields: forms.Fields | None = None,
        required: tuple[str, ...] = (),
        values: Mapping[str, Any] | None = None,
        required_message: str | None = None,
    ) -> T | None:
        """``forms.attempt`` with the dialog's banner (placed at the end of the content if the dialog has none)."""
        if self.error is None:
            with self.body:
                self.banner()
        return await forms.attempt(
            change,
            path=path,
            banner=self.error,
            fields=fields,
            required=required,
            values=values,
            required_message=required_message,
        )

    def ask(self, action: Action[T] | None = None, *, then: Then[T] | None = None) -> Answer[T]:
        """Open the dialog (see the class)."""
        self._action = action
        forms.enter_submits(self.body, self._confirmed)
        self.submitted.clear()  # now, not when the answer is first awaited: a quick click must not get lost
        self.open()
        answer = partial(self._answer, then)
        return Answer(answer, answer, name='dialog answer')

    async def choice(self) -> bool:
        """Open the dialog and wait: True when the user confirms."""
        answer: Answer[bool] = self.ask()
        return bool(await answer)

    async def _answer(self, then: Then[T] | None) -> T | None:
        try:
            await self.submitted.wait()  # set by a button, by closing, or when the dialog goes with its page
            outcome: T | None = self._result
        finally:
            if not self.is_deleted:
                self.delete()
        if outcome is not None and then is not None:
            done = then(outcome)
            if done is not None:
                await done
        return outcome

    async def _confirmed(self) -> None:
        if self._action is None:
            self.submit(True)
            return
        self.confirm_button.props('loading')
        try:
            outcome = await self._action()
        finally:
            if not self.is_deleted:
                self.confirm_button.props(remove='loading')
        if outcome is not None:
            self.submit(outcome)
