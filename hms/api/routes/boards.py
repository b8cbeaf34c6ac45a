"""Waiting-room boards: the device links of the screens in the waiting room, created and revoked by the administrator.

The board itself is a page (``/board/<secret>``), opened by its link on the screen; the API manages the links."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import Field

from hms.api.deps import AdminUser, Context
from hms.api.params import IdPath
from hms.api.problems import ProblemFamily
from hms.api.schemas import ClinicTime, ViewModel
from hms.domain.schemas import Command
from hms.services import boards

router = APIRouter(prefix='/admin/boards', tags=['waiting-room boards'])

_responses = ProblemFamily(401, 403, described={403: 'Only the administrator'})


class BoardIn(Command):
    department_id: int | None = Field(
        default=None, gt=0, lt=2**63, description='the department whose doctors it shows; none: the whole clinic'
    )
    name: str | None = Field(default=None, max_length=boards.NAME_MAX, description='e.g. "Ground floor, east"')


class BoardOut(ViewModel):
    id: int
    name: str
    department_id: int | None
    department: str | None = Field(description="the department's name; none: the whole clinic")
    active: bool
    created_at: ClinicTime
    revoked_at: ClinicTime | None


class NewBoardOut(ViewModel):
    id: int
    url: str = Field(description="the screen's address, with its secret: shown this once, never again")
    board: BoardOut


def _out(board: boards.Board, ctx: Context) -> BoardOut:
    return BoardOut.from_view(board, ctx.settings.zone)


@router.get('', summary='List waiting-room boards', responses=_responses())
def list_boards(principal: AdminUser, ctx: Context) -> list[BoardOut]:
    """Every board, the newest first, active or revoked; never a board's secret or address."""
    with ctx.uow() as uow:
        return [_out(board, ctx) for board in boards.list_boards(uow, principal)]


@router.post(
    '',
    status_code=status.HTTP_201_CREATED,
    summary='Create a waiting-room board',
    responses=_responses(422, described={422: 'No such department, or a name too long'}),
)
def create_board(body: BoardIn, principal: AdminUser, ctx: Context) -> NewBoardOut:
    """A new board for a department's doctors (or the whole clinic's). Open the returned `url` on the waiting room's
    screen: it shows ticket codes, doctors and estimated waits, never names, and needs no sign-in. Only the secret's
    hash is kept: the address is shown in this answer only."""
    with ctx.uow() as uow:
        created = boards.create_board(uow, ctx.settings, principal, body.department_id, body.name)
    return NewBoardOut(id=created.id, url=created.url, board=_out(created.board, ctx))


@router.delete('/{board_id}', summary='Revoke a waiting-room board', responses=_responses(404, 422))
def revoke_board(board_id: IdPath, principal: AdminUser, ctx: Context) -> BoardOut:
    """The board's address stops working, and a screen showing it says so at once. Revoking it again changes
    nothing."""
    with ctx.uow() as uow:
        return _out(boards.revoke_board(uow, principal, board_id), ctx)
