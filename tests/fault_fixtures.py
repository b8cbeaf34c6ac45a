"""Real processes for the fault tests: ``python main.py web`` and ``python main.py worker`` in the test's data folder,
and an embedded Redis that the test stops and starts (the SMTP server that records or holds messages is in peers.py).
Every process is stopped by PID when the test ends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hms.config import Settings
from hms.context import AppContext
from hms.db.models import Delivery
from hms.domain.enums import DeliveryStatus
from hms.runtime.redis_server import EmbeddedRedis

from .factories import ADMIN_EMAIL, ADMIN_PASSWORD
from .processes import alive, descendants, free_port
from .redis_server import embedded_redis

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 60.0  # liveness bound of every wait (slow CI machines), never a performance assertion


def wait_until(condition: Callable[[], Any], what: str, timeout: float = LIMIT, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f'timed out waiting for {what}')


# --- processes --------------------------------------------------------------------------------------------------


class HmsProcess:
    """One ``python main.py <command>`` child; ``kill()`` is SIGKILL to it and everything below it."""

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.command, self.env, self.log_path = command, env, log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> HmsProcess:
        with self.log_path.open('ab') as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / 'main.py'), *self.command],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no clean-up of any kind."""
        if self.process is None:
            return
        pids = descendants(self.process.pid) | {self.process.pid}
        for pid in pids:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        wait_until(lambda: not any(alive(pid) for pid in pids), 'the killed processes to be gone', timeout=30)
        self.process = None


@dataclass
class Stack:
    """The data folder and the environment of the HMS processes of one test."""

    data_dir: Path
    env: dict[str, str]
    started: list[HmsProcess] = field(default_factory=list)

    def spawn(self, *command: str, **extra: str) -> HmsProcess:
        env = {**self.env, **extra}
        process = HmsProcess(list(command), env, self.data_dir / f'{command[0]}-{len(self.started)}.log').start()
        self.started.append(process)
        return process

    def web(self, **extra: str) -> tuple[HmsProcess, str]:
        port = free_port()
        process = self.spawn('web', HMS_PORT=str(port), **extra)
        base = f'http://127.0.0.1:{port}'
        wait_for_web(process, base)
        return process, base

    def worker(self, *, beat: bool = False, **extra: str) -> HmsProcess:
        # One name across restarts (as a systemd unit gives it): a restarted node takes back what it left undone.
        return self.spawn('worker', '--hostname', 'hms@%h', *(['--beat'] if beat else []), **extra)

    def stop_all(self) -> None:
        for process in self.started:
            process.kill()
            print(f'--- {process.log_path.name} (last lines) ---\n' + '\n'.join(process.log().splitlines()[-60:]))


def wait_for_web(process: HmsProcess, base: str) -> None:
    def up() -> bool:
        assert process.running(), process.log()
        try:
            return httpx.get(f'{base}/login', timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, 'the web process to answer', every=0.3)


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    """The environment of a child process: this test's data folder, nothing inherited from pytest."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(('HMS_', 'PYTEST_', 'NICEGUI_'))}
    env.update(
        {
            'HMS_DATA_DIR': str(settings.data_path),
            'HMS_HOST': '127.0.0.1',
            'HMS_ADMIN_EMAIL': ADMIN_EMAIL,
            'HMS_ADMIN_PASSWORD': ADMIN_PASSWORD,
            'HMS_CLINIC_NAME': settings.clinic_name,
            'HMS_LOG_LEVEL': 'INFO',
        }
    )
    if settings.database_url:  # HMS_TEST_POSTGRES=1: the test's PostgreSQL database
        env['HMS_DATABASE_URL'] = settings.database_url
    env['NICEGUI_STORAGE_PATH'] = str(settings.data_path / 'nicegui')
    found = Stack(settings.data_path, env)
    try:
        yield found
    finally:
        found.stop_all()


@pytest.fixture
def own_redis() -> Iterator[EmbeddedRedis]:
    """A Redis of this test alone (it stops and starts it); short folder, for the unix socket path limit."""
    with embedded_redis('hms-f-') as server:
        yield server


def deliveries_by_status(ctx: AppContext, kind: str) -> dict[DeliveryStatus, int]:
    with ctx.uow() as uow:
        statuses = uow.session.scalars(select(Delivery.status).where(Delivery.kind == kind)).all()
    counts: dict[DeliveryStatus, int] = {}
    for status in statuses:
        counts[DeliveryStatus(status)] = counts.get(DeliveryStatus(status), 0) + 1
    return counts


def iso(day: date) -> str:
    return day.isoformat()
