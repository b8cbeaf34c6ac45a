"""The export panel of the pages: an Export button for what the user may export, the progress of their exports, and
their recent exports with Download; the worker's result reaches the panel without a reload.

The panel starts the export and returns at once. The worker updates the export's row and publishes
'export.done' / 'export.failed' on Redis; this process's event hub hands it to every open panel, and the panels of
its owner reload their list and announce it. A page opened later simply reads the rows.

The texts are in the language of the page (the kinds' labels are marked where the service defines them); a panel
that reloads after a worker's event speaks the language its page was built in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from nicegui import background_tasks, ui

from hms import clock
from hms import context as app_context
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import ExportStatus, SessionKind
from hms.domain.errors import DomainError
from hms.events import Event
from hms.i18n import N_, _, ngettext
from hms.services import accounts, exports
from hms.services.exports import KINDS, ExportKind, ExportView
from hms.services.principal import Principal

from ..ui import dates, formats, theme
from ..ui.actions import acting
from ..ui.live import follow_changes
from ..ui.services import call, in_thread
from ..ui.session import session_token
from . import forms
from .sections import heading

EXPORTS_PATH = '/exports'
DOWNLOAD_PATH = '/exports/{export_id}/download'
LISTED = 10
STAGES = {ExportStatus.QUEUED: 1, ExportStatus.RUNNING: 2, ExportStatus.DONE: 3}
STATUS_TEXT = {
    ExportStatus.QUEUED: N_('Waiting to start…'),
    ExportStatus.RUNNING: N_('Being prepared…'),
    ExportStatus.DONE: N_('Ready'),
    ExportStatus.FAILED: N_('Failed'),
}
DESCRIPTIONS = {
    ExportKind.MY_HISTORY: N_(
        'Every completed visit with its diagnosis, treatment, prescription, tests advised and the suggested next '
        'visit, as a spreadsheet file.'
    ),
    ExportKind.MY_APPOINTMENTS: N_('Your appointments of a period, with patients, statuses and reasons.'),
    ExportKind.APPOINTMENTS: N_('Every appointment of a period, with doctors, departments, patients and statuses.'),
    ExportKind.DOCTORS: N_('The doctors; with a period, only those registered in it.'),
    ExportKind.PATIENTS: N_('The patients and their contact details; with a period, only those registered in it.'),
}
# What the dates of each kind mean, under the date fields (none for a patient's history: it has no period)
PERIOD_HINTS = {
    ExportKind.MY_APPOINTMENTS: N_('Dates are appointment dates in the clinic time zone, both included.'),
    ExportKind.APPOINTMENTS: N_('Dates are appointment dates in the clinic time zone, both included.'),
    ExportKind.DOCTORS: N_('Optional: leave the dates empty for everyone, or give a period of registration date.'),
    ExportKind.PATIENTS: N_('Optional: leave the dates empty for everyone, or give a period of registration date.'),
}


def download_url(export_id: int) -> str:
    return DOWNLOAD_PATH.format(export_id=export_id)


async def export_panel(
    principal: Principal, kinds: Sequence[ExportKind], *, title: str = '', link_to_all: bool = True
) -> ExportPanel:
    """Build an export panel for ``kinds`` (all of the principal's role) with the user's recent exports listed;
    ``title`` comes translated ('Export to CSV' by default)."""
    listed = await call(exports.list_exports, principal, kinds=[kind.value for kind in kinds], limit=LISTED)
    return ExportPanel(principal, kinds, listed, title=title, link_to_all=link_to_all)


def _listed_for_token(uow: UnitOfWork, settings: Settings, token: str, kinds: list[str]) -> list[ExportView]:
    """The session's user's recent exports; the session is checked again (a live refresh comes without a request)."""
    principal = accounts.authenticate(uow, settings, token, kind=SessionKind.WEB, touch=False)
    return exports.list_exports(uow, principal, kinds=kinds, limit=LISTED)


def _label(view: ExportView) -> str:
    return _(str(view.label))


def _period_text(view: ExportView) -> str:
    if view.first and view.last:
        return f'{formats.date_only(view.first)} – {formats.date_only(view.last)}'
    if view.first:
        return _('from {first}', first=formats.date_only(view.first))
    if view.last:
        return _('until {last}', last=formats.date_only(view.last))
    return _('all dates')


def _failure(view: ExportView) -> str:
    return _('Failed: {error}', error=view.error) if view.error else _('Failed: please try again.')


class ExportPanel(ui.card):
    """Start an export of one of ``kinds``, follow it live, and download the finished files."""

    def __init__(
        self,
        principal: Principal,
        kinds: Sequence[ExportKind],
        listed: list[ExportView],
        *,
        title: str = '',
        link_to_all: bool = True,
    ) -> None:
        super().__init__()
        self.classes(theme.CARD).mark('export-panel')
        self.owner_id = principal.user_id
        self.kinds = [ExportKind(kind) for kind in kinds]
        self.token = session_token() or ''
        self.announce: set[int] = set()  # exports whose end this page announces when it reads them
        self.dirty = self.refreshing = False
        self.period_fields: dict[str, ui.input] = {}
        with self:
            heading(title or _('Export to CSV'))
            self.description = ui.label('').classes(theme.SUBTLE)
            with ui.row().classes('w-full items-start gap-3'):
                choices = {kind.value: _(str(KINDS[kind].label)) for kind in self.kinds}
                self.kind = ui.select(choices, value=self.kinds[0].value, label=_('Export')).props('outlined dense')
                self.kind.classes('min-w-[12rem]').mark('export-kind')
                self.kind.set_visibility(len(self.kinds) > 1)
                self.kind.on_value_change(self._kind_changed)
                self.first = forms.date_input(_('Export from')).mark('export-from')
                self.last = forms.date_input(_('Export to')).mark('export-to')
                self.period_fields = {'from': self.first, 'to': self.last}
                self.start_button = ui.button(_('Export'), icon='file_download', on_click=self.start)
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
                ui.link(_('All my exports'), EXPORTS_PATH).classes('text-sm')
        self._kind_changed()
        self.show(listed)
        follow_changes(self.on_event)

    @property
    def chosen(self) -> ExportKind:
        return ExportKind(self.kind.value or self.kinds[0].value)

    def _kind_changed(self) -> None:
        info = KINDS[self.chosen]
        self.description.text = _(DESCRIPTIONS[self.chosen])
        show_period = self.chosen is not ExportKind.MY_HISTORY  # a patient exports their whole history
        for field in self.period_fields.values():
            field.set_visibility(show_period)
            field.error = None
        if info.period == 'required':
            today = clock.now().astimezone(app_context.get().settings.zone).date()
            if not self.first.value:
                self.first.value = dates.shown(today.replace(day=1))
            if not self.last.value:
                self.last.value = dates.shown(today)
        else:
            self.first.value = self.last.value = ''
        hint = PERIOD_HINTS.get(self.chosen) if show_period else None
        self.hint.text = _(hint) if hint else ''
        self.hint.set_visibility(bool(self.hint.text))

    def _day(self, name: str) -> tuple[date | None, bool]:
        element = self.period_fields[name]
        return forms.day(element) if element.visible else (None, True)

    async def start(self) -> None:
        self.error.text = ''
        forms.clear_errors(self.period_fields)
        first, first_ok = self._day('from')
        last, last_ok = self._day('to')
        if not (first_ok and last_ok):
            return
        actor = await acting(EXPORTS_PATH)
        if actor is None:
            return
        self.start_button.disable()
        ctx = app_context.get()
        try:
            view = await in_thread(
                exports.start_export, ctx.uow, ctx.settings, ctx.tasks, actor, self.chosen.value, first, last
            )
        except DomainError as failure:
            forms.show_error(failure, self.error, self.period_fields)
            return
        finally:
            self.start_button.enable()
        self.announce.add(view.id)
        ui.notify(_('Export started. It is prepared in the background; you will be told here when it is ready.'))
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
                    listed = await call(_listed_for_token, self.token, [kind.value for kind in self.kinds])
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
                ui.label(_('No exports yet. Choose what to export above, then press Export.')).classes(
                    theme.SUBTLE
                ).mark('export-none')
            for view in listed:
                self._row(view)
        for view in listed:
            if view.id in self.announce and not view.in_progress:
                self.announce.discard(view.id)
                self._announce(view)

    def _row(self, view: ExportView) -> None:
        with ui.row().classes('w-full items-center gap-3 border-t py-2').mark(f'export-{view.id}'):
            with ui.column().classes('gap-0 flex-1 min-w-[12rem]'):
                ui.label(f'{_label(view)} · {_period_text(view)}').classes('font-medium')
                ui.label(_('Requested {when}', when=formats.moment(view.created_at))).classes(theme.SUBTLE)
            if view.in_progress:
                status = _(STATUS_TEXT[view.status])
                spinner = ui.spinner(size='sm')
                spinner.props['aria-label'] = status
                with ui.column().classes('gap-1 min-w-[10rem]'):
                    ui.label(status).mark(f'export-status-{view.id}')
                    stage = STAGES[view.status]  # the worker reports stages, not rows: show how far along it is
                    progress = ui.linear_progress(value=stage / len(STAGES), show_value=False)
                    progress.props('rounded size=6px').mark(f'export-progress-{view.id}')
                    progress.props['aria-label'] = _('Export step {stage} of {stages}', stage=stage, stages=len(STAGES))
            elif view.status is ExportStatus.FAILED:
                ui.label(_failure(view)).classes(theme.ERROR_TEXT).mark(f'export-status-{view.id}')
            elif view.expired:
                ui.label(_('Expired: request a new export.')).classes(theme.SUBTLE).mark(f'export-status-{view.id}')
            else:
                with ui.column().classes('gap-0'):
                    ready = ngettext('Ready · {n} row', 'Ready · {n} rows', view.rows or 0)
                    ui.label(ready).mark(f'export-status-{view.id}')
                    ui.label(_('Until {when}', when=formats.moment(view.expires_at))).classes(theme.SUBTLE)
                self._download_button(view).mark(f'export-download-{view.id}')

    def _download_button(self, view: ExportView) -> ui.button:
        url = download_url(view.id)
        button = ui.button(_('Download'), icon='download', on_click=lambda: ui.download.from_url(url))
        button.props('outline no-caps')
        button.props['aria-label'] = _('Download {export} export {number}', export=_label(view), number=view.id)
        return button

    def _announce(self, view: ExportView) -> None:
        with self:
            if view.status is ExportStatus.FAILED:
                if view.error:
                    failed = _('Your export "{export}" failed: {error}', export=_label(view), error=view.error)
                else:
                    failed = _('Your export "{export}" failed: please try again.', export=_label(view))
                ui.notify(failed, type='negative')
                return
            if not view.downloadable:
                return
            rows = view.rows or 0
            ui.notify(
                ngettext(
                    'Your export "{export}" is ready ({n} row).',
                    'Your export "{export}" is ready ({n} rows).',
                    rows,
                    export=_label(view),
                ),
                type='positive',
            )
        self.ready.clear()
        with self.ready:
            ui.icon('task_alt')
            ready = ngettext(
                'Your export "{export}" is ready: {n} row.',
                'Your export "{export}" is ready: {n} rows.',
                rows,
                export=_label(view),
            )
            ui.label(ready).classes('flex-1')
            self._download_button(view).mark('export-ready-download')
            close = ui.button(icon='close', on_click=lambda: self.ready.set_visibility(False)).props('flat round dense')
            close.props['aria-label'] = _('Dismiss')
        self.ready.set_visibility(True)
