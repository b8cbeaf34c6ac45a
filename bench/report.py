"""The results as markdown (printed, and written with the JSON into the output folder)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .measure import ratio
from .table import markdown_table

BASELINE = 'baseline GET /api/health'
BOOKING = 'booking (distinct free slots)'


CPU_PARTS = ('web', 'worker', 'beat', 'redis', 'main', 'total')


def _api(api: dict[str, dict[str, Any]]) -> str:
    base = api.get(BASELINE, {})
    rows = []
    for name, s in api.items():
        cpu = s.get('cpu_ms') or {}
        rows.append(
            [
                name,
                s['requests'],
                s['per_second'],
                s['median_ms'],
                s['p95_ms'],
                s.get('p99_ms'),
                s['errors'],
                s['rejected'],
                *[cpu.get(part) for part in CPU_PARTS],
                ratio(cpu.get('total', 0), (base.get('cpu_ms') or {}).get('total', 0)),
            ]
        )
    headers = [
        'workload',
        'requests',
        'req/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'errors (5xx)',
        '4xx',
        *[f'CPU ms/req {part}' for part in CPU_PARTS],
        'total CPU × baseline',
    ]
    return markdown_table(headers, rows, numeric=[False, *[True] * (len(headers) - 1)])


def _idle(idle: dict[str, Any]) -> str:
    rss, cpu = idle.get('rss_mb') or {}, idle.get('cpu_ms_per_s') or {}
    pss = idle.get('pss_mb') or {}  # shared pages counted once over the part's processes
    parts = [part for part in CPU_PARTS if part in rss or part in cpu]
    rows = [[part, rss.get(part), pss.get(part), cpu.get(part)] for part in parts]
    headers = ['part', 'idle RSS MB', 'idle PSS MB', 'idle CPU ms/s']
    return markdown_table(headers, rows, numeric=[False, True, True, True])


def comparison(results: list[dict[str, Any]]) -> str:
    """Booking on each database measured, side by side."""
    rows = []
    for result in results:
        booking = (result.get('api') or {}).get(BOOKING)
        if booking:
            cpu = booking.get('cpu_ms') or {}
            rows.append(
                [
                    result['meta']['database'],
                    booking['per_second'],
                    booking['median_ms'],
                    booking['p95_ms'],
                    cpu.get('web'),
                    cpu.get('total'),
                    booking['errors'],
                ]
            )
    headers = ['database', 'bookings/s', 'p50 ms', 'p95 ms', 'CPU ms web', 'CPU ms total', 'errors']
    return markdown_table(headers, rows, numeric=[False, *[True] * 6]) if len(rows) > 1 else ''


def _race(races: list[dict[str, Any]]) -> str:
    rows = [
        [
            r['clients'],
            r['slots'],
            ', '.join(map(str, r['accepted_per_slot'])),
            r['rejected'],
            r['server_errors'],
            r['ok'],
        ]
        for r in races
    ]
    return markdown_table(['clients', 'slots', 'accepted per slot', '409/4xx', '5xx', 'ok'], rows)


def _timings(rows: list[dict[str, Any]]) -> str:
    body = [
        [r['what'], r['runs'], r['median_ms'], r.get('p95_ms'), r['max_ms'], r.get('cpu_ms'), r.get('note', '')]
        for r in rows
    ]
    return markdown_table(
        ['what', 'runs', 'median ms', 'p95 ms', 'max ms', 'CPU ms (median)', 'note'],
        body,
        numeric=[False, True, True, True, True, True, False],
    )


def _jobs(rows: list[dict[str, Any]]) -> str:
    body = []
    for r in rows:
        note = ', '.join(f'{k} {v}' for k, v in r.items() if k not in ('what', 'rows', 'wall_s', 'rows_per_s'))
        body.append([r['what'], r['rows'], r['wall_s'], r['rows_per_s'], note])
    return markdown_table(['job', 'rows', 'wall s', 'rows/s', 'note'], body, numeric=[False, True, True, True, False])


def _browser(browser: dict[str, Any]) -> str:
    pages = markdown_table(
        ['page usable', 'runs', 'median ms', 'max ms'],
        [[r['what'], r['runs'], r['median_ms'], r['max_ms']] for r in browser['pages']],
    )
    ramp = markdown_table(
        ['connected dashboards', 'interactions', 'median ms', 'p95 ms', 'failed clients', 'error'],
        [
            [r['clients'], r['interactions'], r['median_ms'], r['p95_ms'], r['failed_clients'], r.get('error', '')]
            for r in browser['ramp']
        ],
        numeric=[True, True, True, True, True, False],
    )
    held = (
        f'One web process held **{browser["held"]}** connected dashboards with interaction p95 < '
        f'{browser["limit_ms"]:g} ms.'
    )
    return f'{pages}\n\n{ramp}\n\n{held}'


def _targets(rows: list[dict[str, Any]]) -> str:
    body = [[r['target'], r['measured'], {True: 'yes', False: '**no**', None: '–'}[r['met']]] for r in rows]
    return markdown_table(['target', 'measured', 'met'], body, numeric=[False, True, False])


def scale_markdown(result: dict[str, Any]) -> str:
    meta = result['meta']
    parts = [
        f'## Scale: {meta["scale"]} ({meta["doctors"]:,} doctors / {meta["patients"]:,} patients / '
        f'{meta["appointments"]:,} appointments)',
        f'{meta["date"]} · {meta["machine"]} · database {meta["database"]} · load average before '
        f'{meta["load_before"]}, after {meta["load_after"]} · {meta["clients"]} clients, {meta["runs"]} runs',
    ]
    memory = result.get('memory') or {}
    parts.append(
        markdown_table(
            ['cold start of python main.py to /login (s)', 'web peak RSS MB', 'worker peak RSS MB', 'seed s'],
            [[meta.get('cold_start_s'), memory.get('web_mb'), memory.get('worker_mb'), meta.get('seed_s')]],
            numeric=[True] * 4,
        )
    )
    if memory.get('phases'):
        rows = [[phase, peaks.get('web'), peaks.get('worker')] for phase, peaks in memory['phases'].items()]
        parts += [
            '### Peak RSS by phase (MB, process and its children)',
            markdown_table(['phase', 'web', 'worker'], rows, numeric=[False, True, True]),
        ]
    if result.get('memory_idle'):
        parts += ['### At rest (after start, before any load)', _idle(result['memory_idle'])]
    if result.get('api'):
        parts += [
            '### API under concurrent clients (median over runs; CPU per request of each process from its CPU totals '
            'before and after the timed phase; a booking waits for its confirmation to be sent)',
            _api(result['api']),
        ]
    if result.get('race'):
        parts += ['### Booking race', _race(result['race'])]
    if result.get('dashboard'):
        parts += ['### Admin dashboard data', _timings(result['dashboard'])]
    if result.get('jobs'):
        parts += ['### Jobs (real worker, mail to the local SMTP sink)', _jobs(result['jobs'])]
    if (result.get('browser') or {}).get('pages'):
        parts += ['### Headless Chromium', _browser(result['browser'])]
    if result.get('targets'):
        parts += ['### Targets', _targets(result['targets'])]
    if result.get('failures'):
        failed = '\n'.join(f'- {name}: {error}' for name, error in result['failures'].items())
        parts += ['### Sections that failed', failed]
    return '\n\n'.join(parts) + '\n'


def write(out: Path, results: list[dict[str, Any]]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / 'results.json').write_text(json.dumps(results, indent=2, default=str), encoding='utf-8')
    markdown = out / 'results.md'
    text = '# HMS benchmark\n\n' + '\n'.join(scale_markdown(r) for r in results)
    compared = comparison(results)
    if compared:
        text += '\n## Booking by database\n\n' + compared + '\n'
    markdown.write_text(text, encoding='utf-8')
    return markdown
