"""The administrator's departments: list with doctor counts, create, rename or describe, delete when empty."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import events, run, ui

from hms import context as app_context
from hms.domain.enums import Role
from hms.domain.errors import DomainError
from hms.domain.scheduling import DepartmentIn, DepartmentPatch
from hms.domain.validation import parse
from hms.services import departments
from hms.services.principal import Principal
from hms.services.views import DepartmentView

from ..components import forms
from ..ui import theme
from ..ui.actions import acting, open_dialog
from ..ui.frame import forbidden, frame
from ..ui.session import page_access

PATH = '/admin/departments'
COLUMNS = [
    {'name': 'name', 'label': 'Department', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'description', 'label': 'Description', 'field': 'description', 'align': 'left'},
    {'name': 'doctors', 'label': 'Doctors', 'field': 'doctors', 'align': 'right', 'sortable': True},
    {'name': 'actions', 'label': 'Actions', 'field': 'id', 'align': 'right'},
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


def create() -> None:
    @ui.page(PATH)
    async def departments_page() -> RedirectResponse | None:
        access = await page_access(PATH, Role.ADMIN)
        if access.redirect:
            return access.redirect
        assert access.principal is not None
        if access.forbidden:
            forbidden(access.principal)
            return None
        listed = await run.io_bound(_list)
        with frame(access.principal, 'Departments', current_path=PATH):
            _DepartmentsPanel(listed)
        return None


def _list() -> list[DepartmentView]:
    with app_context.get().uow() as uow:
        return departments.list_departments(uow)


def _create(actor: Principal, data: dict[str, Any]) -> DepartmentView:
    command = parse(DepartmentIn, data)
    with app_context.get().uow() as uow:
        return departments.create_department(uow, actor, command)


def _update(actor: Principal, department_id: int, data: dict[str, Any]) -> DepartmentView:
    patch = parse(DepartmentPatch, data)
    with app_context.get().uow() as uow:
        return departments.update_department(uow, actor, department_id, patch)


def _delete(actor: Principal, department_id: int) -> None:
    with app_context.get().uow() as uow:
        departments.delete_department(uow, actor, department_id)


class _DepartmentsPanel:
    """The table, its empty state and the dialogs that change it."""

    def __init__(self, listed: list[DepartmentView]) -> None:
        self.by_id: dict[int, DepartmentView] = {}
        self.anchor = ui.column().classes('w-full gap-4')  # a stable place for what follows a closed dialog
        with self.anchor:
            with ui.row().classes('w-full items-center gap-2'):
                ui.label('Doctors are grouped by department; patients search and book by department.').classes(
                    theme.SUBTLE
                )
                ui.space()
                ui.button('Add department', icon='add', on_click=self.open_create).mark('add-department')
            self.empty = ui.label(EMPTY_TEXT).classes(theme.INFO_BANNER).mark('departments-empty')
            self.table = ui.table(columns=COLUMNS, rows=[], row_key='id').classes('w-full').props('flat bordered')
            self.table.mark('departments-table')
            self.table.add_slot('body-cell-actions', ACTIONS_SLOT)
            self.table.on('edit', self.open_edit)
            self.table.on('delete', self.open_delete)
            self.show(listed)

    def show(self, listed: list[DepartmentView]) -> None:
        self.by_id = {department.id: department for department in listed}
        self.table.rows = [
            {'id': d.id, 'name': d.name, 'description': d.description or '-', 'doctors': d.doctor_count} for d in listed
        ]
        self.table.update()
        self.table.set_visibility(bool(listed))
        self.empty.set_visibility(not listed)

    async def reload(self) -> None:
        self.show(await run.io_bound(_list))

    def _picked(self, event: events.GenericEventArguments) -> DepartmentView | None:
        row = event.args if isinstance(event.args, dict) else {}
        department = self.by_id.get(int(row.get('id') or 0))
        if department is None:
            ui.notify('This department no longer exists.', type='warning')
        return department

    def open_create(self) -> None:
        with open_dialog('Add department') as dialog:
            error = forms.banner()
            fields = _department_fields(None)

            async def save() -> None:
                error.text = ''
                forms.clear_errors(fields)
                actor = await acting(PATH)
                if actor is None:
                    return
                data = {name: (element.value or '').strip() for name, element in fields.items()}
                if _missing(fields, data, ('name',)):
                    return
                try:
                    created = await run.io_bound(_create, actor, data)
                except DomainError as failure:
                    if not forms.show_field_errors(fields, failure):
                        error.text = failure.message
                    return
                dialog.close()
                with self.anchor:  # the closed dialog is gone: continue in the page
                    ui.notify(f'Department {created.name} added.', type='positive')
                    await self.reload()

            _buttons(dialog, 'Add department', save)

    def open_edit(self, event: events.GenericEventArguments) -> None:
        department = self._picked(event)
        if department is None:
            return
        with open_dialog(f'Edit {department.name}') as dialog:
            error = forms.banner()
            fields = _department_fields(department)

            async def save() -> None:
                error.text = ''
                forms.clear_errors(fields)
                actor = await acting(PATH)
                if actor is None:
                    return
                data = {name: (element.value or '').strip() for name, element in fields.items()}
                if _missing(fields, data, ('name',)):
                    return
                try:
                    updated = await run.io_bound(_update, actor, department.id, data)
                except DomainError as failure:
                    if not forms.show_field_errors(fields, failure):
                        error.text = failure.message
                    return
                dialog.close()
                with self.anchor:
                    ui.notify(f'Department {updated.name} saved.', type='positive')
                    await self.reload()

            _buttons(dialog, 'Save changes', save)

    def open_delete(self, event: events.GenericEventArguments) -> None:
        department = self._picked(event)
        if department is None:
            return
        with open_dialog(f'Delete {department.name}?') as dialog:
            ui.label(
                f'The department {department.name} will be removed for good; patients will no longer find it. '
                'Only a department without doctors can be deleted: move its doctors to another department first.'
            ).mark('delete-explanation')
            error = forms.banner().mark('delete-error')

            async def confirm() -> None:
                error.text = ''
                actor = await acting(PATH)
                if actor is None:
                    return
                try:
                    await run.io_bound(_delete, actor, department.id)
                except DomainError as failure:
                    error.text = failure.message
                    return
                dialog.close()
                with self.anchor:
                    ui.notify(f'Department {department.name} deleted.', type='positive')
                    await self.reload()

            _buttons(dialog, 'Delete department', confirm, color='negative')


def _department_fields(department: DepartmentView | None) -> dict[str, ui.input | ui.select]:
    return {
        'name': ui.input('Name', value=department.name if department else '')
        .props('outlined autofocus maxlength=120')
        .classes('w-full'),
        'description': ui.textarea('Description', value=department.description if department else '')
        .props('outlined autogrow maxlength=4000 hint="Optional: what the department treats."')
        .classes('w-full'),
    }


def _buttons(dialog: ui.dialog, label: str, action: Callable[[], Awaitable[None]], *, color: str = 'primary') -> None:
    forms.dialog_buttons(dialog, label, action, color=color)


def _missing(fields: dict[str, ui.input | ui.select], data: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Mark required fields left empty (in a change, an empty value would otherwise read as merely too short)."""
    missing = [name for name in names if data.get(name) in (None, '')]
    for name in missing:
        fields[name].error = 'This field is required.'
    return bool(missing)
