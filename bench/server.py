"""The real `python main.py` (Redis, worker with beat, web) on a data folder and a free port, stopped by PID."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
ADMIN_EMAIL = 'admin@hms.local'
ADMIN_PASSWORD = 'Bench-Admin-2026'  # noqa: S105 - set when the bench creates the data folder; not a secret of any real install
STARTUP_LIMIT_S = 180.0
PARTS = ('main', 'web', 'worker', 'beat', 'redis')


def part_name(argv: list[str]) -> str | None:
    """Which part a supervisor's child is, from its command line (`python -m hms web`, `redis-server …`)."""
    if argv and 'redis' in Path(argv[0]).name:
        return 'redis'
    for name in ('web', 'worker', 'beat'):
        if name in argv[1:]:
            return name
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def child_env(data_dir: Path, *, port: int | None = None, database_url: str | None = None) -> dict[str, str]:
    """The environment of a child: none of our HMS_/NICEGUI_/PYTEST_ variables leak in, only the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('HMS_', 'PYTEST_', 'NICEGUI_'))}
    env.update({'HMS_DATA_DIR': str(data_dir), 'HMS_HOST': '127.0.0.1', 'HMS_ADMIN_PASSWORD': ADMIN_PASSWORD})
    if port is not None:
        env['HMS_PORT'] = str(port)
    if database_url:
        env['HMS_DATABASE_URL'] = database_url
    return env


@dataclass
class Server:
    """One `python main.py`; ``start`` waits for /login to answer and records the cold start time."""

    data_dir: Path
    database_url: str | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    cold_start_s: float | None = None
    known_pids: set[int] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    @property
    def redis_url(self) -> str:
        return f'unix://{self.data_dir / "redis" / "redis.sock"}'

    def start(self) -> float:
        log = (self.data_dir / 'bench-server.log').open('ab')
        started = time.perf_counter()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and main.py
            [sys.executable, str(ROOT / 'main.py')],
            cwd=ROOT,
            env=child_env(self.data_dir, port=self.port, database_url=self.database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the bench's terminal reaches us, and we stop the server ourselves
        )
        deadline = started + STARTUP_LIMIT_S
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'python main.py exited with {self.process.returncode}; see {log.name}')
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f'{self.base_url}/login', timeout=2).status_code == 200:
                    self.cold_start_s = time.perf_counter() - started
                    self.remember_pids()
                    return self.cold_start_s
            time.sleep(0.1)
        raise RuntimeError(f'python main.py did not answer /login within {STARTUP_LIMIT_S:.0f} s')

    def remember_pids(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(psutil.Error):
            self.known_pids |= {p.pid for p in psutil.Process(self.process.pid).children(recursive=True)}

    def members(self) -> dict[str, list[psutil.Process]]:
        """The system's processes by part: ``main`` (the supervisor, with the SMTP sink), ``web``, ``worker`` (with
        its pool), ``beat``, ``redis``."""
        found: dict[str, list[psutil.Process]] = {name: [] for name in PARTS}
        if self.process is None:
            return found
        with contextlib.suppress(psutil.Error):
            supervisor = psutil.Process(self.process.pid)
            found['main'].append(supervisor)
            for child in supervisor.children():
                with contextlib.suppress(psutil.Error):
                    name = part_name(child.cmdline())
                    if name is not None:
                        found[name] += [child, *child.children(recursive=True)]
        return found

    def part(self, name: str) -> psutil.Process | None:
        """The supervisor's child running ``name`` (web, worker, beat or redis)."""
        members = self.members().get(name) or []
        return members[0] if members else None

    def cpu_by_part(self) -> dict[str, float]:
        """CPU seconds (user + system) each part has used so far, and ``total`` over every process of the system."""
        totals: dict[str, float] = {}
        for name, processes in self.members().items():
            seconds = 0.0
            for member in processes:
                with contextlib.suppress(psutil.Error):
                    times = member.cpu_times()
                    seconds += times.user + times.system
            totals[name] = seconds
        totals['total'] = sum(totals.values())
        return totals

    def cpu_seconds(self, name: str = 'web') -> float:
        """CPU time (user + system) the part and its children (the worker's pool) have used so far."""
        return self.cpu_by_part().get(name, math.nan) if self.process is not None else math.nan

    def stop(self) -> None:
        """SIGINT to the supervisor (it stops its children), then SIGKILL to whatever we saw it start."""
        if self.process is None:
            return
        self.remember_pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in self.known_pids:
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                if process.status() != psutil.STATUS_ZOMBIE:
                    process.kill()
        self.process = None
