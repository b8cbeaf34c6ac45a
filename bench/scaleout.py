"""Scale-out: booking and read throughput through HAProxy with one and with two web instances on PostgreSQL.

    .venv/bin/python -m bench --only scaleout [--clients 10 --requests 400 --runs 3 --out DIR]

The topology of tests/test_scale_out.py, seeded with the small demo clinic: a throwaway PostgreSQL cluster, an
embedded Redis (a separate process, as an external one would be), `python main.py web --port P` once or twice, one
worker, and HAProxy with deploy/haproxy.cfg (TLS terminated with a self-signed certificate). Each simulated client is
its own HTTP client, so the proxy's cookie keeps it on one instance as it keeps a browser. Reported per instance
count: requests per second, latency, and the CPU milliseconds per request of the web instances together, of HAProxy
and of the database server; the ratio two/one of throughput, and of web CPU per request (which should stay ~1).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from .api import Patients, free_slots
from .data import DEMO_PASSWORD, SCALES, prepare, read_accounts
from .load import Call, sign_in_many
from .measure import summarize
from .server import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, child_env, free_port
from .slots import partition
from .table import markdown_table

STORAGE_SECRET = 'bench-scale-out-storage-secret-shared-by-the-instances'  # noqa: S105 - a throwaway bench's
READS = ('doctors (list)', 'free slots of a doctor', "patient's history")
BOOKING = 'booking (distinct free slots)'
STARTUP_LIMIT_S = 120.0


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tree(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for member in self.tree():
            with contextlib.suppress(psutil.Error):
                times = member.cpu_times()
                total += times.user + times.system
        return total

    def rss_mb(self) -> float:
        total = 0
        for member in self.tree():
            with contextlib.suppress(psutil.Error):
                total += member.memory_info().rss
        return total / 1_048_576

    def stop(self) -> None:
        members = self.tree()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for member in members:  # by PID: whatever it started and left behind
            with contextlib.suppress(psutil.Error):
                if member.status() != psutil.STATUS_ZOMBIE:
                    member.kill()


@dataclass
class Topology:
    folder: Path
    env: dict[str, str]
    started: list[Proc] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Proc:
        log = self.folder / f'{name}.log'
        with log.open('ab') as handle:
            process = subprocess.Popen(  # noqa: S603 - our interpreter and main.py, or the system's haproxy
                argv,
                cwd=ROOT,
                env=env or self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        found = Proc(name, process, log)
        self.started.append(found)
        return found

    def hms(self, name: str, *command: str) -> Proc:
        data = self.folder / name
        data.mkdir(exist_ok=True, mode=0o700)
        env = {**self.env, 'HMS_DATA_DIR': str(data)}
        return self.spawn(name, [sys.executable, str(ROOT / 'main.py'), *command], env)

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            proc.stop()
        self.started.clear()


def _wait(url: str, proc: Proc, *, verify: bool = True) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(f'{proc.name} exited with {proc.process.returncode}; see {proc.log}')
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2, verify=verify).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f'{proc.name} did not answer {url} within {STARTUP_LIMIT_S:.0f} s')


def _certificate(folder: Path) -> Path:
    key, cert, pem = folder / 'key.pem', folder / 'cert.pem', folder / 'hms.pem'
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            *('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'),
            *('-keyout', str(key), '-out', str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    return pem


def _proxy(top: Topology, webs: Sequence[str], port: int, cert: Path) -> Proc:
    """HAProxy with deploy/haproxy.cfg; with one instance both of its `server` lines name it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(('HMS_', 'PYTEST_', 'NICEGUI_'))}
    env.update(
        {
            'HMS_PROXY_HTTPS': f'127.0.0.1:{port}',
            'HMS_PROXY_HTTP': f'127.0.0.1:{free_port()}',
            'HMS_TLS_CERT': str(cert),
            'HMS_WEB1': webs[0],
            'HMS_WEB2': webs[-1],
        }
    )
    proc = top.spawn(f'haproxy-{len(webs)}', ['haproxy', '-db', '-f', str(ROOT / 'deploy' / 'haproxy.cfg')], env)
    _wait(f'https://127.0.0.1:{port}/api/health', proc, verify=False)
    return proc


