"""The administrator's waiting-room boards at /admin/boards: create a board for the clinic or one department (its
address, with the secret, shown this once to copy or open on the waiting room's screen), the list, and revoking."""

from __future__ import annotations

from html import escape

from nicegui import events, ui

from hms.domain.enums import Role
from hms.domain.errors import DomainError
from hms.i18n import N_, _
from hms.services import boards, departments
from hms.services.boards import Board, NewBoard
from hms.services.principal import Principal

from ..components.dialogs import ConfirmDialog
from ..components.sections import section
from ..components.tables import ListTable, column
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting, attempt
from ..ui.frame import frame
from ..ui.services import call

PATH = '/admin/boards'
WHOLE_CLINIC = 0  # the department select's value for "the whole clinic"
GONE = N_('This board is no longer listed.')
COLUMNS = [
    column('name', N_('Board')),
    column('shows', N_('Shows')),
    column('created', N_('Created')),
    column('state', N_('State')),
    column('actions', N_('Actions'), align='right', field='id', sticky=True),
]
ACTIONS_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn v-if="props.row.active" flat dense no-caps color="negative" icon="link_off" label="{revoke}"
         :aria-label="props.row.revoke_label" @click="() => $parent.$emit('revoke', props.row)" />
</q-td>
"""


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def boards_page(principal: Principal) -> None:
        listed = await call(boards.list_boards, principal)
        options = {d.id: d.name for d in await call(departments.list_departments)}
        with frame(principal, N_('Waiting-room boards'), current_path=PATH):
            _BoardsPanel(listed, options)


def _shows(board: Board) -> str:
    return board.department or _('The whole clinic')


def _title(board: Board) -> str:
    return board.name or _shows(board)


def _row(board: Board) -> dict[str, object]:
    return {
        'id': board.id,
        'name': _title(board),
        'shows': _shows(board),
        'created': formats.moment(board.created_at),
        'state': _('Active') if board.active else _('Revoked on {when}', when=formats.moment(board.revoked_at)),
        'active': board.active,
        'revoke_label': _('Revoke the board {name}', name=_title(board)),
    }


class _BoardsPanel:
    def __init__(self, listed: list[Board], options: dict[int, str]) -> None:
        ui.label(
            _(
                'A board is a full-screen page for a screen in the waiting room: ticket codes, doctors, who is being '
                'called in and the estimated wait, never a name. Open its address on the screen; no one signs in '
                'there. Anyone with the address can see the board: revoke it when a screen is replaced or the address '
                'was shared by mistake.'
            )
        ).classes(theme.SUBTLE)
        with section(_('New board'), marker='new-board'):
            with ui.row().classes('w-full items-end gap-3'):
                self.department = ui.select(
                    {WHOLE_CLINIC: _('The whole clinic'), **options}, value=WHOLE_CLINIC, label=_('Doctors shown')
                )
                self.department.classes('min-w-[14rem]').mark('board-department')
                self.name = ui.input(_('Name (optional)')).props('outlined dense maxlength=120')
                self.name.props['hint'] = _('Where the screen is, e.g. "Ground floor, east"')
                self.name.classes('min-w-[16rem] flex-1').mark('board-name')
                ui.button(_('Create board'), icon='add_to_queue', on_click=self.create).mark('create-board')
            self.created = ui.column().classes('w-full gap-2')
        with section(_('Boards'), marker='boards'):
            self.table: ListTable[Board] = ListTable(
                'boards',
                COLUMNS,
                _row,
                empty=_('No boards yet. Create one above for each screen in a waiting room.'),
                load=self._load,
            )
            self.table.add_slot('body-cell-actions', ACTIONS_SLOT.format(revoke=escape(_('Revoke'))))
            self.table.on('revoke', self.open_revoke)
            self.table.show_items(listed)

    async def _load(self) -> list[Board] | None:
        actor = await acting(PATH)
        if actor is None:
            return None
        try:
            return await call(boards.list_boards, actor)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return None

    async def create(self) -> None:
        department_id = self.department.value or None
        name = (self.name.value or '').strip() or None

        async def make(actor: Principal) -> NewBoard:
            return await call(boards.create_board, actor, department_id, name)

        with self.created:
            made = await attempt(make, path=PATH)
        if made is None:
            return
        self.name.value = ''
        self._show_address(made)
        await self.table.reload()

    def _show_address(self, made: NewBoard) -> None:
        self.created.clear()
        with self.created, ui.column().classes('w-full gap-2 ' + theme.INFO_BANNER).props('role=status'):
            ui.label(
                _('Board {name} created. Copy its address now: it is shown only this once.', name=_title(made.board))
            )
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                field = ui.input(_('Board address'), value=made.url).props('readonly outlined dense')
                field.classes('flex-1').mark('board-address')
                copy = ui.button(_('Copy'), icon='content_copy', on_click=lambda: self._copy(made.url))
                copy.props('no-caps').mark('copy-board')
                copy.props['aria-label'] = _('Copy the board address')
                ui.link(_('Open the board'), made.url, new_tab=True).mark('open-board')

    @staticmethod
    def _copy(address: str) -> None:
        ui.clipboard.write(address)
        ui.notify(_('Address copied.'), type='positive')

    def open_revoke(self, event: events.GenericEventArguments) -> None:
        board = self.table.picked(event, _(GONE))
        if board is None:
            return
        dialog = ConfirmDialog(
            _('Revoke the board {name}?', name=_title(board)),
            _('Yes, revoke it'),
            dismiss=_('Keep it'),
            color='negative',
            marker='revoke-board-dialog',
            confirm_marker='confirm-revoke-board',
        )
        with dialog:
            ui.label(_('Its address stops working at once, and a screen showing the board says so.'))

        async def revoke(actor: Principal) -> Board:
            return await call(boards.revoke_board, actor, board.id)

        async def revoked(_done: Board) -> None:
            ui.notify(_('Board {name} revoked.', name=_title(board)), type='positive')
            await self.table.reload()

        dialog.ask(lambda: dialog.attempt(revoke, path=PATH), then=revoked)
