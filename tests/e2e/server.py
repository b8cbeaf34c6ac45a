"""A real HMS (`python main.py`: Redis, worker with beat, SMTP sink, web) in a temporary data folder, stopped by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ..processes import alive, descendants, free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_LIMIT = 120.0  # a liveness bound for slow machines, not a performance assertion
BROWSER_ARGS = ['--no-sandbox', '--disable-dev-shm-usage']
CHROMIUM = os.environ.get('HMS_TEST_CHROMIUM', '/usr/bin/chromium')  # Debian's; another path to try without one
NO_CHROMIUM = 'no Chromium at'  # the reason of each browser test skipped; tests/conftest.py counts them
INSTALL_CHROMIUM = 'sudo apt-get install -y chromium chromium-driver'
# NiceGUI's left drawer asks a newly connected browser whether it is open and logs this error when the answer takes
# over a second (a loaded machine); nothing depends on the answer (the drawer follows Quasar's show-if-above).
BENIGN = 'JavaScript did not respond within 1.0 s'


def early_morning_zone(now: datetime | None = None) -> str:
    """An IANA zone where it is now between 02:00 and 03:00, so a whole working morning of today lies ahead.

    Visits can be completed from their day on (hms/services/records.py), so a journey books a slot later *today*;
    picking the clinic's zone this way makes that possible whatever the real time of the run is.
    """
    hour = (now or datetime.now(UTC)).hour
    offset = (2 - hour) % 24
    if offset > 14:
        offset -= 24
    # POSIX-style names: 'Etc/GMT-3' is three hours *ahead* of UTC.
    return 'Etc/UTC' if offset == 0 else f'Etc/GMT{"-" if offset > 0 else "+"}{abs(offset)}'


class Server:
    """`python main.py [args]` with its own data folder and port; `stop()` ends it and every child by PID."""

    def __init__(self, settings: Mapping[str, str], *, data_dir: Path | None = None) -> None:
        # Short path: the embedded Redis listens on a unix socket inside it, and those paths are limited.
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix='hms-e2e-', dir='/tmp'))
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith(('HMS_', 'PYTEST_', 'NICEGUI_'))
        }  # a child must not think it runs under pytest
        self.env.update({'HMS_DATA_DIR': str(self.data_dir), 'HMS_PORT': str(self.port), 'HMS_HOST': '127.0.0.1'})
        self.env.update(settings)
        self.log_path = self.data_dir / 'main.log'
        self.process: subprocess.Popen[bytes] | None = None

    def run(self, *args: str) -> str:
        """Run a one-off command (e.g. seed-demo) against the same data folder; its output."""
        done = subprocess.run(
            [sys.executable, str(ROOT / 'main.py'), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f'main.py {" ".join(args)} failed:\n{done.stdout}\n{done.stderr}')
        return done.stdout

    def start(self) -> Server:
        with self.log_path.open('wb') as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / 'main.py')],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group
            )
        deadline = time.monotonic() + STARTUP_LIMIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'main.py ended at start:\n{self.log()}')
            try:
                if httpx.get(f'{self.url}/login', timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f'the login page did not come up:\n{self.log()}')

    def log(self) -> str:
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def errors_since(self, offset: int) -> list[str]:
        """Lines of the server's log after ``offset`` that report an error or a traceback (with what follows)."""
        with self.log_path.open('rb') as log:
            log.seek(offset)
            lines = log.read().decode(errors='replace').splitlines()
        found = []
        for index, line in enumerate(lines):
            if ' ERROR ' in line or ' CRITICAL ' in line:
                if BENIGN in line:
                    continue
                found.append('\n'.join(lines[index : index + 30]))
        return found

    def stop(self) -> None:
        """SIGTERM to the supervisor (it stops its children), then SIGKILL to anything left, each by PID."""
        process, self.process = self.process, None
        if process is None:
            return
        children = descendants(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
        for pid in [*children, process.pid]:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)
