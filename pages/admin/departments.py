"""The administrator's departments: list with doctor counts, create, rename or describe, delete when empty."""

from __future__ import annotations

from html import escape

from nicegui import events, ui

from hms.domain.enums import Role
from hms.domain.scheduling import DepartmentIn, DepartmentPatch
from hms.domain.validation import parse
from hms.i18n import N_, _
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
EMPTY_TEXT = N_('No departments yet. Add the first one with "Add department"; every doctor belongs to a department.')
GONE = N_('This department no longer exists.')
COLUMNS = [
    column('name', N_('Department'), sortable=True),
    column('description', N_('Description')),
    column('doctors', N_('Doctors'), align='right', sortable=True),
    column('actions', N_('Actions'), align='right', field='id'),
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
        listed = await call(departments.list_departments)
        with frame(principal, N_('Departments'), current_path=PATH):
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
            ui.label(_('Doctors are grouped by department; patients search and book by department.')).classes(
                theme.SUBTLE
            )
            ui.space()
            ui.button(_('Add department'), icon='add', on_click=lambda: self.open_form(None)).mark('add-department')
        self.table = ListTable(
            'departments', COLUMNS, _row, empty=_(EMPTY_TEXT), load=lambda: call(departments.list_departments)
        )
        self.table.add_slot('body-cell-actions', _actions_slot())
        self.table.on('edit', self.open_edit)
        self.table.on('delete', self.open_delete)
        self.table.show_items(listed)

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
            await self.table.reload()

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
            await self.table.reload()

        dialog.ask(lambda: dialog.attempt(delete, path=PATH), then=deleted)


def _department_fields(department: DepartmentView | None) -> dict[str, ui.input | ui.select]:
    name = ui.input(_('Name'), value=department.name if department else '')
    name.props('outlined autofocus maxlength=120').classes('w-full')
    description = ui.textarea(_('Description'), value=department.description if department else '')
    description.props('outlined autogrow maxlength=4000').classes('w-full')
    description.props['hint'] = _('Optional: what the department treats.')
    return {'name': name, 'description': description}
