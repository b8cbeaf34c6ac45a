"""Clinic statistics: the admin dashboard's figures and series as JSON (read through the Redis cache), under the
same filters as the dashboard's address (``/admin?from=…&to=…&department=…&doctor=…&status=…``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from hms import clock
from hms.api.deps import AdminUser, Context, from_cache
from hms.api.params import QueryId, check_days
from hms.api.problems import problem_responses
from hms.services import stats
from hms.services.stats import StatsQuery

router = APIRouter(prefix='/admin/stats', tags=['statistics'])

FigureStatus = Literal['booked', 'completed', 'cancelled', 'no_show']


@router.get('', summary='Dashboard figures and series', responses=problem_responses(401, 403, 422))
def dashboard(
    principal: AdminUser,
    ctx: Context,
    response: Response,
    first: Annotated[
        date | None, Query(alias='from', description='first local date (default: 29 days before `to`)')
    ] = None,
    last: Annotated[date | None, Query(alias='to', description='last local date, included (default: today)')] = None,
    department: Annotated[int | None, Query(gt=0, lt=2**63, description='a department id')] = None,
    doctor: Annotated[int | None, Query(gt=0, lt=2**63, description="a doctor's user id")] = None,
    department_id: QueryId = None,
    doctor_id: QueryId = None,
    status: Annotated[
        FigureStatus | None, Query(description='only appointments counted under this status (arrived: booked)')
    ] = None,
    weekday: Annotated[int | None, Query(ge=0, le=6, description="0 = Monday, in the clinic's time zone")] = None,
    hour: Annotated[int | None, Query(ge=0, le=23, description="hour of the start, in the clinic's time zone")] = None,
    compare: Annotated[
        Literal['previous'] | None,
        Query(description='`previous`: also the previous period of the same length (`previous`, `change`)'),
    ] = None,
) -> dict[str, Any]:
    """Headline figures (doctors, patients, appointments today / this week / all time, completed, cancellation and
    no-show rates) and every chart's series for the period. `X-Cache` says whether it came from the cache."""
    check_days(first, last)
    today = clock.now().astimezone(ctx.settings.zone).date()
    last = last or today
    first = first or last - timedelta(days=29)
    check_days(first, last)
    query = StatsQuery(
        first, last, department or department_id, doctor or doctor_id, status=status, weekday=weekday, hour=hour
    )
    found = stats.dashboard_cached(ctx.cache, ctx.uow, ctx.settings, principal, query, compare=compare == 'previous')
    return from_cache(response, found)
