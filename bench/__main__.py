"""Run the HMS benchmark suite against a real `python main.py` and print the results as markdown.

    .venv/bin/python -m bench --scale small            # 20 doctors / 2 000 patients / 20 000 appointments
    .venv/bin/python -m bench --scale large --data-dir /tmp/hmsb-large   # 200 / 100 000 / 1 000 000, seeded once
    .venv/bin/python -m bench --scale both --runs 3 --out /tmp/bench-results
    .venv/bin/python -m bench --only api --postgres   # the API on SQLite, then on a throwaway PostgreSQL, side by side
    .venv/bin/python -m bench --only scaleout         # through HAProxy with one, then two web instances (PostgreSQL)

Results are also written to --out (results.md and results.json; default: a new temporary folder).
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import report
from .runner import SECTIONS, Options, run_scale


def _data_dirs(values: list[str], scales: list[str]) -> dict[str, Path]:
    """`--data-dir PATH` (one scale) or `--data-dir small=PATH --data-dir large=PATH`."""
    found: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition('=')
        if sep and name in ('small', 'large'):
            found[name] = Path(path)
        elif len(scales) == 1:
            found[scales[0]] = Path(value)
        else:
            raise SystemExit('with --scale both, give --data-dir small=PATH and/or --data-dir large=PATH')
    return found


def _on_postgres(scale: str, options: Options) -> dict[str, Any]:
    """The same scale on a throwaway PostgreSQL cluster (started and stopped here, as the tests do)."""
    from tests.postgres_server import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit('--postgres: PostgreSQL is not installed (apt-get install postgresql)')
    server = PostgresServer(bin_dir)
    server.start()
    try:
        server.execute('CREATE DATABASE hms_bench')
        return run_scale(scale, None, dataclasses.replace(options, database_url=server.url('hms_bench')))
    finally:
        server.stop()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the servers like Ctrl-C does


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='python -m bench', description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--scale', choices=['small', 'large', 'both'], default='small')
    parser.add_argument('--runs', type=int, default=3, help='repetitions of each measurement (default 3)')
    parser.add_argument('--clients', type=int, default=10, help='concurrent API clients (default 10)')
    parser.add_argument('--requests', type=int, default=400, help='requests per endpoint and run (default 400)')
    parser.add_argument('--race-clients', type=int, default=50)
    parser.add_argument('--race-slots', type=int, default=3)
    parser.add_argument('--reminders', type=int, default=5_000, help='booked appointments on the reminder day')
    parser.add_argument('--export-rows', type=int, default=100_000, help='rows the CSV export should hold (about)')
    parser.add_argument('--levels', default='5,10,20,40', help='connected dashboards to ramp through')
    parser.add_argument('--data-dir', action='append', default=[], help='a seeded data folder to reuse (see above)')
    parser.add_argument('--database-url', help='run on this database (e.g. postgresql+psycopg://…) instead of SQLite')
    parser.add_argument(
        '--postgres',
        action='store_true',
        help='after each scale on SQLite, run it again on a throwaway PostgreSQL (as the tests start one) and report '
        'the booking throughput of both side by side',
    )
    parser.add_argument('--jobs', default='reminders,reports,export', help="the jobs section's jobs (default all)")
    parser.add_argument('--profile', type=Path, help='record py-spy over the web process per API workload into here')
    parser.add_argument(
        '--only', help=f'comma-separated sections to run (default all: {",".join(SECTIONS)}), or scaleout alone'
    )
    parser.add_argument('--out', type=Path, help='folder for results.md and results.json (default: a temp folder)')
    args = parser.parse_args(argv)
    if args.only == 'scaleout':  # a topology of its own (bench/scaleout.py), not a section of `python main.py`
        from . import scaleout

        return scaleout.main(args, args.out or Path(tempfile.mkdtemp(prefix='hms-bench-')))
    scales = ['small', 'large'] if args.scale == 'both' else [args.scale]
    sections = tuple(args.only.split(',')) if args.only else SECTIONS
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f'unknown sections: {", ".join(sorted(unknown))}')
    options = Options(
        runs=args.runs,
        clients=args.clients,
        requests=args.requests,
        race_clients=args.race_clients,
        race_slots=args.race_slots,
        reminders=args.reminders,
        export_rows=args.export_rows,
        levels=tuple(int(level) for level in args.levels.split(',')),
        database_url=args.database_url,
        sections=sections,
        profile=args.profile,
        jobs=tuple(args.jobs.split(',')),
    )
    data_dirs = _data_dirs(args.data_dir, scales)
    out = args.out or Path(tempfile.mkdtemp(prefix='hms-bench-'))
    signal.signal(signal.SIGTERM, _interrupt)
    results = []
    try:
        for scale in scales:
            results.append(run_scale(scale, data_dirs.get(scale), options))
            report.write(out, results)  # each finished scale is kept even if a later one is interrupted
            if args.postgres:
                results.append(_on_postgres(scale, options))
                report.write(out, results)
    except KeyboardInterrupt:
        print('interrupted: every process the bench started was stopped', file=sys.stderr)
        if results:
            report.write(out, results)
        return 130
    print()
    print('\n'.join(report.scale_markdown(result) for result in results))
    compared = report.comparison(results)
    if compared:
        print('## Booking by database\n\n' + compared)
    print(f'results: {out / "results.md"} and {out / "results.json"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
