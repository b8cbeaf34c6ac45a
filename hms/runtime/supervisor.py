"""A small foreground supervisor: start a few child processes, restart any that dies, and stop all of them together.

``python main.py`` uses it to keep the embedded Redis, the Celery worker, the beat scheduler and the web server side
by side in one terminal. A child that dies (a crash, the OOM killer, an operator's SIGKILL) is started again after a
back-off (1 s, 2 s, 4 s ... capped) with a log line naming it, its PID and exit code. Only when a child fails again and
again right after starting (``RestartPolicy.max_fast_failures`` times in a row) does the supervisor give up loudly:
it stops every child and returns the child's exit status, so that systemd (or the operator) sees the failure.

Ctrl-C (or a SIGTERM from systemd) stops every child, by PID, one at a time in reverse start order, with SIGTERM and
then SIGKILL after a timeout. With ``pid_dir`` each running child's PID is kept in ``<pid_dir>/<name>.pid``.
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
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

_POLL_INTERVAL = 0.1
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class ChildSpec:
    """One child process. ``env`` holds extra variables laid over the supervisor's own environment.

    ``prepare`` runs before every start (e.g. remove the socket a killed server left behind); ``ready`` tells, at the
    first start, when the children after this one may start (e.g. Redis answers PING)."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    prepare: Callable[[], None] | None = None
    ready: Callable[[], bool] | None = None


@dataclass(frozen=True)
class RestartPolicy:
    """When a dead child is started again, and when the supervisor gives up.

    A failure is *fast* when the child ran less than ``stable_after`` seconds; the delay before a restart doubles with
    each fast failure in a row (``first_delay`` up to ``max_delay``), and ``max_fast_failures`` in a row end it all.
    A child that ran longer than ``stable_after`` starts its count again."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 30.0
    max_fast_failures: int = 5
    ready_timeout: float = 30.0

    def delay(self, fast_failures: int) -> float:
        return float(min(self.first_delay * 2 ** max(fast_failures - 1, 0), self.max_delay))


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    fast_failures: int = 0
    restart_at: float | None = None
    restarts: int = 0
    history: list[int] = field(default_factory=list)


def _log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _exit_code(returncode: int) -> int:
    """A shell-style exit status for a child's return code: 128+N when killed by signal N, 1 for a clean exit."""
    if returncode < 0:
        return 128 - returncode
    return returncode or 1


