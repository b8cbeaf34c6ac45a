"""Doctors as patients browse them: search, profile and free slots (the administrator's view is in admin.py).

Each read goes through the Redis cache and says so in `X-Cache`: `HIT`, or `MISS` (also whenever the cache is not
configured or unreachable; the answer is then read from the database as usual)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from hms.api.deps import Context, CurrentUser, from_cache
from hms.api.params import FirstDay, IdPath, LastDay, check_days
from hms.api.problems import Responses, problem_responses
from hms.api.schemas import DoctorOut, SlotOut
from hms.services import availability, doctors

router = APIRouter(prefix='/doctors', tags=['doctors'])
X_CACHE: dict[str, Any] = {
    'description': 'HIT when the answer came from the cache, MISS when it was read from the database',
    'schema': {'type': 'string', 'enum': ['HIT', 'MISS']},
}


def cached_responses(*codes: int) -> Responses:
    """The problem responses of ``codes`` and the 200 answer's `X-Cache` header, for the OpenAPI document."""
    return {200: {'headers': {'X-Cache': X_CACHE}}, **problem_responses(*codes)}


@router.get('', summary='Search active doctors', responses=cached_responses(401, 422))
def search_doctors(
    principal: CurrentUser,
    ctx: Context,
    response: Response,
    q: Annotated[str | None, Query(max_length=120, description='part of the name or department, any case')] = None,
    specialization: Annotated[str | None, Query(max_length=120, description='department id or name')] = None,
    free_on: Annotated[
        date | None, Query(alias='date', description='YYYY-MM-DD: only doctors with a free slot that day')
    ] = None,
) -> list[DoctorOut]:
    """Active doctors by name, ordered by name. `X-Cache` says whether it came from the cache."""
    check_days(free_on, None, first_name='date')
    with ctx.uow() as uow:
        found = doctors.search_doctors_cached(uow, ctx.settings, text=q, specialization=specialization, free_on=free_on)
    return DoctorOut.from_views(from_cache(response, found))


@router.get('/{doctor_id}', summary='One doctor', responses=cached_responses(401, 404, 422))
def get_doctor(doctor_id: IdPath, principal: CurrentUser, ctx: Context, response: Response) -> DoctorOut:
    """An active doctor's profile (404 for an unknown or deactivated doctor). `X-Cache` says whether it came from
    the cache."""
    with ctx.uow() as uow:
        return DoctorOut.from_view(from_cache(response, doctors.get_doctor_cached(uow, doctor_id)))


@router.get('/{doctor_id}/slots', summary="A doctor's free slots", responses=cached_responses(401, 404, 422))
def free_slots(
    doctor_id: IdPath,
    principal: CurrentUser,
    ctx: Context,
    response: Response,
    first: FirstDay = None,
    last: LastDay = None,
) -> list[SlotOut]:
    """Bookable slots in time order, within the booking horizon (without a range: all of it, the next 7 days by
    default). Times are ISO 8601 with the offset of the clinic's time zone. `X-Cache` says whether it came from the
    cache (a cached list never holds a slot that is no longer bookable)."""
    check_days(first, last)
    with ctx.uow() as uow:
        slots = availability.free_slots_cached(uow, ctx.settings, doctor_id, first, last)
    return SlotOut.from_views(from_cache(response, slots), ctx.settings.zone)