# --- load ----------------------------------------------------------------------------------------------------------


async def _run_plans(base: str, plans: Sequence[Sequence[Call]]) -> tuple[list[float], list[int], float]:
    """Each plan is one client with a connection and a cookie jar of its own (kept on one instance by the proxy)."""
    latencies: list[float] = []
    statuses: list[int] = []

    async def one(plan: Sequence[Call]) -> None:
        async with httpx.AsyncClient(base_url=base, verify=False, timeout=60) as http:  # noqa: S501 - self-signed
            for call in plan:
                headers = {'Authorization': f'Bearer {call.token}'} if call.token else None
                started = time.perf_counter()
                try:
                    status = (await http.request(call.method, call.path, headers=headers, json=call.body)).status_code
                except httpx.HTTPError:
                    status = 0
                latencies.append(time.perf_counter() - started)
                statuses.append(status)

    started = time.perf_counter()
    await asyncio.gather(*(one(plan) for plan in plans))
    return latencies, statuses, time.perf_counter() - started


def _cpu(groups: dict[str, list[Proc]], postgres_pid: int) -> dict[str, float]:
    found = {name: sum(proc.cpu_seconds() for proc in procs) for name, procs in groups.items()}
    seconds = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(postgres_pid)
        for member in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = member.cpu_times()
                seconds += times.user + times.system
    found['postgres'] = seconds
    return found


