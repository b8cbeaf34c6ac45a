"""/admin/audit: the administrator browses the audit log (filters, pages) and checks its hash chain.

Rows hold who, what, when, from where and the outcome: ids and codes, never clinical values or secrets.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import ui

from hms import context as app_context
from hms.db.uow import UnitOfWork
from hms.domain.criteria import AuditFilter, AuditSort
from hms.domain.enums import Role
from hms.domain.errors import DomainError
from hms.i18n import N_, _, ngettext
from hms.services import audit, throttling
from hms.services.audit import AuditView
from hms.services.principal import Principal
from hms.services.views import Page

from ..components.sections import heading, section
from ..components.tables import PagedTable, Paging, Sort, columns, sortable, translated
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.address import Address
from ..ui.frame import frame
from ..ui.services import call
from .filters import date_filter, period

PATH = '/admin/audit'
PAGE_SIZE = 50
SCOPES = {
    'pair': N_('This account from this address'),
    'ip': N_('This address, any account'),
    'account': N_('This account, from addresses it never signed in from'),
}
SLOWED_COLUMNS = columns(
    ('account', N_('Account')),
    ('ip', N_('Client address')),
    ('scope', N_('Slowed down')),
    ('failures', N_('Failed attempts')),
    ('until', N_('Waits until')),
)
RESULT_OPTIONS = {'any': N_('Any result'), 'success': N_('Succeeded'), 'failure': N_('Failed or refused')}
DEFAULT = Paging(rows=PAGE_SIZE, sort=Sort(AuditSort.AT.value, descending=True))
COLUMNS = [  # the sortable columns' names are the service's sort keys (AuditSort)
    *sortable(('at', N_('When')), ('action', N_('Action'))),
    *columns(('actor', N_('By')), ('subject', N_('Concerning')), ('object', N_('Object'))),
    *sortable(('result', N_('Result'))),
    *columns(('ip', N_('IP')), ('detail', N_('Detail'))),
]


@dataclass(frozen=True)
class _Entry:
    """An entry of the log with the names of the people it mentions."""

    item: AuditView
    names: dict[int, str]


@dataclass(frozen=True)
class _Asked:
    """The filters as typed (people by email or id), as the address keeps them:
    ?by=admin@example.com&about=7&action=login.&result=failure&from=2026-12-01&to=2026-12-07."""

    actor: str = ''
    subject: str = ''
    action: str | None = None
    result: str = 'any'
    first: date | None = None
    last: date | None = None

    @classmethod
    def read(cls, address: Address, actions: Collection[str]) -> _Asked:
        first, last = address.day('from'), address.day('to')
        if first and last and last < first:
            address.unreadable.append('to')
            last = None
        return cls(
            actor=address.text('by', max_length=320),
            subject=address.text('about', max_length=320),
            action=address.choice('action', actions),
            result=address.choice('result', list(RESULT_OPTIONS), 'any') or 'any',
            first=first,
            last=last,
        )

    def written(self) -> dict[str, object]:
        result = None if self.result == 'any' else self.result
        people = {'by': self.actor, 'about': self.subject}
        return {**people, 'action': self.action, 'result': result, 'from': self.first, 'to': self.last}


def _opened(
    uow: UnitOfWork, principal: Principal, address: Address, paging: Paging, zone: ZoneInfo
) -> tuple[_Asked, list[str], Page[_Entry]]:
    """What the page opens with: the filters the address asks for (a person no account matches is left out and named
    in the notice), the action names to choose from, and the first page."""
    actions = audit.action_names(uow, principal)
    asked = _Asked.read(address, _action_choices(actions))
    ids: dict[str, int | None] = {}
    for name, text in (('by', asked.actor), ('about', asked.subject)):
        ids[name] = audit.user_id_for(uow, principal, text) if text else None
        if text and ids[name] is None:
            address.unreadable.append(name)
    asked = replace(asked, actor=asked.actor if ids['by'] else '', subject=asked.subject if ids['about'] else '')
    where = _filter(asked, ids['by'], ids['about'], zone)
    return asked, actions, _browse(uow, principal, where, paging.offset, paging.rows, paging.sort)


def _action_choices(actions: list[str]) -> dict[str, str]:
    """Each action, and each family of actions ('login.': every login action)."""
    prefixes = sorted({name.split('.')[0] + '.' for name in actions if '.' in name})
    return {**{p: _('{prefix}* (all)', prefix=p) for p in prefixes}, **{name: name for name in actions}}


def _filter(asked: _Asked, actor: int | None, subject: int | None, zone: ZoneInfo) -> AuditFilter:
    def moment(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    return AuditFilter(
        actor_id=actor,
        subject_user_id=subject,
        action=asked.action or None,
        since=moment(asked.first) if asked.first else None,
        until=moment(asked.last + timedelta(days=1)) if asked.last else None,
        success=None if asked.result == 'any' else asked.result == 'success',
    )


def _browse(
    uow: UnitOfWork, principal: Principal, where: AuditFilter, offset: int, limit: int, sort: Sort
) -> Page[_Entry]:
    order = sort if sort.by else DEFAULT.sort  # sorting switched off: newest first
    by, descending = order.by or AuditSort.AT, order.descending
    page = audit.browse(uow, principal, where, limit=limit, offset=offset, sort=by, descending=descending)
    ids = {i for item in page.items for i in (item.actor_id, item.subject_user_id) if i is not None}
    names = audit.people(uow, principal, ids)
    return Page(items=[_Entry(item, names) for item in page.items], total=page.total, limit=limit, offset=offset)


def _order(sort: Sort) -> str:
    if sort.by not in (None, AuditSort.AT):
        return ''  # the column header shows the order
    return _('oldest first') if sort.by and not sort.descending else _('newest first')


def _person(user_id: int | None, role: str | None, names: dict[int, str]) -> str:
    if user_id is None:
        return '–'
    name = names[user_id] if user_id in names else _('deleted account')
    if role:  # the role as the log records it (a code, like the action)
        return _('{name} (#{id}, {role})', name=name, id=user_id, role=role)
    return _('{name} (#{id})', name=name, id=user_id)


def _detail(detail: dict[str, object]) -> str:
    # Codes and counts only by construction; shortened so a long value cannot swamp the table.
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else ''
    return text if len(text) <= 120 else text[:117] + '…'


def _row(entry: _Entry) -> dict[str, Any]:
    item, names = entry.item, entry.names
    return {
        'id': item.id,
        'at': formats.moment(item.at),
        'action': item.action,
        'actor': _person(item.actor_id, item.actor_role, names),
        'subject': _person(item.subject_user_id, None, names),
        'object': f'{item.object_type} #{item.object_id}' if item.object_type else '–',
        'result': _('ok') if item.success else _('failed'),
        'ip': item.ip or '–',
        'detail': _detail(item.detail),
    }


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def audit_page(principal: Principal) -> None:
        address = Address()
        paging = Paging.read(address, list(AuditSort), DEFAULT)
        zone = app_context.get().settings.zone
        asked, actions, first = await call(_opened, principal, address, paging, zone)
        slowed = await call(throttling.slowed_down, principal)
        with frame(principal, N_('Audit log'), current_path=PATH):
            _slowed_down(slowed)
            _AuditPanel(first, actions, asked, paging)
            address.tell()


def _slowed_down(items: list[throttling.SlowedDown]) -> None:
    """Who is being made to wait before signing in again now (throttling slows guessers, it locks no one out)."""
    with section(marker='slowed-down'):
        heading(_('Sign-in attempts being slowed down'))
        if not items:
            ui.label(_('No sign-in is being slowed down right now.')).classes(theme.SUBTLE)
            return
        rows = [
            {
                'id': index,
                'account': _('{name} <{email}>', name=item.name, email=item.email) if item.email else '–',
                'ip': item.ip or _('many addresses'),
                'scope': _(SCOPES[item.scope]),
                'failures': item.failures,
                'until': formats.moment(item.until),
            }
            for index, item in enumerate(items)
        ]
        table = ui.table(columns=translated(SLOWED_COLUMNS), rows=rows, row_key='id').mark('slowed-down-table')
        table.props('dense flat wrap-cells').classes('w-full')


class _AuditPanel:
    def __init__(self, first: Page[_Entry], actions: list[str], asked: _Asked, paging: Paging) -> None:
        settings = app_context.get().settings
        self.zone = settings.zone
        choices = _action_choices(actions)
        self.shown = asked  # the filters of the list on show, for the address (values given below read nothing again)
        with section():
            with ui.row().classes('w-full items-center justify-between'):
                heading(_('Integrity'))
                ui.button(_('Verify the hash chain'), icon='verified', on_click=self.verify).props('flat no-caps').mark(
                    'verify-chain'
                )
            self.chain = ui.label(
                _('Each entry carries the hash of the one before it, so a changed or removed entry breaks the chain.')
            ).classes(theme.SUBTLE)
            self.chain.mark('chain-state')
        with section():
            ui.label(_('Times are in the clinic time zone ({zone}).', zone=settings.timezone)).classes(theme.SUBTLE)
            with ui.row().classes('w-full items-start gap-3').mark('audit-filters'):
                self.actor = ui.input(_('By (email or id)'), value=asked.actor, on_change=self.search).props(
                    'outlined dense clearable'
                )
                self.actor.props('debounce=500').mark('filter-actor')
                self.subject = ui.input(_('Concerning (email or id)'), value=asked.subject, on_change=self.search)
                self.subject.props('outlined dense clearable debounce=500').mark('filter-subject')
                self.action = ui.select(
                    choices,
                    label=_('Action'),
                    value=asked.action,
                    clearable=True,
                    with_input=True,
                    on_change=self.search,
                )
                self.action.props('outlined dense').classes('min-w-[14rem]').mark('filter-action')
                results = {value: _(label) for value, label in RESULT_OPTIONS.items()}
                self.result = ui.select(results, value=asked.result, label=_('Result'), on_change=self.search)
                self.result.props('outlined dense').classes('min-w-[10rem]').mark('filter-result')
                self.first = date_filter(_('From date'), self.search, value=asked.first).mark('filter-from')
                self.last = date_filter(_('To date'), self.search, value=asked.last).mark('filter-to')
            self.table = PagedTable(
                'audit',
                COLUMNS,
                self._load,
                _row,
                first=first,
                empty=_('No entry matches these filters.'),
                sort=paging.sort,
                order=_order,
            )
            self.table.props('dense wrap-cells')
            self.table.keep_in_address(PATH, self._written, DEFAULT)

    def _written(self) -> dict[str, object]:
        return self.shown.written()

    async def _person_id(self, principal: Principal, element: ui.input) -> tuple[bool, int | None]:
        element.error = None
        text = (element.value or '').strip()
        if not text:
            return True, None
        found = await call(audit.user_id_for, principal, text)
        if found is None:
            element.error = _('No account with this email.')
            return False, None
        return True, found

    async def criteria(self, principal: Principal) -> tuple[_Asked, AuditFilter] | None:
        days = period(self.first, self.last)
        actor_ok, actor = await self._person_id(principal, self.actor)
        subject_ok, subject = await self._person_id(principal, self.subject)
        if days is None or not (actor_ok and subject_ok):
            return None
        asked = _Asked(
            actor=(self.actor.value or '').strip(),
            subject=(self.subject.value or '').strip(),
            action=self.action.value or None,
            result=self.result.value or 'any',
            first=days[0],
            last=days[1],
        )
        return asked, _filter(asked, actor, subject, self.zone)

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[_Entry] | None:
        principal = await acting(PATH)
        if principal is None:
            return None
        criteria = await self.criteria(principal)
        if criteria is None:
            return None
        asked, where = criteria
        try:
            page = await call(_browse, principal, where, offset, limit, sort)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return None
        self.shown = asked
        return page

    async def search(self) -> None:
        await self.table.reload()

    async def verify(self) -> None:
        principal = await acting(PATH)
        if principal is None:
            return
        report = await call(audit.verify_chain, principal)
        if report.ok:
            self.chain.text = ngettext(
                'Chain intact: {n} entry verified.', 'Chain intact: {n} entries verified.', report.rows
            )
            self.chain.classes(replace=theme.SUCCESS_BANNER)
        else:
            self.chain.text = _('Chain BROKEN at entry #{id}: {problem}.', id=report.broken_id, problem=report.problem)
            self.chain.classes(replace=theme.ERROR_BANNER)
