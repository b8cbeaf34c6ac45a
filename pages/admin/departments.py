"""The administrator's departments: list with doctor counts, create, rename or describe, delete when empty."""

from __future__ import annotations

from nicegui import events, ui

from hms.domain.enums import Role
from hms.domain.scheduling import DepartmentIn, DepartmentPatch
from hms.domain.validation import parse
from hms.services import departments
from hms.services.principal import Principal
from hms.services.views import DepartmentView

from ..components import forms
from ..components.dialogs import ConfirmDialog
from ..components.tables import ListTable, column
from ..ui import theme
from ..ui.access import role_page
from ..ui.frame import frame
from ..ui.services import call

PATH = '/admin/departments'
COLUMNS = [
    column('name', 'Department', sortable=True),
    column('description', 'Description'),
    column('doctors', 'Doctors', align='right', sortable=True),
    column('actions', 'Actions', align='right', field='id'),
]
ACTIONS_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn flat dense no-caps color="primary" icon="edit" label="Edit"
         @click="() => $parent.$emit('edit', props.row)" />
  <q-btn flat dense no-caps color="negative" icon="delete" label="Delete"
         @click="() => $parent.$emit('delete', props.row)" />
</q-td>
"""
EMPTY_TEXT = 'No departments yet. Add the first one with "Add department"; every doctor belongs to a department.'
GONE = 'This department no longer exists.'


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def departments_page(principal: Principal) -> None:
        listed = await call(departments.list_departments)
        with frame(principal, 'Departments', current_path=PATH):
            _DepartmentsPanel(listed)


def _row(department: DepartmentView) -> dict[str, object]:
    return {
        'id': department.id,
        'name': department.name,
        'description': department.description or '-',
        'doctors': department.doctor_count,
    }


class _DepartmentsPanel:
    """The table, its empty state and the dialogs that change it."""

    def __init__(self, listed: list[DepartmentView]) -> None:
        with ui.row().classes('w-full items-center gap-2'):
            ui.label('Doctors are grouped by department; patients search and book by department.').classes(theme.SUBTLE)
            ui.space()
            ui.button('Add department', icon='add', on_click=lambda: self.open_form(None)).mark('add-department')
        self.table = ListTable(
            'departments', COLUMNS, _row, empty=EMPTY_TEXT, load=lambda: call(departments.list_departments)
        )
        self.table.add_slot('body-cell-actions', ACTIONS_SLOT)
        self.table.on('edit', self.open_edit)
        self.table.on('delete', self.open_delete)
        self.table.show_items(listed)

    def open_edit(self, event: events.GenericEventArguments) -> None:
        department = self.table.picked(event, GONE)
        if department is not None:
            self.open_form(department)

    def open_form(self, department: DepartmentView | None) -> None:
        """Add a department (``department`` None) or change one."""
        label = 'Add department' if department is None else 'Save changes'
        dialog = ConfirmDialog('Add department' if department is None else f'Edit {department.name}', label)
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
            ui.notify(f'Department {done.name} {"added" if department is None else "saved"}.', type='positive')
            await self.table.reload()

        dialog.ask(save, then=saved)

    def open_delete(self, event: events.GenericEventArguments) -> None:
        department = self.table.picked(event, GONE)
        if department is None:
            return
        dialog = ConfirmDialog(f'Delete {department.name}?', 'Delete department', color='negative')
        with dialog:
            ui.label(
                f'The department {department.name} will be removed for good; patients will no longer find it. '
                'Only a department without doctors can be deleted: move its doctors to another department first.'
            ).mark('delete-explanation')
            dialog.banner().mark('delete-error')

        async def delete(actor: Principal) -> bool:
            await call(departments.delete_department, actor, department.id)
            return True

        async def deleted(_: bool) -> None:
            ui.notify(f'Department {department.name} deleted.', type='positive')
            await self.table.reload()

        dialog.ask(lambda: dialog.attempt(delete, path=PATH), then=deleted)


def _department_fields(department: DepartmentView | None) -> dict[str, ui.input | ui.select]:
    return {
        'name': ui.input('Name', value=department.name if department else '')
        .props('outlined autofocus maxlength=120')
        .classes('w-full'),
        'description': ui.textarea('Description', value=department.description if department else '')
        .props('outlined autogrow maxlength=4000 hint="Optional: what the department treats."')
        .classes('w-full'),
    }
