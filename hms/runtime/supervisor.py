"""A small foreground supervisor: start a few child processes, and stop all of them together.

``hms run`` uses it to keep the web server and the Celery worker side by side in one terminal: Ctrl-C (or a SIGTERM
from systemd) stops every child, and if one child dies the others are stopped too rather than left half-running.
Children are stopped by PID, one at a time in reverse start order, with SIGTERM and then SIGKILL after a timeout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

_POLL_INTERVAL = 0.1
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class ChildSpec:
    """One child process. ``env`` holds extra variables laid over the supervisor's own environment."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None


def _log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _exit_code(returncode: int) -> int:
    """A shell-style exit status for a child's return code: 128+N when killed by signal N, 1 for a clean exit."""
    if returncode < 0:
        return 128 - returncode
    return returncode or 1


class Supervisor:
    """Run ``children`` until a SIGINT/SIGTERM arrives or one of them exits, then stop the rest.

    :meth:`run` must be called from the main thread (Python only lets it install signal handlers). A second signal
    arriving while children are being stopped skips the grace period and kills the remaining ones at once.
    """

    def __init__(
        self,
        children: list[ChildSpec],
        *,
        stop_timeout: float = 10.0,
        log: Callable[[str], object] = _log_to_stderr,
        label: str = 'hms',
    ) -> None:
        names = [child.name for child in children]
        if len(set(names)) != len(names):
            raise ValueError(f'child names must be unique, got {names}')
        self.children = list(children)
        self.stop_timeout = stop_timeout
        self._log = log
        self._label = label
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._wake = threading.Event()
        self._signals_received = 0
        self._signals_before_stop = 0
        self.pids: dict[str, int] = {}

    def _say(self, message: str) -> None:
        self._log(f'{self._label}: {message}')

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only flag it here; the main loop does the work outside the handler.
        self._signals_received += 1
        self._wake.set()

    @property
    def _shutdown_requested(self) -> bool:
        return self._signals_received > 0

    def run(self, extra_cleanup: Callable[[], None] | None = None) -> int:
        """Supervise until shutdown; return 0 after a requested shutdown, else the exit status of the failed child."""
        previous = {signum: signal.getsignal(signum) for signum in _SIGNALS}
        for signum in _SIGNALS:
            signal.signal(signum, self._on_signal)
        try:
            try:
                code = self._start_all()
                if code is None:
                    code = self._wait_for_exit()
            finally:
                self._stop_all()
                if extra_cleanup is not None:
                    extra_cleanup()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return code

    def _start_all(self) -> int | None:
        """Start every child; return an exit status if startup had to be abandoned."""
        for child in self.children:
            if self._shutdown_requested:
                return 0
            env = {**os.environ, **child.env} if child.env is not None else None
            try:
                process = subprocess.Popen(child.argv, env=env)  # noqa: S603 - argv comes from our own ChildSpecs
            except OSError as error:
                self._say(f'could not start {child.name}: {error}')
                return 1
            self._processes[child.name] = process
            self.pids[child.name] = process.pid
            self._say(f'started {child.name} (pid {process.pid})')
        return None

    def _wait_for_exit(self) -> int:
        while True:
            if self._shutdown_requested:
                self._say('shutting down')
                return 0
            for name, process in self._processes.items():
                returncode = process.poll()
                if returncode is not None:
                    self._say(f'{name} exited with code {returncode}, stopping the others')
                    return _exit_code(returncode)
            self._wake.wait(_POLL_INTERVAL)

    def _stop_all(self) -> None:
        self._signals_before_stop = self._signals_received
        for name in reversed(list(self._processes)):
            self._stop(name, self._processes[name])

    def _stop(self, name: str, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            if not self._wait(process, self.stop_timeout):
                self._say(f'{name} did not stop within {self.stop_timeout:g}s, killing it')
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
        process.wait()  # reap, so no zombie is left behind
        self._say(f'stopped {name}')

    def _wait(self, process: subprocess.Popen[bytes], timeout: float) -> bool:
        """Wait for ``process`` to end; give up early if another signal arrives while we are stopping (impatience)."""
        deadline = time.monotonic() + timeout
        while process.poll() is None:
            if self._signals_received > self._signals_before_stop or time.monotonic() >= deadline:
                return False
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        return True
