"""Departments (specializations): listed for everyone, managed by the administrator."""

from __future__ import annotations

from typing import NoReturn

from hms import clock
from hms.cache import Codec, read_through
from hms.db.errors import CONSTRAINT_VIOLATION
from hms.db.models import Department
from hms.db.uow import UnitOfWork
from hms.domain.criteria import DepartmentSort
from hms.domain.enums import Role
from hms.domain.errors import Conflict, InUse, NotFound
from hms.domain.scheduling import DepartmentIn, DepartmentPatch
from hms.i18n import N_, _, ngettext

from . import audit
from .principal import Principal, require_role
from .sorting import sort_key
from .views import DepartmentView, Page

NAME_TAKEN = N_('A department with this name already exists.')
# The same for every reader; doctor counts change with the doctors (created, moved to another department).
CACHE_NAMESPACES = ('department', 'doctor')
CACHE_SECONDS = 600
_DEPARTMENTS: Codec[list[DepartmentView]] = Codec(list[DepartmentView])


def list_departments(uow: UnitOfWork) -> list[DepartmentView]:
    return list_departments_cached(uow)[0]


def list_departments_cached(uow: UnitOfWork) -> tuple[list[DepartmentView], bool]:
    """Every department with its doctor count, by name, through the cache; with a hit flag."""

    def compute() -> list[DepartmentView]:
        return [
            DepartmentView(id=d.id, name=d.name, description=d.description, doctor_count=count)
            for d, count in uow.departments.with_doctor_counts()
        ]

    return read_through(
        uow.read_cache, 'departments', compute, namespaces=CACHE_NAMESPACES, ttl=CACHE_SECONDS, codec=_DEPARTMENTS
    )


def browse_departments(
    uow: UnitOfWork,
    actor: Principal,
    text: str | None = None,
    *,
    limit: int = 25,
    offset: int = 0,
    sort: str = DepartmentSort.NAME,
    descending: bool = False,
) -> Page[DepartmentView]:
    """The administrator's list: name or description containing ``text`` (any case), ordered by one of
    ``DepartmentSort``, a page at a time (read from the database: it follows each change at once)."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to manage departments.'))
    limit, offset = max(1, min(limit, 200)), max(0, offset)
    order = sort_key(DepartmentSort, sort)
    text = (text or '').strip() or None
    rows, total = uow.departments.page(text, limit=limit, offset=offset, sort=order, descending=descending)
    items = [DepartmentView(id=d.id, name=d.name, description=d.description, doctor_count=n) for d, n in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def _view(uow: UnitOfWork, department: Department) -> DepartmentView:
    return DepartmentView(
        id=department.id,
        name=department.name,
        description=department.description,
        doctor_count=uow.departments.doctor_count(department.id),
    )


def _existing(uow: UnitOfWork, department_id: int) -> Department:
    department = uow.departments.get(department_id)
    if department is None:
        raise NotFound(_('No such department.'))
    return department


def _name_taken(cause: Exception | None = None) -> NoReturn:
    message = _(NAME_TAKEN)
    raise Conflict(message, field_errors={'name': message}) from cause


def get_department(uow: UnitOfWork, department_id: int) -> DepartmentView:
    return _view(uow, _existing(uow, department_id))


def create_department(uow: UnitOfWork, actor: Principal, data: DepartmentIn) -> DepartmentView:
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to manage departments.'))
    if uow.departments.by_name(data.name) is not None:
        _name_taken()
    department = Department(name=data.name, description=data.description, created_at=clock.now())
    try:
        uow.departments.add(department)
    except CONSTRAINT_VIOLATION as error:
        uow.rollback()
        _name_taken(error)
    uow.emit('department.created', department_id=department.id)
    audit.record(uow, 'department.created', actor=actor, object_type='department', object_id=department.id)
    uow.commit()
    return _view(uow, department)


def update_department(uow: UnitOfWork, actor: Principal, department_id: int, patch: DepartmentPatch) -> DepartmentView:
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to manage departments.'))
    department = _existing(uow, department_id)
    renamed = patch.name is not None and patch.name.lower() != department.name.lower()
    if renamed and uow.departments.by_name(patch.name or '') is not None:
        _name_taken()
    if patch.name is not None:
        department.name = patch.name
    if patch.description is not None:
        department.description = patch.description
    uow.emit('department.updated', department_id=department.id)
    audit.record(uow, 'department.updated', actor=actor, object_type='department', object_id=department.id)
    uow.commit()
    return _view(uow, department)


def delete_department(uow: UnitOfWork, actor: Principal, department_id: int) -> None:
    """Delete a department that no doctor belongs to (the schema forbids it too)."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to manage departments.'))
    department = _existing(uow, department_id)
    count = uow.departments.doctor_count(department_id)
    if count:
        raise InUse(
            ngettext(
                '{department} cannot be deleted: {n} doctor belongs to it. Move them to another department first.',
                '{department} cannot be deleted: {n} doctors belong to it. Move them to another department first.',
                count,
                department=department.name,
            )
        )
    uow.departments.remove(department)
    uow.emit('department.deleted', department_id=department_id)
    audit.record(uow, 'department.deleted', actor=actor, object_type='department', object_id=department_id)
    uow.commit()
