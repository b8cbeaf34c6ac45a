"""Real processes for the fault tests: ``python main.py web`` and ``python main.py worker`` in the test's data folder,
an embedded Redis that the test stops and starts, and an SMTP server in the test process that records, refuses or
holds messages. Every process is stopped by PID when the test ends."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from hms.config import Settings
from hms.context import AppContext
from hms.db.models import Delivery
from hms.domain.enums import DeliveryStatus
from hms.runtime.redis_server import EmbeddedRedis

from .factories import ADMIN_EMAIL, ADMIN_PASSWORD
from .processes import alive, descendants, free_port

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
                [sys.executable, str(ROOT / 'main.py'), *self.command], cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
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
        return self.spawn('worker', *(['--beat'] if beat else []), **extra)

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
    env.update({
        'HMS_DATA_DIR': str(settings.data_path), 'HMS_HOST': '127.0.0.1', 'HMS_ADMIN_EMAIL': ADMIN_EMAIL,
        'HMS_ADMIN_PASSWORD': ADMIN_PASSWORD, 'HMS_CLINIC_NAME': settings.clinic_name, 'HMS_LOG_LEVEL': 'INFO',
    })  # fmt: skip
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
    server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix='hms-f-', dir='/tmp')))
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- mail ------------------------------------------------------------------------------------------------------


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        # Past the gate's limit every new message waits here: no message is half accepted while the test acts.
        while self.box.holding():
            self.box.held += 1
            await asyncio.sleep(0.05)
            self.box.held -= 1
        envelope.mail_from = address
        return '250 OK'

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.box.lock:
            self.box.messages.append(parsed)
        return '250 Message accepted for delivery'


@dataclass
class Mailbox:
    """An SMTP server that records messages; ``hold_after`` makes it stop accepting new ones after that many."""

    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold_after: int | None = None
    held: int = 0
    _controller: Controller | None = None

    def holding(self) -> bool:
        with self.lock:
            return self.hold_after is not None and len(self.messages) >= self.hold_after

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname='127.0.0.1', port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.messages)

    def count_by(self, subject_prefix: str) -> dict[str, int]:
        """How many messages each recipient got whose subject starts with ``subject_prefix``."""
        counts: dict[str, int] = {}
        for message in self.received():
            if str(message['Subject']).strip().startswith(subject_prefix):
                address = parseaddr(str(message['To']))[1]
                counts[address] = counts.get(address, 0) + 1
        return counts

    def smtp_env(self) -> dict[str, str]:
        return {'HMS_SMTP_HOST': '127.0.0.1', 'HMS_SMTP_PORT': str(self.port), 'HMS_SMTP_STARTTLS': 'false',
                'HMS_SMTP_TIMEOUT_SECONDS': '5'}  # fmt: skip


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    try:
        yield box
    finally:
        box.stop()


def deliveries_by_status(ctx: AppContext, kind: str) -> dict[DeliveryStatus, int]:
    with ctx.uow() as uow:
        statuses = uow.session.scalars(select(Delivery.status).where(Delivery.kind == kind)).all()
    counts: dict[DeliveryStatus, int] = {}
    for status in statuses:
        counts[DeliveryStatus(status)] = counts.get(DeliveryStatus(status), 0) + 1
    return counts


def iso(day: date) -> str:
    return day.isoformat()
