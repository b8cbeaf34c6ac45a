"""The seeded data folder of a scale: created with `python main.py seed-demo` once, reused when given again."""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .server import ROOT, child_env

DEMO_PASSWORD = 'Bench-Pass-2026'  # noqa: S105 - every generated doctor and patient signs in with it


@dataclass(frozen=True)
class Scale:
    name: str
    doctors: int
    patients: int
    appointments: int


SCALES = {
    'small': Scale('small', 20, 2_000, 20_000),
    'large': Scale('large', 200, 100_000, 1_000_000),
}


@dataclass(frozen=True)
class Accounts:
    doctors: list[tuple[str, int]]
    patients: list[tuple[str, int]]


def accounts_file(data_dir: Path) -> Path:
    return data_dir / 'demo-accounts.csv'


def read_accounts(data_dir: Path) -> Accounts:
    doctors: list[tuple[str, int]] = []
    patients: list[tuple[str, int]] = []
    with accounts_file(data_dir).open(encoding='utf-8', newline='') as handle:
        for row in csv.DictReader(handle):
            (doctors if row['role'] == 'doctor' else patients).append((row['email'], int(row['id'])))
    return Accounts(doctors, patients)


def prepare(scale: Scale, data_dir: Path | None, database_url: str | None) -> tuple[Path, float | None]:
    """The data folder to run on, and the seed time in seconds (None when an already seeded folder is reused)."""
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix=f'hmsb-{scale.name}-', dir='/tmp'))  # short: unix socket paths
    data_dir = data_dir.resolve()
    if accounts_file(data_dir).exists():
        return data_dir, None
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    command = [
        sys.executable,
        str(ROOT / 'main.py'),
        'seed-demo',
        '--doctors',
        str(scale.doctors),
        '--patients',
        str(scale.patients),
        '--appointments',
        str(scale.appointments),
        '--seed',
        '1',
        '--password',
        DEMO_PASSWORD,
    ]
    started = time.perf_counter()
    with (data_dir / 'bench-seed.log').open('wb') as log:
        subprocess.run(  # noqa: S603 - our own interpreter and main.py
            command, cwd=ROOT, env=child_env(data_dir, database_url=database_url), stdout=log, stderr=log, check=True
        )
    return data_dir, time.perf_counter() - started
