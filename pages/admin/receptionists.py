"""The administrator's receptionists: search, add (with a one-time password shown once), edit, deactivate and
reactivate front-desk accounts; a page at a time, kept in the address like the doctors' list."""

from __future__ import annotations

from typing import Any

from nicegui import events, ui

from hms.domain.desk import ReceptionistIn, ReceptionistPatch
from hms.domain.enums import Role
from hms.domain.validation import parse
from hms.i18n import N_, _
from hms.services import receptionists
from hms.services.principal import Principal
from hms.services.receptionists import NewReceptionist, ReceptionistView
from hms.services.views import Page

from ..components import forms, staff
from ..components.dialogs import Answer, ConfirmDialog
from ..components.tables import PagedTable, Paging, SearchBox, Sort, column, columns
from ..ui import theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.address import Address
from ..ui.frame import frame
from ..ui.services import call

PATH = '/admin/receptionists'
GONE = N_('This receptionist is no longer listed; search again.')
PAGE_SIZE = 25
DEFAULT = Paging(rows=PAGE_SIZE)
COLUMNS = [
    *columns(('name', N_('Name')), ('email', N_('Email')), ('status', N_('Status'))),
    column('actions', N_('Actions'), align='right', field='id', sticky=True),
]


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def receptionists_page(principal: Principal) -> None:
        address = Address()
        text, inactive = address.text('q'), address.flag('inactive')
        paging = Paging.read(address, [], DEFAULT)
        listed = await call(
            receptionists.browse_receptionists,
            principal,
            text,
            include_inactive=inactive,
            limit=paging.rows,
            offset=paging.offset,
        )
        with frame(principal, N_('Receptionists'), current_path=PATH):
            ui.label(
                _(
                    "Receptionists work at the front desk: they see schedules, appointments and patients' contact "
                    'details, register patients and book for them, but never read clinical records.'
                )
            ).classes(theme.SUBTLE)
            _ReceptionistsPanel(listed, text, inactive, paging)
            address.tell()


def _status(receptionist: ReceptionistView) -> str:
    if not receptionist.is_active:
        return _('Deactivated')
    return _('Active, one-time password not changed yet') if receptionist.must_change_password else _('Active')


def _row(receptionist: ReceptionistView) -> dict[str, Any]:
    return {
        'id': receptionist.id,
        'name': receptionist.name,
        'email': receptionist.email,
        'status': _status(receptionist),
        'active': receptionist.is_active,
    }


