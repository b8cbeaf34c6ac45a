"""One scale from start to end: seeded data folder, the real server, every section, peaks, the server stopped."""

from __future__ import annotations

import asyncio
import math
import os
import platform
import random
import statistics
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hms import clock, context
from hms.config import Settings

from . import api, browser, dashboard, jobs
from .data import SCALES, Accounts, prepare, read_accounts
from .load import client, sign_in_many
from .measure import Summary
from .memory import PeakSampler, tree_pss, tree_rss
from .profile import Recording, Recordings
from .server import ADMIN_EMAIL, ADMIN_PASSWORD, Server
from .targets import check

SECTIONS = ('api', 'race', 'dashboard', 'jobs', 'browser')


@dataclass(frozen=True)
class Options:
    runs: int = 3
    clients: int = 10
    requests: int = 400
    race_clients: int = 50
    race_slots: int = 3
    reminders: int = 5_000
    export_rows: int = 100_000
    levels: tuple[int, ...] = (5, 10, 20, 40)
    interaction_limit_ms: float = 250.0
    database_url: str | None = None
    sections: tuple[str, ...] = SECTIONS
    profile: Path | None = None  # py-spy over the web process during each API workload, into this folder
    jobs: tuple[str, ...] = ('reminders', 'reports', 'export')


def load() -> str:
    return ' '.join(f'{value:.2f}' for value in os.getloadavg())


def _median_summary(summaries: list[Summary]) -> dict[str, Any]:
    """Several runs of one scenario: the median of each figure, errors and rejections added up."""
    rows = [asdict(s) for s in summaries]
    merged: dict[str, Any] = {}
    for key, first in rows[0].items():
        if isinstance(first, dict):  # CPU per part: the median of each part
            merged[key] = {part: statistics.median(row[key].get(part, math.nan) for row in rows) for part in first}
        else:
            merged[key] = statistics.median(row[key] for row in rows)
    merged['requests'] = sum(row['requests'] for row in rows)
    merged['errors'] = sum(row['errors'] for row in rows)
    merged['rejected'] = sum(row['rejected'] for row in rows)
    return merged


async def _http_sections(
    server: Server, ctx: context.AppContext, accounts: Accounts, options: Options, result: dict[str, Any]
) -> None:
    rng = random.Random(time.time_ns())  # noqa: S311 - other patients and slots on each bench run over a reused data folder
    patients = api.Patients(accounts, rng)
    async with client(server.base_url, max(options.clients, options.race_clients)) as http:
        if 'api' in options.sections or 'race' in options.sections:
            runs: dict[str, list[Summary]] = {}
            races = []
            for _ in range(options.runs):
                found, spare = await api.throughput(
                    http,
                    accounts,
                    patients,
                    options.clients,
                    options.requests,
                    rng,
                    server.cpu_by_part,
                    reserve=options.race_slots,
                    settle=lambda booked, since: jobs.confirmations_sent(ctx, booked, since),
                    bookings_only='api' not in options.sections,
                    profile=_profiler(server, options),
                )
                for name, summary in found.items():
                    runs.setdefault(name, []).append(summary)
                if 'race' in options.sections:
                    outcome = await api.race(http, spare, patients, options.race_clients, options.race_slots)
                    races.append({**asdict(outcome), 'ok': outcome.ok})
            if runs:
                result['api'] = {name: _median_summary(found) for name, found in runs.items()}
            if races:
                result['race'] = races
        admin = (await sign_in_many(http, [ADMIN_EMAIL], ADMIN_PASSWORD))[0]
        today = clock.now().astimezone(ctx.settings.zone).date()
        if 'dashboard' in options.sections:
            doctor_ids = [doctor_id for _, doctor_id in accounts.doctors]
            result['dashboard'] = await dashboard.api_times(
                http, admin, options.runs, doctor_ids, today, server.cpu_seconds
            )
            result['dashboard'] += await asyncio.to_thread(dashboard.page_data_times, ctx, options.runs)
            result['dashboard'] += await asyncio.to_thread(dashboard.aggregation_times, ctx, options.runs)
        if 'jobs' in options.sections:
            result['jobs'] = []
            chosen = {
                'reminders': lambda: asyncio.to_thread(jobs.reminders, ctx, accounts, options.reminders),
                'reports': lambda: jobs.monthly_report(http, admin, today),
                'export': lambda: jobs.export(http, ctx, admin, options.export_rows, today),
            }
            for job in (chosen[name] for name in options.jobs):
                before = server.cpu_seconds('worker')
                row = await job()
                row['worker_cpu_s'] = round(server.cpu_seconds('worker') - before, 1)  # both pool processes
                result['jobs'].append(row)


