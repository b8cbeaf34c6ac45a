"""Departments (specializations) as every signed-in user browses them; the administrator manages them in admin.py."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hms.api.deps import Context, CurrentUser, from_cache
from hms.api.params import IdPath
from hms.api.problems import problem_responses
from hms.api.schemas import DepartmentOut
from hms.services import departments

from .doctors import cached_responses

router = APIRouter(prefix='/departments', tags=['departments'])


@router.get('', summary='List departments', responses=cached_responses(401))
def list_departments(principal: CurrentUser, ctx: Context, response: Response) -> list[DepartmentOut]:
    """Every department with how many doctors belong to it, by name. `X-Cache: HIT` when it came from the cache
    (`MISS` otherwise, also whenever the cache is not configured or unreachable)."""
    with ctx.uow() as uow:
        return DepartmentOut.from_views(from_cache(response, departments.list_departments_cached(uow)))


@router.get('/{department_id}', summary='One department', responses=problem_responses(401, 404, 422))
def get_department(department_id: IdPath, principal: CurrentUser, ctx: Context) -> DepartmentOut:
    with ctx.uow() as uow:
        return DepartmentOut.from_view(departments.get_department(uow, department_id))