async def _measure(
    name: str, base: str, plans: Sequence[Sequence[Call]], groups: dict[str, list[Proc]], postgres_pid: int
) -> dict[str, Any]:
    before = _cpu(groups, postgres_pid)
    latencies, statuses, wall = await _run_plans(base, plans)
    after = _cpu(groups, postgres_pid)
    errors = sum(1 for status in statuses if status == 0 or status >= 500)
    rejected = sum(1 for status in statuses if 400 <= status < 500)
    summary = summarize(latencies, wall, errors=errors, rejected=rejected).as_dict()
    summary['cpu_ms'] = {part: (after[part] - before[part]) * 1000 / max(1, len(statuses)) for part in after}
    summary['name'] = name
    return summary


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keep = dict(runs[len(runs) // 2])
    for key in ('per_second', 'median_ms', 'p95_ms'):
        keep[key] = statistics.median(run[key] for run in runs)
    keep['cpu_ms'] = {part: statistics.median(run['cpu_ms'][part] for run in runs) for part in runs[0]['cpu_ms']}
    keep['errors'] = sum(run['errors'] for run in runs)
    keep['runs'] = len(runs)
    return keep


async def _phase(
    base: str, accounts: Any, patients: Patients, groups: dict[str, list[Proc]], postgres_pid: int, options: Any
) -> dict[str, Any]:
    rng = random.Random(len(groups['web']))  # noqa: S311 - load, not secrets
    clients, requests = options.clients, options.requests
    async with httpx.AsyncClient(base_url=base, verify=False, timeout=60) as http:  # noqa: S501 - self-signed
        readers = await sign_in_many(http, patients.take(clients), DEMO_PASSWORD)
        doctor_ids = [doctor_id for _, doctor_id in accounts.doctors]
        slots = await free_slots(http, readers[0], doctor_ids)
    rng.shuffle(slots)
    per_client = max(1, requests // clients)
    makers = {
        'doctors (list)': lambda token: Call('GET', '/api/doctors', token),
        'free slots of a doctor': lambda token: Call('GET', f'/api/doctors/{rng.choice(doctor_ids)}/slots', token),
        "patient's history": lambda token: Call('GET', '/api/patient/history', token),
    }
    results: dict[str, Any] = {}
    await _run_plans(base, [[makers['doctors (list)'](token)] * 5 for token in readers])  # warm caches, connections
    for name, make in makers.items():
        runs = []
        for _ in range(options.runs):
            plans = [[make(token) for _ in range(per_client)] for token in readers]
            runs.append(await _measure(name, base, plans, groups, postgres_pid))
        results[name] = _median(runs)
    runs = []
    for run in range(options.runs):
        dealt = partition(slots[run * requests : (run + 1) * requests], clients, per_part=per_client)
        async with httpx.AsyncClient(base_url=base, verify=False, timeout=60) as http:  # noqa: S501
            tokens = iter(await sign_in_many(http, patients.take(sum(len(part) for part in dealt)), DEMO_PASSWORD))
        plans = [
            [
                Call('POST', '/api/appointments', next(tokens), {'doctor_id': d, 'start': s, 'reason': 'Bench'})
                for d, s in part
            ]
            for part in dealt
        ]
        runs.append(await _measure(BOOKING, base, plans, groups, postgres_pid))
    results[BOOKING] = _median(runs)
    results['memory_mb'] = {proc.name: round(proc.rss_mb(), 1) for proc in groups['web']}
    return results


def memory_per_page(proxy: str, web: Proc, emails: Sequence[str], pages: int = 10) -> float | None:
    """The web instance's RSS growth per open patient page (MB), measured with Debian's Chromium through the proxy
    (each page signed in, kept on ``web`` by the cookie); None without Chromium."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.server import BROWSER_ARGS, CHROMIUM

    if not Path(CHROMIUM).exists():
        return None
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
        try:
            before = web.rss_mb()
            for email in emails[:pages]:
                context = browser.new_context(base_url=proxy, ignore_https_errors=True)
                context.add_cookies([{'name': 'HMSNODE', 'value': 'web1', 'url': proxy}])
                page = context.new_page()
                page.goto('/login')
                page.get_by_label('Email', exact=True).fill(email)
                page.get_by_label('Password', exact=True).fill(DEMO_PASSWORD)
                page.get_by_role('button', name='Sign in').click()
                page.wait_for_url('**/patient', timeout=60_000)
                page.wait_for_load_state('networkidle')
            time.sleep(2)
            return (web.rss_mb() - before) / pages
        finally:
            browser.close()


# --- the run -------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _services(folder: Path) -> Iterator[tuple[Any, str]]:
    from hms.runtime.redis_server import EmbeddedRedis
    from tests.postgres_server import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit('scaleout: PostgreSQL is not installed (apt-get install postgresql)')
    if shutil.which('haproxy') is None:
        raise SystemExit('scaleout: HAProxy is not installed (apt-get install haproxy)')
    server = PostgresServer(bin_dir)
    redis = EmbeddedRedis(folder / 'redis')
    server.start()
    try:
        server.execute('CREATE DATABASE hms_bench')
        redis.start()
        yield server, redis.url
    finally:
        redis.stop()
        server.stop()


def run(options: Any, out: Path | None = None) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix='hmsb-so-', dir='/tmp'))
    result: dict[str, Any] = {'clients': options.clients, 'requests': options.requests, 'runs': options.runs}
    try:
        with _services(folder) as (postgres, redis_url):
            database_url = postgres.url('hms_bench')
            seeded, _ = prepare(SCALES['small'], folder / 'seed', database_url)
            accounts = read_accounts(seeded)
            env = child_env(folder, database_url=database_url)
            env.update(
                {
                    'HMS_REDIS_URL': redis_url,
                    'HMS_STORAGE_SECRET': STORAGE_SECRET,
                    'HMS_TRUSTED_PROXIES': '127.0.0.1',
                    'HMS_ADMIN_EMAIL': ADMIN_EMAIL,
                    'HMS_ADMIN_PASSWORD': ADMIN_PASSWORD,
                    'HMS_LOG_LEVEL': 'WARNING',
                    'HMS_MAX_FUTURE_BOOKINGS': '100',
                }
            )
            top = Topology(folder, env)
            cert = _certificate(folder)
            patients = Patients(accounts, random.Random(7))  # noqa: S311 - load, not secrets
            postgres_pid = postgres.process.pid if postgres.process is not None else 0
            try:
                top.hms('worker', 'worker', '--hostname', 'hms-bench@%h')
                webs: list[Proc] = []
                addresses: list[str] = []
                for count in (1, 2):
                    port = free_port()
                    web = top.hms(f'web{count}', 'web', '--port', str(port))
                    _wait(f'http://127.0.0.1:{port}/api/health', web)
                    webs.append(web)
                    addresses.append(f'127.0.0.1:{port}')
                    proxy_port = free_port()
                    proxy = _proxy(top, addresses, proxy_port, cert)
                    groups = {'web': list(webs), 'haproxy': [proxy]}
                    print(f'scaleout: {count} web instance(s) behind the proxy', file=sys.stderr)
                    result[f'web_{count}'] = asyncio.run(
                        _phase(f'https://127.0.0.1:{proxy_port}', accounts, patients, groups, postgres_pid, options)
                    )
                    if count == 2:
                        with contextlib.suppress(Exception):  # a figure for docs/deploy.md, not a failure
                            result['page_mb'] = memory_per_page(
                                f'https://127.0.0.1:{proxy_port}', webs[0], patients.take(10)
                            )
                    proxy.stop()
                    top.started.remove(proxy)
            finally:
                top.stop_all()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result['cores'] = psutil.cpu_count()
    result['load'] = os.getloadavg()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / 'scaleout.json').write_text(json.dumps(result, indent=2), encoding='utf-8')
        (out / 'scaleout.md').write_text(markdown(result), encoding='utf-8')
    return result


def markdown(result: dict[str, Any]) -> str:
    rows = []
    for name in (*READS, BOOKING):
        one, two = result['web_1'][name], result['web_2'][name]
        ratio = two['per_second'] / one['per_second'] if one['per_second'] else math.nan
        cpu_ratio = two['cpu_ms']['web'] / one['cpu_ms']['web'] if one['cpu_ms']['web'] else math.nan
        rows.append(
            [
                name,
                f'{one["per_second"]:.1f}',
                f'{two["per_second"]:.1f}',
                f'{ratio:.2f}',
                f'{one["cpu_ms"]["web"]:.1f}',
                f'{two["cpu_ms"]["web"]:.1f}',
                f'{cpu_ratio:.2f}',
                f'{two["cpu_ms"]["haproxy"]:.2f}',
                f'{two["cpu_ms"]["postgres"]:.1f}',
                f'{one["median_ms"]:.0f} / {two["median_ms"]:.0f}',
                str(one['errors'] + two['errors']),
            ]
        )
    table = markdown_table(
        [
            'workload',
            '1 web: req/s',
            '2 webs: req/s',
            'ratio',
            'web CPU ms/req (1)',
            'web CPU ms/req (2)',
            'CPU ratio',
            'HAProxy CPU ms/req',
            'PostgreSQL CPU ms/req',
            'median ms (1 / 2)',
            'errors',
        ],
        rows,
        numeric=[False, *([True] * 9), True],
    )
    memory = ', '.join(f'{name} {mb:.0f} MB' for name, mb in result['web_2']['memory_mb'].items())
    page = result.get('page_mb')
    if page is not None:
        memory += f'; each open patient page adds about {page:.1f} MB to its instance'
    load = ', '.join(f'{value:.1f}' for value in result['load'])
    return (
        f'## Scale-out through HAProxy on PostgreSQL\n\n{result["clients"]} clients, {result["requests"]} requests '
        f'per workload and run, median of {result["runs"]} runs; {result["cores"]} cores, load {load}.\n\n{table}\n\n'
        f'Web instances after the run (RSS): {memory}.\n'
    )


def main(options: Any, out: Path) -> int:
    result = run(options, out)
    print(markdown(result))
    print(f'results: {out / "scaleout.md"} and {out / "scaleout.json"}')
    return 0