def _profiler(server: Server, options: Options) -> Any:
    if options.profile is None:
        return None
    folder = options.profile

    def start(name: str) -> Recordings:
        web, worker = server.part('web'), server.part('worker')
        found = [Recording(web.pid if web is not None else None, folder, name)]
        if name.startswith('booking'):  # the confirmations are sent by the worker
            pid = worker.pid if worker is not None else None
            found.append(Recording(pid, folder, f'{name} worker', subprocesses=True))
        return Recordings(found)

    return start


def _idle(server: Server, seconds: float = 5.0) -> dict[str, Any]:
    """Resident memory (MB) of each part at rest, and the CPU the whole system burns per second doing nothing."""
    before = server.cpu_by_part()
    time.sleep(seconds)
    after = server.cpu_by_part()
    members = server.members()
    parts = [name for name in ('web', 'worker', 'beat', 'redis') if members[name]]
    return {
        'rss_mb': {name: tree_rss(members[name][0]) / 2**20 for name in parts},
        'pss_mb': {name: tree_pss(members[name][0]) / 2**20 for name in parts},
        'cpu_ms_per_s': {name: (after[name] - before.get(name, 0.0)) * 1000 / seconds for name in after},
    }


def _guarded(result: dict[str, Any], name: str, action: Any) -> None:
    """Run a section; a failure is recorded in the results and the other sections still run."""
    try:
        action()
    except Exception as error:  # a broken section must not hide the others' numbers
        traceback.print_exc()
        result.setdefault('failures', {})[name] = f'{type(error).__name__}: {error}'


def run_scale(scale_name: str, data_dir: Path | None, options: Options) -> dict[str, Any]:
    scale = SCALES[scale_name]
    print(f'[{scale_name}] preparing the data folder (seeding takes minutes at the large scale)…', flush=True)
    data_dir, seed_s = prepare(scale, data_dir, options.database_url)
    accounts = read_accounts(data_dir)
    result: dict[str, Any] = {
        'meta': {
            'scale': scale_name,
            'doctors': scale.doctors,
            'patients': scale.patients,
            'appointments': scale.appointments,
            'date': datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'),
            'machine': f'{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, '
            f'Python {platform.python_version()}',
            'database': 'PostgreSQL' if options.database_url else 'SQLite',
            'data_dir': str(data_dir),
            'seed_s': seed_s,
            'load_before': load(),
            'clients': options.clients,
            'runs': options.runs,
        }
    }
    server = Server(data_dir, options.database_url)
    sampler: PeakSampler | None = None
    ctx = None
    try:
        print(f'[{scale_name}] starting python main.py on {server.base_url} (data {data_dir})…', flush=True)
        result['meta']['cold_start_s'] = server.start()
        sampler = PeakSampler({'web': lambda: server.part('web'), 'worker': lambda: server.part('worker')}).start()
        sampler.mark('idle after start')
        time.sleep(3)
        result['memory_idle'] = _idle(server)
        sampler.mark('API, race, dashboard, jobs')
        ctx = context.init(Settings(data_dir=data_dir, database_url=options.database_url, redis_url=server.redis_url))
        print(f'[{scale_name}] API, race, dashboard, jobs…', flush=True)
        _guarded(result, 'http', lambda: asyncio.run(_http_sections(server, ctx, accounts, options, result)))
        if 'browser' in options.sections:
            sampler.mark('headless Chromium (up to the largest ramp level)')
            print(f'[{scale_name}] headless Chromium…', flush=True)
            found = result['browser'] = {}
            levels = list(options.levels)
            _guarded(
                result,
                'browser',
                lambda: asyncio.run(
                    browser.run(server.base_url, accounts, options.runs, levels, options.interaction_limit_ms, found)
                ),
            )
    finally:
        if sampler is not None:
            peaks = sampler.stop()
            result['memory'] = {'web_mb': peaks['web'], 'worker_mb': peaks['worker'], 'phases': sampler.phases_mb()}
        server.stop()
        if ctx is not None:
            ctx.db.dispose()
        result['meta']['load_after'] = load()
    result['targets'] = check(scale_name, result)
    return result
