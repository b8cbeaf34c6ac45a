"""CSV exports over the API: request one (built in the background), follow it, download it. Each export belongs to
the person who requested it; nobody else, the administrator included, can see or download it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import FileResponse
from pydantic import ConfigDict, Field

from hms.api.deps import Context, CurrentUser
from hms.api.params import IdPath
from hms.api.problems import ProblemFamily
from hms.api.schemas import ExportCreatedOut, ExportOut
from hms.domain.schemas import Command
from hms.services import exports
from hms.services.exports import ExportKind

router = APIRouter(prefix='/exports', tags=['exports'])

_responses = ProblemFamily(
    401,
    described={
        403: 'Your role does not allow this kind of export',
        404: 'No such export among yours',
        409: 'Not ready yet, failed, or too many exports in progress',
        410: 'The export expired and its file was removed',
        503: 'No background worker can run exports (Redis not configured or unreachable)',
    },
)
NO_STORE = {'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff'}


class ExportIn(Command):
    """`from`/`to` are local clinic dates, both included: required for `my-appointments` and `appointments` (at most
    366 days); optional for `my-history` (visit date) and for `doctors`/`patients` (registration date)."""

    model_config = ConfigDict(populate_by_name=True)

    kind: ExportKind = Field(
        description='my-history (patient), my-appointments (doctor), appointments, doctors or patients (administrator)'
    )
    first: date | None = Field(default=None, alias='from')
    last: date | None = Field(default=None, alias='to')


@router.post(
    '',
    status_code=status.HTTP_202_ACCEPTED,
    summary='Request an export',
    responses=_responses(403, 409, 422, 503),
)
def request_export(body: ExportIn, principal: CurrentUser, ctx: Context, response: Response) -> ExportCreatedOut:
    """Starts building the CSV in the background and answers at once. Follow it with `GET /api/exports/{id}`; an
    email tells you when it is ready. Files are kept for the clinic's retention period (7 days by default)."""
    view = exports.start_export(ctx.uow, ctx.settings, ctx.tasks, principal, body.kind.value, body.first, body.last)
    response.headers['Location'] = f'/api/exports/{view.id}'
    return ExportCreatedOut.from_view(view)


@router.get('', summary='My exports', responses=_responses(422))
def my_exports(
    principal: CurrentUser,
    ctx: Context,
    limit: Annotated[int, Query(ge=1, le=100, description='most recent exports')] = 20,
) -> list[ExportOut]:
    with ctx.uow() as uow:
        return ExportOut.from_views(exports.list_exports(uow, principal, limit=limit), ctx.settings.zone)


@router.get('/{export_id}', summary='One of my exports', responses=_responses(404, 422))
def get_export(export_id: IdPath, principal: CurrentUser, ctx: Context) -> ExportOut:
    with ctx.uow() as uow:
        return ExportOut.from_view(exports.get_export(uow, principal, export_id), ctx.settings.zone)


@router.get(
    '/{export_id}/download',
    response_class=FileResponse,
    summary='Download my export',
    responses={
        200: {'content': {'text/csv': {}}, 'description': 'RFC 4180 CSV in UTF-8 with a byte order mark'},
        **_responses(404, 409, 410, 422),
    },
)
def download_export(export_id: IdPath, principal: CurrentUser, ctx: Context) -> FileResponse:
    with ctx.uow() as uow:
        found = exports.open_download(uow, ctx.settings, principal, export_id)
    return FileResponse(found.path, media_type='text/csv; charset=utf-8', filename=found.filename, headers=NO_STORE)
