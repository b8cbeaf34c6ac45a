"""The admin dashboard's data: build time with a cold cache and a warm one, and re-filtering, in this process through
the services (as the page does) and through GET /api/admin/stats on the running server.

Alone, on any data folder (no server, no cache: the aggregation itself, per filter):

    HMS_DATA_DIR=/path/to/seeded/data .venv/bin/python -m bench.dashboard --runs 5

Live dashboards (``--live``): a real ``python main.py`` on a seeded data folder (``python -m bench --scale small``
seeds one), and simulated dashboards: python-socketio clients on NiceGUI's socket, each one ``GET /admin`` with the
admin's one web session and the socket handshake a browser makes (no browser: they would share the server's two
cores). For each count of open dashboards: the web process's memory per dashboard, how long a booking takes to reach
every dashboard (p95), the bytes each receives per booking, the web process's CPU per booking, and the API's p95
while they are open against idle; and how many ``GET /admin`` were answered with a redirect to /login.

    .venv/bin/python -m bench.dashboard --live --data-dir /tmp/hmsb-small-xxxx --clients 25,50,100,200,300,500
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import random
import re
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import socketio
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
    # What a compared previous period costs (the page reads it beside every filter).
    previous = StatsQuery.preset('last30', _today(ctx.settings)).previous()
    compared: list[Sample] = []
    for _ in range(runs):

        def build_compared() -> None:
            with ctx.uow() as uow:
                stats.dashboard(uow, ctx.settings, principal, previous, compared_only=True)

        compared.append(_timed(build_compared))
    rows.append(_row('aggregation, previous 30 days, compared parts only', compared))
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


LIVE_BOOKINGS = 6  # bookings per count of open dashboards
PUSH_LIMIT_S = 15.0  # a dashboard that saw nothing within this long counts as this long
LOAD_LIMIT_S = 90.0  # a dashboard whose figures did not arrive by then counts as a failure
QUERY = re.compile(r'query: (\{.*?\}),\n', re.S)


@dataclass
class Dashboard:
    """One simulated open dashboard: its socket and what it received."""

    socket: socketio.AsyncClient
    received: list[tuple[float, int]] = field(default_factory=list)  # (perf_counter, bytes) per message
    loaded: asyncio.Event = field(default_factory=asyncio.Event)


async def _open(http: httpx.AsyncClient, base_url: str, cookie: str) -> Dashboard | str:
    """GET /admin and connect its socket as the page's script does; a text naming the failure instead."""
    response = await http.get('/admin', headers={'Cookie': cookie}, follow_redirects=False)
    if response.status_code in (302, 303, 307) and '/login' in response.headers.get('location', ''):
        return 'redirect to /login'
    if response.status_code != 200:
        return f'HTTP {response.status_code}'
    found = QUERY.search(response.text)
    if found is None:
        return 'no socket query in the page'
    query = ast.literal_eval(found.group(1))  # a Python dict as the page's template writes it
    query |= {'document_id': str(uuid.uuid4()), 'tab_id': str(uuid.uuid4()), 'old_tab_id': ''}
    socket = socketio.AsyncClient(reconnection=False)
    board = Dashboard(socket)

    @socket.on('*')
    async def anything(event: str, data: Any = None) -> None:
        size = len(json.dumps(data, default=str)) if data is not None else 0
        board.received.append((time.perf_counter(), size))
        if event == 'update' and '"options"' in json.dumps(data, default=str)[:200_000]:
            board.loaded.set()  # the first figures arrived
        if isinstance(data, dict) and '_id' in data:
            await socket.emit('ack', {'client_id': query['client_id'], 'next_message_id': data['_id'] + 1})

    written = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in query.items()}
    url = f'{base_url}?{urlencode(written)}'
    await socket.connect(
        url,
        socketio_path='/_nicegui_ws/socket.io',
        transports=['websocket'],
        headers={'Cookie': cookie},
        wait_timeout=120,
    )
    if not query.get('implicit_handshake'):
        accepted = await socket.call('handshake', query, timeout=30)
        if not accepted:
            await socket.disconnect()
            return 'handshake refused'
    return board


async def _api_p95(http: httpx.AsyncClient, token: str, requests: int = 120) -> float:
    """p95 of GET /api/departments, four at a time (a light read: what the dashboards' pushes slow down)."""
    headers = {'Authorization': f'Bearer {token}'}
    times: list[float] = []
    limit = asyncio.Semaphore(4)

    async def one() -> None:
        async with limit:
            started = time.perf_counter()
            (await http.get('/api/departments', headers=headers)).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(one() for _ in range(requests)))
    return percentile(times, 95)


def _web_session(data_dir: Path, redis_url: str) -> str:
    """A web session of the administrator (the cookie a browser holds after signing in)."""
    from hms.domain.enums import SessionKind
    from hms.domain.schemas import Credentials
    from hms.services import accounts

    from .server import ADMIN_EMAIL, ADMIN_PASSWORD

    ctx = context.init(Settings(data_dir=data_dir, redis_url=redis_url))
    with ctx.uow() as uow:
        result = accounts.login(
            uow,
            ctx.settings,
            Credentials(email=ADMIN_EMAIL, password=ADMIN_PASSWORD),
            ip='127.0.0.1',
            kind=SessionKind.WEB,
        )
    return result.token


