"""Departments (specializations) as every signed-in user browses them; the administrator manages them in admin.py."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hms.api.deps import Context, CurrentUser
from hms.api.schemas import DepartmentOut, IdPath, problem_responses
from hms.services import departments

from .doctors import cached_responses

router = APIRouter(prefix='/departments', tags=['departments'])


@router.get('', response_model=list[DepartmentOut], summary='List departments', responses=cached_responses(401))
def list_departments(principal: CurrentUser, ctx: Context, response: Response) -> list[DepartmentOut]:
    """Every department with how many doctors belong to it, by name. `X-Cache: HIT` when it came from the cache
    (`MISS` otherwise, also whenever the cache is not configured or unreachable)."""
    with ctx.uow() as uow:
        found, hit = departments.list_departments_cached(uow)
    response.headers['X-Cache'] = 'HIT' if hit else 'MISS'
    return [DepartmentOut.of(view) for view in found]


@router.get(
    '/{department_id}',
    response_model=DepartmentOut,
    summary='One department',
    responses=problem_responses(401, 404, 422),
)
def get_department(department_id: IdPath, principal: CurrentUser, ctx: Context) -> DepartmentOut:
    with ctx.uow() as uow:
        return DepartmentOut.of(departments.get_department(uow, department_id))
