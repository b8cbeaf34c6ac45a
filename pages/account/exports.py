"""CSV exports on the pages: a reusable panel (Export button, progress, the user's recent exports with Download) that
the worker's result reaches without a reload, the "My exports" page, and the authenticated download route.

The panel starts the export and returns at once. The worker updates the export's row and publishes
'export.done' / 'export.failed' on Redis; this process's event hub hands it to every open panel, and the panels of
its owner reload their list and announce it. A page opened later simply reads the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from fastapi import Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from nicegui import app, background_tasks, run, ui
from nicegui import context as ui_context

from hms import clock
from hms import context as app_context
from hms.db.uow import UnitOfWork
from hms.domain.enums import ExportStatus, SessionKind
from hms.domain.errors import AccountBlocked, DomainError, NotAuthenticated
from hms.events import Event
from hms.services import accounts, exports
from hms.services.exports import KINDS, ExportExpired, ExportFile, ExportKind, ExportView
from hms.services.principal import Principal

from ..components import forms
from ..ui import formats, theme
from ..ui.frame import frame
from ..ui.session import TOKEN_KEY, current_principal, page_access

PATH = '/exports'
DOWNLOAD_PATH = '/exports/{export_id}/download'
NO_STORE = {'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff'}
LISTED = 10
STAGES = {ExportStatus.QUEUED: 1, ExportStatus.RUNNING: 2, ExportStatus.DONE: 3}
STATUS_TEXT = {
    ExportStatus.QUEUED: 'Waiting to start…',
    ExportStatus.RUNNING: 'Being prepared…',
    ExportStatus.DONE: 'Ready',
    ExportStatus.FAILED: 'Failed',
}
DESCRIPTIONS = {
    ExportKind.MY_HISTORY: 'Every completed visit with its diagnosis, treatment, prescription, tests advised and the '
    'suggested next visit, as a spreadsheet file.',
    ExportKind.MY_APPOINTMENTS: 'Your appointments of a period, with patients, statuses and reasons.',
    ExportKind.APPOINTMENTS: 'Every appointment of a period, with doctors, departments, patients and statuses.',
    ExportKind.DOCTORS: 'The doctors; with a period, only those registered in it.',
    ExportKind.PATIENTS: 'The patients and their contact details; with a period, only those registered in it.',
}


def download_url(export_id: int) -> str:
    return DOWNLOAD_PATH.format(export_id=export_id)


def create() -> None:
    @ui.page(PATH)
    async def exports_page() -> RedirectResponse | None:
        access = await page_access(PATH)
        if access.redirect:
            return access.redirect
        principal = access.principal
        assert principal is not None
        with frame(principal, 'My exports', current_path=PATH):
            ui.label(
                'Exports are prepared in the background; you can leave this page meanwhile. Files are kept for '
                f'{app_context.get().settings.export_retention_days} days and only you can download them.'
            ).classes(theme.SUBTLE)
            await export_panel(principal, exports.kinds_for(principal.role), link_to_all=False)
        return None

    @app.get(DOWNLOAD_PATH, include_in_schema=False)
    async def download_export(export_id: int, request: Request) -> Response:
        """The owner's file, for a signed-in browser session; never a static or guessable URL."""
        login = RedirectResponse(f'/login?next={PATH}', status_code=303)
        token = app.storage.user.get(TOKEN_KEY)
        if not token:
            return login
        ip = request.client.host if request.client else 'unknown'
        try:
            found = await run.io_bound(_open_download, token, ip, export_id)
        except (NotAuthenticated, AccountBlocked):
            return login
        except ExportExpired as error:
            return PlainTextResponse(error.message, status_code=410, headers=NO_STORE)
        except DomainError as error:
            return PlainTextResponse(error.message, status_code=error.status_code, headers=NO_STORE)
        return FileResponse(found.path, media_type='text/csv; charset=utf-8', filename=found.filename, headers=NO_STORE)


async def export_panel(
    principal: Principal, kinds: Sequence[ExportKind], *, title: str = 'Export to CSV', link_to_all: bool = True
) -> ExportPanel:
    """Build an export panel for ``kinds`` (all of the principal's role) with the user's recent exports listed."""
    listed = await run.io_bound(_list, principal, [kind.value for kind in kinds])
    return ExportPanel(principal, kinds, listed, title=title, link_to_all=link_to_all)


# --- Service calls, each in a worker thread with its own unit of work ------------------------------------------------


def _principal(uow: UnitOfWork, token: str, ip: str | None, *, touch: bool) -> Principal:
    return accounts.authenticate(uow, app_context.get().settings, token, kind=SessionKind.WEB, ip=ip, touch=touch)


def _open_download(token: str, ip: str, export_id: int) -> ExportFile:
    ctx = app_context.get()
    with ctx.uow() as uow:
        principal = _principal(uow, token, ip, touch=True)
        return exports.open_download(uow, ctx.settings, principal, export_id)