async def live(data_dir: Path, counts: list[int]) -> list[dict[str, Any]]:
    from .data import read_accounts
    from .load import sign_in
    from .server import ADMIN_EMAIL, ADMIN_PASSWORD, Server

    server = Server(data_dir)
    server.start()
    rows: list[dict[str, Any]] = []
    try:
        web = server.part('web')
        assert web is not None
        cookie = f'hms_session={await asyncio.to_thread(_web_session, data_dir, server.redis_url)}'
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as http:
            first = await http.get('/login')  # NiceGUI's browser id cookie: one browser, one session
            cookie += ''.join(f'; {name}={value}' for name, value in first.cookies.items())
            admin = await sign_in(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            accounts = read_accounts(data_dir)
            idle_p95 = await _api_p95(http, admin)
            patients = iter(random.sample(accounts.patients, LIVE_BOOKINGS * len(counts) + 10))
            for count in counts:
                row = await _live_round(http, server, web, cookie, admin, count, idle_p95, patients)
                rows.append(row)
                print(json.dumps(row), flush=True)
                await asyncio.sleep(5)  # the closed dashboards' clients are pruned by NiceGUI
    finally:
        server.stop()
    return rows


async def _live_round(
    http: httpx.AsyncClient,
    server: Any,
    web: Any,
    cookie: str,
    admin: str,
    count: int,
    idle_p95: float,
    patients: Any,
) -> dict[str, Any]:
    from .api import free_slots
    from .data import DEMO_PASSWORD
    from .load import sign_in
    from .memory import tree_rss

    rss_before = tree_rss(web)
    opened = await asyncio.gather(*(_open(http, server.base_url, cookie) for _ in range(count)), return_exceptions=True)
    boards = [board for board in opened if isinstance(board, Dashboard)]
    failures = [repr(board) for board in opened if not isinstance(board, Dashboard)]
    if not boards:
        raise RuntimeError(f'no dashboard opened: {failures[:3]}')
    waits = [asyncio.create_task(board.loaded.wait()) for board in boards]
    await asyncio.wait(waits, timeout=LOAD_LIMIT_S)
    for waited in waits:
        waited.cancel()
    unloaded = [board for board in boards if not board.loaded.is_set()]
    failures += ['no figures within the limit'] * len(unloaded)
    boards = [board for board in boards if board.loaded.is_set()]
    await asyncio.sleep(3)
    memory = tree_rss(web)
    tokens = [await sign_in(http, next(patients)[0], DEMO_PASSWORD) for _ in range(LIVE_BOOKINGS)]
    latencies: list[float] = []
    sizes: list[int] = []
    cpu_before = server.cpu_seconds('web')
    api_during: list[float] = []
    doctors = [doctor_id for _, doctor_id in read_accounts_cached(server.data_dir).doctors]
    for token in tokens:
        found = await free_slots(http, token, doctors[:3])
        random.shuffle(found)
        marks = [len(board.received) for board in boards]
        sent = time.perf_counter()
        api = asyncio.create_task(_api_p95(http, admin, 40))
        for doctor_id, start in found[:20]:  # a patient of an earlier run may hold that time elsewhere: 409
            booked = await http.post(
                '/api/appointments',
                json={'doctor_id': doctor_id, 'start': start, 'reason': 'Bench'},
                headers={'Authorization': f'Bearer {token}'},
            )
            if booked.is_success:
                break  # 409: a patient of an earlier run holds that time; 403: a blacklisted one (next slot, or none)
        deadline = sent + PUSH_LIMIT_S
        while time.perf_counter() < deadline and any(  # noqa: ASYNC110 - polling many sockets
            len(board.received) == mark for board, mark in zip(boards, marks, strict=True)
        ):
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # the rest of the push (several messages)
        api_during.append(await api)
        for board, mark in zip(boards, marks, strict=True):
            after = board.received[mark:]
            latencies.append((after[0][0] - sent) if after else PUSH_LIMIT_S)
            sizes.append(sum(size for _, size in after))
    cpu = server.cpu_seconds('web') - cpu_before
    for board in boards:
        await board.socket.disconnect()
    return {
        'dashboards': count,
        'opened': len(boards),
        'slow_or_failed': len(failures),
        'failures': failures[:5],
        'redirects_to_login': sum(1 for failure in failures if 'login' in failure),
        'rss_mb': round(memory / 2**20, 1),
        'mib_per_dashboard': round((memory - rss_before) / 2**20 / max(len(boards), 1), 3),
        'push_p95_ms': round(percentile(latencies, 95) * 1000),
        'push_median_ms': round(statistics.median(latencies) * 1000),
        'kib_per_dashboard_per_booking': round(statistics.median(sizes) / 1024, 2),
        'cpu_ms_per_booking': round(cpu * 1000 / LIVE_BOOKINGS),
        'api_p95_idle_ms': round(idle_p95, 1),
        'api_p95_open_ms': round(max(api_during), 1),
    }


_accounts_cache: dict[Path, Any] = {}


def read_accounts_cached(data_dir: Path) -> Any:
    from .data import read_accounts

    if data_dir not in _accounts_cache:
        _accounts_cache[data_dir] = read_accounts(data_dir)
    return _accounts_cache[data_dir]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--live', action='store_true', help='simulated open dashboards on a running server')
    parser.add_argument('--data-dir', type=Path, help='a seeded data folder (--live)')
    parser.add_argument('--clients', default='25,50,100,200,300,500', help='counts of open dashboards (--live)')
    args = parser.parse_args()
    if args.live:
        if args.data_dir is None:
            parser.error('--live needs --data-dir (a folder seeded by `python -m bench --scale small`)')
        rows = asyncio.run(live(args.data_dir.resolve(), [int(n) for n in args.clients.split(',')]))
        print(json.dumps(rows, indent=2))
        return
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
