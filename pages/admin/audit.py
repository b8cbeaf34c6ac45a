"""/admin/audit: the administrator browses the audit log (filters, pages) and checks its hash chain.

Rows hold who, what, when, from where and the outcome: ids and codes, never clinical values or secrets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from hms import context as app_context
from hms.db.audit_log import AuditFilter
from hms.domain.enums import Role
from hms.domain.errors import DomainError
from hms.services import audit, notices
from hms.services.audit import AuditView, ChainReport
from hms.services.principal import Principal
from hms.services.views import Page

from ..ui import theme
from ..ui.frame import forbidden, frame
from ..ui.session import current_principal, page_access

PATH = '/admin/audit'
PAGE_SIZE = 50
RESULT_OPTIONS = {'any': 'Any result', 'success': 'Succeeded', 'failure': 'Failed or refused'}
COLUMNS = [
    {'name': name, 'label': label, 'field': name, 'align': 'left'}
    for name, label in (
        ('at', 'When'),
        ('action', 'Action'),
        ('actor', 'By'),
        ('subject', 'Concerning'),
        ('object', 'Object'),
        ('result', 'Result'),
        ('ip', 'IP'),
        ('detail', 'Detail'),
    )
]


@dataclass(frozen=True)
class _Result:
    page: Page[AuditView]
    names: dict[int, str]


def _load(principal: Principal, where: AuditFilter, offset: int) -> _Result:
    with app_context.get().uow() as uow:
        page = audit.browse(uow, principal, where, limit=PAGE_SIZE, offset=offset)
        ids = {i for item in page.items for i in (item.actor_id, item.subject_user_id) if i is not None}
        return _Result(page, audit.people(uow, principal, ids))


def _actions(principal: Principal) -> list[str]:
    with app_context.get().uow() as uow:
        return audit.action_names(uow, principal)


def _user_id(principal: Principal, text: str) -> int | None:
    with app_context.get().uow() as uow:
        return audit.user_id_for(uow, principal, text)


def _verify() -> ChainReport:
    with app_context.get().uow() as uow:
        return audit.verify(uow.session)


def _person(user_id: int | None, role: str | None, names: dict[int, str]) -> str:
    if user_id is None:
        return '–'
    name = names.get(user_id, 'deleted account')
    return f'{name} (#{user_id}{", " + role if role else ""})'


def _detail(detail: dict[str, object]) -> str:
    # Codes and counts only by construction; shortened so a long value cannot swamp the table.
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else ''
    return text if len(text) <= 120 else text[:117] + '…'


def create() -> None:
    @ui.page(PATH)
    async def audit_page() -> RedirectResponse | None:
        access = await page_access(PATH, Role.ADMIN)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        first = await run.io_bound(_load, access.principal, AuditFilter(), 0)
        actions = await run.io_bound(_actions, access.principal)
        with frame(access.principal, 'Audit log', current_path=PATH):
            _AuditPanel(first, actions)
        return None


class _AuditPanel:
    def __init__(self, first: _Result, actions: list[str]) -> None:
        settings = app_context.get().settings
        self.zone = settings.zone
        self.offset = 0
        prefixes = sorted({name.split('.')[0] + '.' for name in actions if '.' in name})
        choices = {**{p: f'{p}* (all)' for p in prefixes}, **{name: name for name in actions}}
        with ui.card().classes(theme.CARD):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label('Integrity').classes('text-lg font-medium').props('role=heading aria-level=2')
                ui.button('Verify the hash chain', icon='verified', on_click=self.verify).props('flat no-caps').mark(
                    'verify-chain'
                )
            self.chain = ui.label(
                'Each entry carries the hash of the one before it, so a changed or removed entry breaks the chain.'
            ).classes(theme.SUBTLE)
            self.chain.mark('chain-state')
        with ui.card().classes(theme.CARD):
            ui.label(f'Times are in the clinic time zone ({settings.timezone}).').classes(theme.SUBTLE)
            with ui.row().classes('w-full items-start gap-3').mark('audit-filters'):
                self.actor = ui.input('By (email or id)', on_change=self.search).props('outlined dense clearable')
                self.actor.props('debounce=500').mark('filter-actor')
                self.subject = ui.input('Concerning (email or id)', on_change=self.search)
                self.subject.props('outlined dense clearable debounce=500').mark('filter-subject')
                self.action = ui.select(choices, label='Action', clearable=True, with_input=True, on_change=self.search)
                self.action.props('outlined dense').classes('min-w-[14rem]').mark('filter-action')
                self.result = ui.select(RESULT_OPTIONS, value='any', label='Result', on_change=self.search)
                self.result.props('outlined dense').classes('min-w-[10rem]').mark('filter-result')
                self.first = ui.input('From date', on_change=self.search).props('outlined dense type=date clearable')
                self.first.mark('filter-from')
                self.last = ui.input('To date', on_change=self.search).props('outlined dense type=date clearable')
                self.last.mark('filter-to')
            self.empty = ui.label('No entry matches these filters.').classes(theme.INFO_BANNER).mark('audit-empty')
            self.table = ui.table(columns=COLUMNS, rows=[], row_key='id').classes('w-full')
            self.table.props('flat bordered dense wrap-cells').mark('audit-table')
            with ui.row().classes('w-full items-center justify-end gap-2'):
                self.summary = ui.label('').classes(theme.SUBTLE).mark('audit-summary')
                self.previous = ui.button('Previous', icon='chevron_left', on_click=lambda: self.turn(-1))
                self.previous.props('flat no-caps').mark('audit-previous')
                self.next = ui.button('Next', icon='chevron_right', on_click=lambda: self.turn(1))
                self.next.props('flat no-caps').mark('audit-next')
        self.show(first)

    def show(self, result: _Result) -> None:
        page, names = result.page, result.names
        self.offset = page.offset
        self.table.rows = [
            {
                'id': item.id,
                'at': notices.when(item.at, self.zone),
                'action': item.action,
                'actor': _person(item.actor_id, item.actor_role, names),
                'subject': _person(item.subject_user_id, None, names),
                'object': f'{item.object_type} #{item.object_id}' if item.object_type else '–',
                'result': 'ok' if item.success else 'failed',
                'ip': item.ip or '–',
                'detail': _detail(item.detail),
            }
            for item in page.items
        ]
        self.table.update()
        self.table.set_visibility(bool(page.items))
        self.empty.set_visibility(not page.items)
        last = page.offset + len(page.items)
        self.summary.text = f'{page.offset + 1} to {last} of {page.total}, newest first' if page.items else ''
        self.previous.set_enabled(page.offset > 0)
        self.next.set_enabled(last < page.total)

    def _day(self, element: ui.input) -> tuple[bool, date | None]:
        """(valid, day): an empty field is a valid "no limit"."""
        element.error = None
        text = (element.value or '').strip()
        try:
            return True, (date.fromisoformat(text) if text else None)
        except ValueError:
            element.error = 'Enter a date as YYYY-MM-DD.'
            return False, None

    async def _person_id(self, principal: Principal, element: ui.input) -> tuple[bool, int | None]:
        element.error = None
        text = (element.value or '').strip()
        if not text:
            return True, None
        found = await run.io_bound(_user_id, principal, text)
        if found is None:
            element.error = 'No account with this email.'
            return False, None
        return True, found

    def _moment(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    async def criteria(self, principal: Principal) -> AuditFilter | None:
        (first_ok, first), (last_ok, last) = self._day(self.first), self._day(self.last)
        actor_ok, actor = await self._person_id(principal, self.actor)
        subject_ok, subject = await self._person_id(principal, self.subject)
        if not (first_ok and last_ok and actor_ok and subject_ok):
            return None
        if first and last and last < first:
            self.last.error = 'The end date is before the start date.'
            return None
        result = self.result.value
        return AuditFilter(
            actor_id=actor,
            subject_user_id=subject,
            action=self.action.value or None,
            since=self._moment(first) if first else None,
            until=self._moment(last + timedelta(days=1)) if last else None,
            success=None if result == 'any' else result == 'success',
        )

    async def load(self, offset: int) -> None:
        principal = await current_principal()
        if principal is None:
            ui.navigate.to(f'/login?next={PATH}')
            return
        where = await self.criteria(principal)
        if where is None:
            return
        try:
            result = await run.io_bound(_load, principal, where, offset)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        self.show(result)

    async def search(self) -> None:
        await self.load(0)

    async def turn(self, step: int) -> None:
        await self.load(max(0, self.offset + step * PAGE_SIZE))

    async def verify(self) -> None:
        if await current_principal() is None:
            ui.navigate.to(f'/login?next={PATH}')
            return
        report = await run.io_bound(_verify)
        if report.ok:
            self.chain.text = f'Chain intact: {report.rows} entries verified.'
            self.chain.classes(replace=theme.SUCCESS_BANNER)
        else:
            self.chain.text = f'Chain BROKEN at entry #{report.broken_id}: {report.problem}.'
            self.chain.classes(replace=theme.ERROR_BANNER)