class _ReceptionistsPanel:
    """Search, the table (a page at a time: ?q=text&inactive=1&page=2) and the dialogs that change receptionists."""

    def __init__(self, listed: Page[ReceptionistView], text: str, inactive: bool, paging: Paging) -> None:
        with ui.row().classes('w-full items-end gap-3'):
            self.text = SearchBox(_('Search by name or email'), self.search, dense=True, value=text)
            self.text.classes('min-w-[16rem] flex-1').mark('receptionist-search')
            self.inactive = ui.switch(_('Include deactivated'), value=inactive, on_change=self.search)
            self.inactive.mark('include-inactive')
            ui.button(_('Add receptionist'), icon='person_add', on_click=self.open_add).mark('add-receptionist')
        empty = self.text.empty(
            _('No receptionist matches this search. Try part of a name or an email address.'),
            _('No receptionists yet. Add the first one with "Add receptionist".'),
        )
        self.table = PagedTable('receptionists', COLUMNS, self._load, _row, first=listed, empty=empty, sort=Sort())
        self.table.add_slot('body-cell-actions', staff.actions_slot())
        self.table.on('edit', self.open_edit)
        self.table.on('deactivate', self.open_deactivate)
        self.table.on('reactivate', self.reactivate)
        self.table.keep_in_address(PATH, lambda: {'q': self.text.query, 'inactive': bool(self.inactive.value)}, DEFAULT)

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[ReceptionistView] | None:
        actor = await acting(PATH)
        if actor is None:
            return None
        include_inactive = bool(self.inactive.value)
        return await call(
            receptionists.browse_receptionists,
            actor,
            self.text.query,
            include_inactive=include_inactive,
            limit=limit,
            offset=offset,
        )

    async def search(self) -> None:
        await self.table.reload()

    async def open_add(self) -> None:
        await self._form(None)

    async def open_edit(self, event: events.GenericEventArguments) -> None:
        receptionist = self.table.picked(event, _(GONE))
        if receptionist is not None:
            await self._form(receptionist)

    async def _form(self, receptionist: ReceptionistView | None) -> None:
        """Add a receptionist (``None``: they get a one-time password, shown once) or change one."""
        if receptionist is None:
            dialog = ConfirmDialog(_('Add receptionist'), _('Add receptionist'))
        else:
            dialog = ConfirmDialog(_('Edit {name}', name=receptionist.name), _('Save changes'))
        with dialog:
            if receptionist is None:
                ui.label(
                    _(
                        'The receptionist gets a one-time password, shown to you once after saving; they choose '
                        'their own at first sign-in.'
                    )
                ).classes(theme.SUBTLE)
            dialog.banner()
            fields: dict[str, ui.input | ui.select] = {
                'name': ui.input(_('Full name'), value=receptionist.name if receptionist else '').props(
                    'outlined maxlength=120'
                ),
                'email': ui.input(_('Email'), value=receptionist.email if receptionist else '').props(
                    'outlined type=email autocomplete=off'
                ),
            }
            for element in fields.values():
                element.classes('w-full')

        def values() -> dict[str, Any]:
            return {name: value for name, value in forms.stripped(fields).items() if value}

        async def add(actor: Principal) -> NewReceptionist:
            return await call(receptionists.add_receptionist, actor, parse(ReceptionistIn, values()))

        async def change(actor: Principal) -> ReceptionistView:
            assert receptionist is not None
            patch = parse(ReceptionistPatch, values())
            return await call(receptionists.update_receptionist, actor, receptionist.id, patch)

        async def save() -> NewReceptionist | ReceptionistView | None:
            required = ('name', 'email')
            if receptionist is None:
                return await dialog.attempt(add, path=PATH, fields=fields, required=required)
            return await dialog.attempt(change, path=PATH, fields=fields, required=required)

        saved: Answer[NewReceptionist | ReceptionistView] = dialog.ask(save)
        done = await saved
        if isinstance(done, NewReceptionist):
            ui.notify(_('{name} added.', name=done.receptionist.name), type='positive')
            _show_initial_password(done)
        elif done is not None:
            ui.notify(_('{name} saved.', name=done.name), type='positive')
        if done is not None:
            await self.table.refresh()

    async def open_deactivate(self, event: events.GenericEventArguments) -> None:
        receptionist = self.table.picked(event, _(GONE))
        if receptionist is None:
            return
        dialog = ConfirmDialog(
            _('Deactivate {name}?', name=receptionist.name), _('Deactivate receptionist'), color='negative'
        )
        with dialog:
            ui.label(
                _(
                    '{name} will be signed out at once and can no longer sign in. You can reactivate the account '
                    'later.',
                    name=receptionist.name,
                )
            )
            dialog.banner()

        async def deactivate(current: Principal) -> ReceptionistView:
            return await call(receptionists.set_active, current, receptionist.id, active=False)

        done = await dialog.ask(lambda: dialog.attempt(deactivate, path=PATH))
        if done is not None:
            ui.notify(_('{name} deactivated.', name=receptionist.name), type='positive')
            await self.table.refresh()

    async def reactivate(self, event: events.GenericEventArguments) -> None:
        receptionist = self.table.picked(event, _(GONE))
        if receptionist is None:
            return
        done = await forms.attempt(
            lambda actor: call(receptionists.set_active, actor, receptionist.id, active=True),
            path=PATH,
        )
        if done is not None:
            ui.notify(_('{name} reactivated and can sign in again.', name=receptionist.name), type='positive')
            await self.table.refresh()


def _show_initial_password(new: NewReceptionist) -> None:
    staff.show_initial_password(
        _('Receptionist account created'),
        new.receptionist.name,
        new.receptionist.email or '',
        new.initial_password,
        _(
            'It is shown only this once: give it to the receptionist now, in person or through a secure channel. '
            'The receptionist must change it at first sign-in.'
        ),
    )