def _list(principal: Principal, kinds: list[str]) -> list[ExportView]:
    with app_context.get().uow() as uow:
        return exports.list_exports(uow, principal, kinds=kinds, limit=LISTED)


def _list_for_token(token: str, kinds: list[str]) -> list[ExportView]:
    with app_context.get().uow() as uow:
        principal = _principal(uow, token, None, touch=False)
        return exports.list_exports(uow, principal, kinds=kinds, limit=LISTED)


def _start(principal: Principal, kind: str, first: date | None, last: date | None) -> ExportView:
    ctx = app_context.get()
    return exports.start_export(ctx.uow, ctx.settings, ctx.tasks, principal, kind, first, last)


# --- The panel --------------------------------------------------------------------------------------------------------


def _period_text(view: ExportView) -> str:
    if view.first and view.last:
        return f'{formats.date_only(view.first)} – {formats.date_only(view.last)}'
    if view.first:
        return f'from {formats.date_only(view.first)}'
    if view.last:
        return f'until {formats.date_only(view.last)}'
    return 'all dates'


def _when(moment: datetime) -> str:
    return formats.moment(moment)


class ExportPanel(ui.card):
    """Start an export of one of ``kinds``, follow it live, and download the finished files."""

    def __init__(
        self, principal: Principal, kinds: Sequence[ExportKind], listed: list[ExportView], *,
        title: str = 'Export to CSV', link_to_all: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        self.classes(theme.CARD).mark('export-panel')
        self.owner_id = principal.user_id
        self.kinds = [ExportKind(kind) for kind in kinds]
        self.token = app.storage.user.get(TOKEN_KEY, '')
        self.announce: set[int] = set()  # exports whose end this page announces when it reads them
        self.dirty = self.refreshing = False
        self.period_fields: dict[str, ui.input] = {}
        with self:
            ui.label(title).classes('text-lg font-medium').props('role=heading aria-level=2')
            self.description = ui.label('').classes(theme.SUBTLE)
            with ui.row().classes('w-full items-start gap-3'):
                self.kind = ui.select(
                    {kind.value: KINDS[kind].label for kind in self.kinds}, value=self.kinds[0].value, label='Export'
                ).props('outlined dense').classes('min-w-[12rem]').mark('export-kind')  # fmt: skip
                self.kind.set_visibility(len(self.kinds) > 1)
                self.kind.on_value_change(self._kind_changed)
                self.first = ui.input('Export from').props('outlined dense type=date').mark('export-from')
                self.last = ui.input('Export to').props('outlined dense type=date').mark('export-to')
                self.period_fields = {'from': self.first, 'to': self.last}
                self.start_button = ui.button('Export', icon='file_download', on_click=self.start)
                self.start_button.props('no-caps').mark('export-start')
                forms.enter_submits(self, self.start)
            self.hint = ui.label('').classes(theme.SUBTLE).mark('export-period-hint')
            self.error = forms.banner()
            self.error.mark('export-error')
            self.ready = ui.row().classes(f'{theme.SUCCESS_BANNER} items-center gap-3')
            self.ready.props('role=status aria-live=polite').mark('export-ready')
            self.ready.set_visibility(False)
            self.list = ui.column().classes('w-full gap-0').mark('export-list')
            if link_to_all:
                ui.link('All my exports', PATH).classes('text-sm')
        self._kind_changed()
        self.show(listed)
        unsubscribe = app_context.get().hub.subscribe(self.on_event)
        ui_context.client.on_delete(unsubscribe)

    @property
    def chosen(self) -> ExportKind:
        return ExportKind(self.kind.value or self.kinds[0].value)

    def _kind_changed(self) -> None:
        info = KINDS[self.chosen]
        self.description.text = DESCRIPTIONS[self.chosen]
        show_period = self.chosen is not ExportKind.MY_HISTORY  # a patient exports their whole history
        for field in self.period_fields.values():
            field.set_visibility(show_period)
            field.error = None
        if info.period == 'required':
            today = clock.now().astimezone(app_context.get().settings.zone).date()
            if not self.first.value:
                self.first.value = today.replace(day=1).isoformat()
            if not self.last.value:
                self.last.value = today.isoformat()
            self.hint.text = f'Dates are {info.period_meaning}s in the clinic time zone, both included.'
        else:
            self.first.value = self.last.value = ''
            self.hint.text = (
                f'Optional: leave the dates empty for everyone, or give a period of {info.period_meaning}.'
                if show_period
                else ''
            )
        self.hint.set_visibility(bool(self.hint.text))

    def _day(self, name: str) -> tuple[date | None, bool]:
        element = self.period_fields[name]
        text = (element.value or '').strip() if element.visible else ''
        if not text:
            return None, True
        try:
            return date.fromisoformat(text), True
        except ValueError:
            element.error = 'Enter a date as YYYY-MM-DD.'
            return None, False

    async def start(self) -> None:
        self.error.text = ''
        forms.clear_errors(self.period_fields)  # type: ignore[arg-type]
        first, first_ok = self._day('from')
        last, last_ok = self._day('to')
        if not (first_ok and last_ok):
            return
        actor = await current_principal()
        if actor is None:
            ui.navigate.to(f'/login?next={PATH}')
            return
        self.start_button.disable()
        try:
            view = await run.io_bound(_start, actor, self.chosen.value, first, last)
        except DomainError as failure:
            if not forms.show_field_errors(self.period_fields, failure):  # type: ignore[arg-type]
                self.error.text = failure.message
            return
        finally:
            self.start_button.enable()
        self.announce.add(view.id)
        ui.notify('Export started. It is prepared in the background; you will be told here when it is ready.')
        self.refresh()

    def on_event(self, event: Event) -> None:
        """Called by the event hub for every change; reacts only to this user's exports."""
        if event.namespace != 'export' or event.data.get('owner_id') != self.owner_id or self.is_deleted:
            return
        if event.kind in ('export.done', 'export.failed'):
            self.announce.add(int(event.data.get('export_id') or 0))
        self.refresh()

    def refresh(self) -> None:
        """Reload the list soon; bursts of events are folded into as few reloads as needed."""
        self.dirty = True
        if not self.refreshing:
            self.refreshing = True
            background_tasks.create(self._reload(), name='export-panel-refresh')

    async def _reload(self) -> None:
        try:
            while self.dirty and not self.is_deleted:
                self.dirty = False
                try:
                    listed = await run.io_bound(_list_for_token, self.token, [kind.value for kind in self.kinds])
                except DomainError:  # the session ended: the frame's session check signs the page out
                    return
                if not self.is_deleted:
                    self.show(listed)
        finally:
            self.refreshing = False

    def show(self, listed: list[ExportView]) -> None:
        self.list.clear()
        with self.list:
            if not listed:
                ui.label('No exports yet. Choose what to export above, then press Export.').classes(theme.SUBTLE).mark(
                    'export-none'
                )
            for view in listed:
                self._row(view)
        for view in listed:
            if view.id in self.announce and not view.in_progress:
                self.announce.discard(view.id)
                self._announce(view)

    def _row(self, view: ExportView) -> None:
        with ui.row().classes('w-full items-center gap-3 border-t py-2').mark(f'export-{view.id}'):
            with ui.column().classes('gap-0 flex-1 min-w-[12rem]'):
                ui.label(f'{view.label} · {_period_text(view)}').classes('font-medium')
                ui.label(f'Requested {_when(view.created_at)}').classes(theme.SUBTLE)
            if view.in_progress:
                ui.spinner(size='sm').props(f'aria-label="{STATUS_TEXT[view.status]}"')
                with ui.column().classes('gap-1 min-w-[10rem]'):
                    ui.label(STATUS_TEXT[view.status]).mark(f'export-status-{view.id}')
                    stage = STAGES[view.status]  # the worker reports stages, not rows: show how far along it is
                    ui.linear_progress(value=stage / len(STAGES), show_value=False).props(
                        f'rounded size=6px aria-label="Export step {stage} of {len(STAGES)}"'
                    ).mark(f'export-progress-{view.id}')
            elif view.status is ExportStatus.FAILED:
                ui.label(f'Failed: {view.error or "please try again."}').classes(theme.ERROR_TEXT).mark(
                    f'export-status-{view.id}'
                )
            elif view.expired:
                ui.label('Expired: request a new export.').classes(theme.SUBTLE).mark(f'export-status-{view.id}')
            else:
                rows = f'{view.rows} row{"" if view.rows == 1 else "s"}'
                with ui.column().classes('gap-0'):
                    ui.label(f'Ready · {rows}').mark(f'export-status-{view.id}')
                    ui.label(f'Until {_when(view.expires_at)}').classes(theme.SUBTLE)
                self._download_button(view).mark(f'export-download-{view.id}')

    def _download_button(self, view: ExportView) -> ui.button:
        url = download_url(view.id)
        return ui.button('Download', icon='download', on_click=lambda: ui.download.from_url(url)).props(
            f'outline no-caps aria-label="Download {view.label} export {view.id}"'
        )

    def _announce(self, view: ExportView) -> None:
        with self:
            if view.status is ExportStatus.FAILED:
                ui.notify(f'Your export "{view.label}" failed: {view.error or "please try again."}', type='negative')
                return
            if not view.downloadable:
                return
            ui.notify(f'Your export "{view.label}" is ready ({view.rows} rows).', type='positive')
        self.ready.clear()
        with self.ready:
            ui.icon('task_alt')
            ui.label(f'Your export "{view.label}" is ready: {view.rows} rows.').classes('flex-1')
            self._download_button(view).mark('export-ready-download')
            ui.button(icon='close', on_click=lambda: self.ready.set_visibility(False)).props(
                'flat round dense aria-label="Dismiss"'
            )
        self.ready.set_visibility(True)
