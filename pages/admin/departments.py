"""The administrator's departments: list with doctor counts, create, rename or describe, delete when empty."""

from __future__ import annotations

from html import escape
from typing import Any

from nicegui import events, ui

from hms.domain.criteria import DepartmentSort
from hms.domain.enums import Role
from hms.domain.scheduling import DepartmentIn, DepartmentPatch
from hms.domain.validation import parse
from hms.i18n import N_, _
from hms.services import departments
from hms.services.principal import Principal
from hms.services.views import DepartmentView, Page

from ..components import forms
from ..components.dialogs import ConfirmDialog
from ..components.tables import PagedTable, Paging, SearchBox, Sort, column
from ..ui import theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.address import Address
from ..ui.frame import frame
from ..ui.services import call

PATH = '/admin/departments'
EMPTY_TEXT = N_('No departments yet. Add the first one with "Add department"; every doctor belongs to a department.')
GONE = N_('This department no longer exists.')
PAGE_SIZE = 25
DEFAULT = Paging(rows=PAGE_SIZE, sort=Sort(DepartmentSort.NAME.value))
COLUMNS = [  # the sortable columns' names are the service's sort keys (DepartmentSort)
    column('name', N_('Department'), sortable=True),
    column('description', N_('Description')),
    column('doctors', N_('Doctors'), align='right', sortable=True),
    column('actions', N_('Actions'), align='right', field='id', sticky=True),
]
ACTIONS_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn flat dense no-caps color="primary" icon="edit" label="{edit}"
         @click="() => $parent.$emit('edit', props.row)" />
  <q-btn flat dense no-caps color="negative" icon="delete" label="{delete}"
         @click="() => $parent.$emit('delete', props.row)" />
</q-td>
"""


def _actions_slot() -> str:
    """Each row's Edit and Delete buttons, labelled in the page's language."""
    return ACTIONS_SLOT.format(edit=escape(_('Edit')), delete=escape(_('Delete')))


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def departments_page(principal: Principal) -> None:
        address = Address()
        text, paging = address.text('q'), Paging.read(address, list(DepartmentSort), DEFAULT)
        listed = await call(
            departments.browse_departments, principal, text, **_reading(paging.offset, paging.rows, paging.sort)
        )
        with frame(principal, N_('Departments'), current_path=PATH):
            _DepartmentsPanel(listed, text, paging)
            address.tell()


def _reading(offset: int, limit: int, sort: Sort) -> dict[str, Any]:
    """The service's arguments for a page of the list (sorting switched off: by name)."""
    return {'limit': limit, 'offset': offset, 'sort': sort.by or DEFAULT.sort.by, 'descending': sort.descending}


def _row(department: DepartmentView) -> dict[str, object]:
    return {
        'id': department.id,
        'name': department.name,
        'description': department.description or '-',
        'doctors': department.doctor_count,
    }


class _DepartmentsPanel:
    """The search, the table (a page at a time, kept in the address: ?q=text&page=2), its empty state and the dialogs
    that change it."""

    def __init__(self, listed: Page[DepartmentView], text: str, paging: Paging) -> None:
        ui.label(_('Doctors are grouped by department; patients search and book by department.')).classes(theme.SUBTLE)
        with ui.row().classes('w-full items-end gap-3'):
            self.text = SearchBox(_('Search departments'), self.search, dense=True, value=text)
            self.text.classes('min-w-[16rem] flex-1').mark('department-search')
            ui.button(_('Add department'), icon='add', on_click=lambda: self.open_form(None)).mark('add-department')
        empty = self.text.empty(_('No department matches this search. Try part of its name.'), _(EMPTY_TEXT))
        self.table = PagedTable('departments', COLUMNS, self._load, _row, first=listed, empty=empty, sort=paging.sort)
        self.table.add_slot('body-cell-actions', _actions_slot())
        self.table.on('edit', self.open_edit)
        self.table.on('delete', self.open_delete)
        self.table.keep_in_address(PATH, lambda: {'q': self.text.query}, DEFAULT)

    async def _load(self, offset: int, limit: int, sort: Sort) -> Page[DepartmentView] | None:
        actor = await acting(PATH)
        if actor is None:
            return None
        return await call(departments.browse_departments, actor, self.text.query, **_reading(offset, limit, sort))

    async def search(self) -> None:
        await self.table.reload()

    def open_edit(self, event: events.GenericEventArguments) -> None:
        department = self.table.picked(event, _(GONE))
        if department is not None:
            self.open_form(department)

    def open_form(self, department: DepartmentView | None) -> None:
        """Add a department (``department`` None) or change one."""
        if department is None:
            dialog = ConfirmDialog(_('Add department'), _('Add department'))
        else:
            dialog = ConfirmDialog(_('Edit {name}', name=department.name), _('Save changes'))
        with dialog:
            dialog.banner()
            fields = _department_fields(department)

        async def write(actor: Principal) -> DepartmentView:
            data = forms.stripped(fields)
            if department is None:
                return await call(departments.create_department, actor, parse(DepartmentIn, data))
            return await call(departments.update_department, actor, department.id, parse(DepartmentPatch, data))

        async def save() -> DepartmentView | None:
            return await dialog.attempt(write, path=PATH, fields=fields, required=('name',))

        async def saved(done: DepartmentView) -> None:
            if department is None:
                ui.notify(_('Department {name} added.', name=done.name), type='positive')
            else:
                ui.notify(_('Department {name} saved.', name=done.name), type='positive')
            await self.table.refresh()

        dialog.ask(save, then=saved)

    def open_delete(self, event: events.GenericEventArguments) -> None:
        department = self.table.picked(event, _(GONE))
        if department is None:
            return
        dialog = ConfirmDialog(_('Delete {name}?', name=department.name), _('Delete department'), color='negative')
        with dialog:
            ui.label(
                _(
                    'The department {name} will be removed for good; patients will no longer find it. Only a '
                    'department without doctors can be deleted: move its doctors to another department first.',
                    name=department.name,
                )
            ).mark('delete-explanation')
            dialog.banner().mark('delete-error')

        async def delete(actor: Principal) -> bool:
            await call(departments.delete_department, actor, department.id)
            return True

        async def deleted(_answer: bool) -> None:
            ui.notify(_('Department {name} deleted.', name=department.name), type='positive')
            await self.table.refresh()

        dialog.ask(lambda: dialog.attempt(delete, path=PATH), then=deleted)


def _department_fields(department: DepartmentView | None) -> dict[str, ui.input | ui.select]:
    name = ui.input(_('Name'), value=department.name if department else '')
    name.props('outlined autofocus maxlength=120').classes('w-full')
    description = ui.textarea(_('Description'), value=department.description if department else '')
    description.props('outlined autogrow maxlength=4000').classes('w-full')
    description.props['hint'] = _('Optional: what the department treats.')
    return {'name': name, 'description': description}