def _describe(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f'was killed by signal {-returncode} ({signal.Signals(-returncode).name})'
        return f'was killed by signal {-returncode}'
    return f'exited with code {returncode}'


class Supervisor:
    """Run ``children`` until a SIGINT/SIGTERM arrives, restarting those that die; give up after repeated fast
    failures of one child.

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
        policy: RestartPolicy | None = None,
        pid_dir: Path | None = None,
    ) -> None:
        names = [child.name for child in children]
        if len(set(names)) != len(names):
            raise ValueError(f'child names must be unique, got {names}')
        self.children = list(children)
        self.stop_timeout = stop_timeout
        self.policy = policy or RestartPolicy()
        self.pid_dir = pid_dir
        self._log = log
        self._label = label
        self._states = {spec.name: _Child(spec) for spec in children}
        self._wake = threading.Event()
        self._signals_received = 0
        self._signals_before_stop = 0
        self.pids: dict[str, int] = {}  # the latest PID of each child

    def _say(self, message: str) -> None:
        self._log(f'{self._label}: {message}')

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only flag it here; the main loop does the work outside the handler.
        self._signals_received += 1
        self._wake.set()

    @property
    def _shutdown_requested(self) -> bool:
        return self._signals_received > 0

    def pid_history(self, name: str) -> list[int]:
        """Every PID the child ``name`` had, oldest first."""
        return list(self._states[name].history)

    def run(self, extra_cleanup: Callable[[], None] | None = None, on_started: Callable[[], None] | None = None) -> int:
        """Supervise until shutdown; return 0 after a requested shutdown, else the exit status of the child that
        made the supervisor give up (or 1 when a child could not be started at all). ``on_started`` runs once, when
        every child has been started and found ready."""
        previous = {signum: signal.getsignal(signum) for signum in _SIGNALS}
        for signum in _SIGNALS:
            signal.signal(signum, self._on_signal)
        try:
            try:
                code = self._start_all()
                if code is None:
                    if on_started is not None:
                        on_started()
                    code = self._supervise()
            finally:
                self._stop_all()
                if extra_cleanup is not None:
                    extra_cleanup()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return code

    # --- starting --------------------------------------------------------------------------------------------------

    def _spawn(self, child: _Child) -> None:
        """Start one child (``prepare`` first); raises OSError or what ``prepare`` raises."""
        spec = child.spec
        if spec.prepare is not None:
            spec.prepare()
        env = {**os.environ, **spec.env} if spec.env is not None else None
        process = subprocess.Popen(spec.argv, env=env)  # noqa: S603 - argv comes from our own ChildSpecs
        child.process, child.started_at, child.restart_at = process, time.monotonic(), None
        child.history.append(process.pid)
        self.pids[spec.name] = process.pid
        self._write_pid(spec.name, process.pid)

    def _start_all(self) -> int | None:
        """Start every child in order; return an exit status if startup had to be abandoned."""
        for child in self._states.values():
            if self._shutdown_requested:
                return 0
            try:
                self._spawn(child)
            except (OSError, RuntimeError) as error:
                self._say(f'could not start {child.spec.name}: {error}')
                return 1
            assert child.process is not None
            self._say(f'started {child.spec.name} (pid {child.process.pid})')
            self._wait_ready(child)
        return None

    def _wait_ready(self, child: _Child) -> None:
        """Hold the next children back until this one is ready (or died: the main loop handles that)."""
        ready = child.spec.ready
        if ready is None:
            return
        deadline = time.monotonic() + self.policy.ready_timeout
        while not self._shutdown_requested and child.process is not None and child.process.poll() is None:
            if ready():
                return
            if time.monotonic() >= deadline:
                self._say(f'{child.spec.name} is not ready after {self.policy.ready_timeout:g}s; going on')
                return
            self._wake.wait(_POLL_INTERVAL)

    # --- watching --------------------------------------------------------------------------------------------------

    def _supervise(self) -> int:
        while True:
            if self._shutdown_requested:
                self._say('shutting down')
                return 0
            now = time.monotonic()
            for child in self._states.values():
                code = self._check(child, now)
                if code is not None:
                    return code
            due = [child.restart_at for child in self._states.values() if child.restart_at is not None]
            wait = min([_POLL_INTERVAL, *(max(0.0, moment - time.monotonic()) for moment in due)])
            self._wake.wait(wait)

    def _check(self, child: _Child, now: float) -> int | None:
        """Notice a death and plan the restart, or restart when due; an exit status when it is time to give up."""
        if child.process is not None:
            returncode = child.process.poll()
            if returncode is None:
                return None
            return self._died(child, returncode, now)
        if child.restart_at is not None and now >= child.restart_at:
            return self._restart(child)
        return None

    def _died(self, child: _Child, returncode: int, now: float) -> int | None:
        assert child.process is not None
        name, pid, lived = child.spec.name, child.process.pid, now - child.started_at
        child.process = None
        self._remove_pid(name)
        return self._failed(child, f'{name} (pid {pid}) {_describe(returncode)} after {lived:.1f}s', returncode, lived)

    def _failed(self, child: _Child, what: str, returncode: int, lived: float) -> int | None:
        policy = self.policy
        child.fast_failures = child.fast_failures + 1 if lived < policy.stable_after else 0
        if child.fast_failures >= policy.max_fast_failures:
            self._say(
                f'GIVING UP: {what}; it failed {child.fast_failures} times in a row within '
                f'{policy.stable_after:g}s of starting. Stopping everything.'
            )
            return _exit_code(returncode)
        delay = policy.delay(child.fast_failures)
        child.restart_at = time.monotonic() + delay
        self._say(f'{what}; restarting it in {delay:g}s')
        return None

    def _restart(self, child: _Child) -> int | None:
        name = child.spec.name
        try:
            self._spawn(child)
        except (OSError, RuntimeError) as error:  # counts as a fast failure: it never ran
            return self._failed(child, f'{name} could not be restarted ({error})', 1, 0.0)
        assert child.process is not None
        child.restarts += 1
        self._say(f'restarted {name} (pid {child.process.pid}, restart {child.restarts})')
        return None

    # --- stopping --------------------------------------------------------------------------------------------------

    def _stop_all(self) -> None:
        self._signals_before_stop = self._signals_received
        for child in reversed(list(self._states.values())):
            if child.process is not None:
                self._stop(child.spec.name, child.process)
                child.process = None
                self._remove_pid(child.spec.name)

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

    # --- PID files -------------------------------------------------------------------------------------------------

    def _write_pid(self, name: str, pid: int) -> None:
        if self.pid_dir is None:
            return
        self.pid_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.pid_dir / f'{name}.pid.tmp'
        temporary.write_text(f'{pid}\n', encoding='ascii')
        temporary.replace(self.pid_dir / f'{name}.pid')  # readers never see a half-written file

    def _remove_pid(self, name: str) -> None:
        if self.pid_dir is not None:
            with contextlib.suppress(FileNotFoundError):
                (self.pid_dir / f'{name}.pid').unlink()
