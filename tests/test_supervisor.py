"""The process supervisor: signals and child failures stop every child, by PID, and nothing is left running."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hms.runtime.supervisor import ChildSpec, Supervisor

from .processes import short_folder

ROOT = Path(__file__).resolve().parents[1]

# A child: announces its pid in a ready file (atomically), then sleeps; 'stubborn' ignores SIGTERM,
# 'exit:N:OTHER' exits with code N once OTHER's ready file exists.
CHILD = """
import os, pathlib, signal, sys, time
ready, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
if mode == 'stubborn':
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
tmp = ready.with_suffix('.tmp')
tmp.write_text(str(os.getpid()))
tmp.rename(ready)
if mode.startswith('exit:'):
    _, code, other = mode.split(':', 2)
    while not pathlib.Path(other).exists():
        time.sleep(0.05)
    sys.exit(int(code))
while True:
    time.sleep(0.1)
"""

# The supervisor under test, in its own process so that we can signal it like a terminal or systemd would.
SUPERVISOR = """
import json, signal, sys
from hms.runtime.supervisor import ChildSpec, Supervisor

config = json.loads(sys.argv[1])
cleaned = []
supervisor = Supervisor(
    [ChildSpec(**child) for child in config['children']],
    stop_timeout=config['stop_timeout'],
    log=lambda message: print(message, file=sys.stderr, flush=True),
)
handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
code = supervisor.run(extra_cleanup=lambda: cleaned.append(True))
restored = all(signal.getsignal(signum) is handler for signum, handler in handlers.items())
print(json.dumps({'code': code, 'pids': supervisor.pids, 'cleaned': cleaned == [True], 'restored': restored}))
sys.exit(code)
"""

DEADLINE = 30.0


def is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def kill_if_ours(pid: int, ready: Path) -> None:
    """SIGKILL a leftover child, but only if that pid still runs our child script (pids get reused)."""
    cmdline = Path(f'/proc/{pid}/cmdline')
    if cmdline.exists() and str(ready).encode() in cmdline.read_bytes():
        kill_quietly(pid)


@pytest.fixture
def folder() -> Iterator[Path]:
    with short_folder() as path:
        try:
            yield path
        finally:
            # Whatever happened, leave no child behind: each one recorded its pid in its ready file.
            for ready in path.glob('*.ready'):
                with contextlib.suppress(ValueError, OSError):
                    kill_if_ours(int(ready.read_text()), ready)


def child(folder: Path, name: str, mode: str = 'sleep') -> ChildSpec:
    return ChildSpec(name=name, argv=[sys.executable, '-c', CHILD, str(folder / f'{name}.ready'), mode])


def wait_for_ready(folder: Path, names: list[str], supervisor: subprocess.Popen[bytes]) -> dict[str, int]:
    deadline = time.monotonic() + DEADLINE
    while True:
        files = {name: folder / f'{name}.ready' for name in names}
        if all(path.exists() for path in files.values()):
            return {name: int(path.read_text()) for name, path in files.items()}
        assert supervisor.poll() is None, 'supervisor exited before its children were ready'
        assert time.monotonic() < deadline, 'children did not start'
        time.sleep(0.05)


class SupervisorProcess:
    """The supervisor script started in a subprocess, with its output in files (children inherit them)."""

    def __init__(self, folder: Path, children: list[ChildSpec], stop_timeout: float) -> None:
        config = {'children': [vars(spec) for spec in children], 'stop_timeout': stop_timeout}
        self.stdout_path = folder / 'supervisor.out'
        self.stderr_path = folder / 'supervisor.err'
        with self.stdout_path.open('wb') as out, self.stderr_path.open('wb') as err:
            self.process = subprocess.Popen(
                [sys.executable, '-c', SUPERVISOR, json.dumps(config)], cwd=ROOT, stdout=out, stderr=err
            )

    def wait(self) -> int:
        return self.process.wait(timeout=60)

    def report(self) -> dict[str, object]:
        return json.loads(self.stdout_path.read_text().splitlines()[-1])

    @property
    def log(self) -> str:
        return self.stderr_path.read_text()

    def close(self) -> None:
        if self.process.poll() is None:
            kill_quietly(self.process.pid)
            self.process.wait()


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM], ids=['SIGINT', 'SIGTERM'])
def test_signal_stops_every_child(folder: Path, signum: int) -> None:
    supervisor = SupervisorProcess(folder, [child(folder, 'web'), child(folder, 'worker')], stop_timeout=10.0)
    try:
        pids = wait_for_ready(folder, ['web', 'worker'], supervisor.process)
        os.kill(supervisor.process.pid, signum)
        assert supervisor.wait() == 0
    finally:
        supervisor.close()

    report = supervisor.report()
    assert report == {'code': 0, 'pids': pids, 'cleaned': True, 'restored': True}
    for pid in pids.values():
        assert is_gone(pid)
    log = supervisor.log
    assert f'hms: started web (pid {pids["web"]})' in log
    assert f'hms: started worker (pid {pids["worker"]})' in log
    # Reverse start order: the worker goes first, then the web server.
    assert log.index('hms: stopped worker') < log.index('hms: stopped web')


def test_child_ignoring_sigterm_is_killed(folder: Path) -> None:
    children = [child(folder, 'web'), child(folder, 'stubborn', 'stubborn')]
    supervisor = SupervisorProcess(folder, children, stop_timeout=0.5)
    try:
        pids = wait_for_ready(folder, ['web', 'stubborn'], supervisor.process)
        os.kill(supervisor.process.pid, signal.SIGTERM)
        assert supervisor.wait() == 0
    finally:
        supervisor.close()

    assert supervisor.report()['cleaned'] is True
    for pid in pids.values():
        assert is_gone(pid)
    assert 'stubborn did not stop within 0.5s, killing it' in supervisor.log


def test_child_exit_stops_the_others_and_returns_its_code(folder: Path) -> None:
    children = [child(folder, 'web'), child(folder, 'worker', f'exit:3:{folder / "web.ready"}'), child(folder, 'beat')]
    supervisor = SupervisorProcess(folder, children, stop_timeout=10.0)
    try:
        assert supervisor.wait() == 3
    finally:
        supervisor.close()

    report = supervisor.report()
    assert report['code'] == 3
    assert report['cleaned'] is True
    assert report['restored'] is True
    pids = report['pids']
    assert isinstance(pids, dict)
    assert set(pids) == {'web', 'worker', 'beat'}
    for pid in pids.values():
        assert is_gone(pid)
    assert 'hms: worker exited with code 3, stopping the others' in supervisor.log


def test_in_process_run_restores_handlers_and_calls_cleanup(folder: Path) -> None:
    # Run in this (main) thread: a child that fails at once brings down its sibling.
    lines: list[str] = []
    cleaned: list[bool] = []
    supervisor = Supervisor(
        [child(folder, 'web'), ChildSpec('crash', [sys.executable, '-c', 'raise SystemExit(7)'])],
        log=lines.append,
    )
    before = signal.getsignal(signal.SIGINT)
    assert supervisor.run(extra_cleanup=lambda: cleaned.append(True)) == 7
    assert signal.getsignal(signal.SIGINT) is before
    assert cleaned == [True]
    for pid in supervisor.pids.values():
        assert is_gone(pid)
    assert lines[-2:] == ['hms: stopped crash', 'hms: stopped web']


def test_child_that_cannot_start_stops_the_ones_already_running(folder: Path) -> None:
    lines: list[str] = []
    cleaned: list[bool] = []
    supervisor = Supervisor(
        [child(folder, 'web'), ChildSpec('ghost', [str(folder / 'no-such-program')])], log=lines.append
    )
    assert supervisor.run(extra_cleanup=lambda: cleaned.append(True)) == 1
    assert cleaned == [True]
    assert set(supervisor.pids) == {'web'}
    assert is_gone(supervisor.pids['web'])
    assert any(line.startswith('hms: could not start ghost:') for line in lines)


def test_child_names_must_be_unique(folder: Path) -> None:
    with pytest.raises(ValueError, match='unique'):
        Supervisor([child(folder, 'web'), child(folder, 'web')])
