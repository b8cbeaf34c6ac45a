"""The admin dashboard's data: build time with a cold cache and a warm one, and re-filtering, in this process through
the services (as the page does) and through GET /api/admin/stats on the running server.

Alone, on any data folder (no server, no cache: the aggregation itself, per filter):

    HMS_DATA_DIR=/path/to/seeded/data .venv/bin/python -m bench.dashboard --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from hms import clock, context
from hms.config import Settings
from hms.context import AppContext
from hms.db.models import Appointment, User
from hms.domain.enums import Role
from hms.services import stats
from hms.services.principal import Principal
from hms.services.stats import StatsQuery

from .measure import percentile


def _admin(ctx: AppContext) -> tuple[Principal, list[int]]:
    with ctx.uow() as uow:
        admin = uow.users.first_with_role(Role.ADMIN)
        doctor_ids = list(uow.session.scalars(select(User.id).where(User.role == Role.DOCTOR).order_by(User.id)))
    assert admin is not None, 'the database has no administrator'
    return Principal(admin.id, Role.ADMIN, admin.name, admin.email, False), doctor_ids


def _today(settings: Settings) -> date:
    return clock.now().astimezone(settings.zone).date()


Sample = tuple[float, float]  # (wall ms, CPU ms)


def _timed(action: Callable[[], Any]) -> Sample:
    """Wall and CPU time of ``action`` in this process (SQLite runs in this thread, so its work counts as CPU)."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def _row(name: str, samples: list[Sample]) -> dict[str, Any]:
    times = [wall for wall, _ in samples]
    return {
        'what': name,
        'runs': len(times),
        'median_ms': statistics.median(times),
        'p95_ms': percentile(times, 95),
        'max_ms': max(times),
        'cpu_ms': statistics.median(cpu for _, cpu in samples),
    }


def filter_cases(settings: Settings, doctor_id: int | None) -> dict[str, StatsQuery]:
    today = _today(settings)
    return {
        'last 7 days': StatsQuery.preset('last7', today),
        'last 30 days': StatsQuery.preset('last30', today),
        'last 90 days': StatsQuery.preset('last90', today),
        'last 30 days, one doctor': StatsQuery.preset('last30', today, doctor_id=doctor_id),
    }


def aggregation_times(ctx: AppContext, runs: int) -> list[dict[str, Any]]:
    """The uncached aggregation per filter (what bench/dashboard.py measured first)."""
    principal, doctor_ids = _admin(ctx)
    rows = []
    for name, query in filter_cases(ctx.settings, doctor_ids[0] if doctor_ids else None).items():
        times: list[Sample] = []
        for _ in range(runs):

            def build(query: StatsQuery = query) -> None:
                with ctx.uow() as uow:
                    stats.dashboard(uow, ctx.settings, principal, query)

            times.append(_timed(build))
        rows.append(_row(f'aggregation, {name}', times))
    return rows


def cold_ranges(today: date, runs: int) -> list[tuple[date, date]]:
    """30-day ranges in the seeded past year not asked for before (another offset each bench run): cold for the
    cache even on a reused data folder, as heavy as the default 'last 30 days'."""
    offset = 30 + int(time.time() * 1000) % 300
    return [(today - timedelta(days=offset + run + 29), today - timedelta(days=offset + run)) for run in range(runs)]


def page_data_times(ctx: AppContext, runs: int) -> list[dict[str, Any]]:
    """What the page does: read through the cache. Cold: a range not cached yet; warm: the same range again;
    re-filter: the same range for one doctor (not cached yet either)."""
    principal, doctor_ids = _admin(ctx)
    hits: list[bool] = []

    def cached(query: StatsQuery) -> None:
        hits.append(stats.dashboard_cached(ctx.cache, ctx.uow, ctx.settings, principal, query)[1])

    cold: list[Sample] = []
    warm: list[Sample] = []
    refilter: list[Sample] = []
    for run, (first, last) in enumerate(cold_ranges(_today(ctx.settings), runs)):
        query = StatsQuery(first, last)
        cold.append(_timed(lambda q=query: cached(q)))
        warm.append(_timed(lambda q=query: cached(q)))
        doctor = doctor_ids[(run + 1) % len(doctor_ids)] if doctor_ids else None
        by_doctor = StatsQuery(first, last, None, doctor)
        refilter.append(_timed(lambda q=by_doctor: cached(q)))
    rows = [
        _row('page data, cold cache', cold),
        _row('page data, warm cache', warm),
        _row('page data, re-filter (one doctor)', refilter),
    ]
    rows[1]['note'] = f'cache hits {sum(hits)} of {len(hits)} reads (only the warm ones should hit)'
    return rows


async def api_times(
    http: httpx.AsyncClient,
    admin_token: str,
    runs: int,
    doctor_ids: list[int],
    today: date,
    server_cpu: Callable[[], float],
) -> list[dict[str, Any]]:
    """GET /api/admin/stats one at a time: cold (a range not cached yet: X-Cache MISS), warm (HIT), re-filter; the
    CPU is the web process's for that request."""
    headers = {'Authorization': f'Bearer {admin_token}'}
    cold: list[Sample] = []
    warm: list[Sample] = []
    refilter: list[Sample] = []
    misses = hits = 0

    async def get(path: str, bucket: list[Sample]) -> httpx.Response:
        started, cpu = time.perf_counter(), server_cpu()
        response = await http.get(path, headers=headers)
        bucket.append(((time.perf_counter() - started) * 1000, (server_cpu() - cpu) * 1000))
        return response.raise_for_status()

    for run, (first, last) in enumerate(cold_ranges(today, runs)):
        path = f'/api/admin/stats?from={first}&to={last}'
        for bucket in (cold, warm):
            response = await get(path, bucket)
            misses += response.headers.get('X-Cache') == 'MISS'
            hits += response.headers.get('X-Cache') == 'HIT'
        await get(f'{path}&doctor_id={doctor_ids[(run + 7) % len(doctor_ids)]}', refilter)
    rows = [
        _row('API /admin/stats, cold', cold),
        _row('API /admin/stats, warm', warm),
        _row('API /admin/stats, re-filter (one doctor)', refilter),
    ]
    rows[0]['note'] = f'X-Cache MISS {misses}, HIT {hits} of {2 * runs}'
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    ctx = context.init(settings)
    with ctx.uow() as uow:
        appointments = uow.session.scalar(select(func.count()).select_from(Appointment))
    print(f'{appointments:,} appointments, {args.runs} runs each, database: {settings.effective_database_url}\n')
    print('| filter | median ms | max ms | CPU ms |')
    print('|---|---:|---:|---:|')
    for row in aggregation_times(ctx, args.runs):
        name = row['what'].removeprefix('aggregation, ')
        print(f'| {name} | {row["median_ms"]:.0f} | {row["max_ms"]:.0f} | {row["cpu_ms"]:.0f} |')


if __name__ == '__main__':
    main()
