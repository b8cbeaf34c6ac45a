"""The process supervisor: a child that dies is restarted (back-off, log line, new PID file); repeated fast failures
make it give up loudly; signals stop every child, by PID, and nothing is left running."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hms.runtime.supervisor import ChildSpec, RestartPolicy, Supervisor

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
from pathlib import Path
from hms.runtime.supervisor import ChildSpec, RestartPolicy, Supervisor

config = json.loads(sys.argv[1])
cleaned = []
supervisor = Supervisor(
    [ChildSpec(**child) for child in config['children']],
    stop_timeout=config['stop_timeout'],
    log=lambda message: print(message, file=sys.stderr, flush=True),
    policy=RestartPolicy(**config['policy']),
    pid_dir=Path(config['pid_dir']) if config['pid_dir'] else None,
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

    def __init__(
        self,
        folder: Path,
        children: list[ChildSpec],
        stop_timeout: float,
        policy: dict[str, float] | None = None,
        pid_dir: Path | None = None,
    ) -> None:
        config = {
            'children': [{'name': spec.name, 'argv': spec.argv, 'env': spec.env} for spec in children],
            'stop_timeout': stop_timeout,
            'policy': policy or {},
            'pid_dir': str(pid_dir) if pid_dir else None,
        }
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


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def test_a_killed_child_is_restarted_with_a_new_pid_and_a_log_line(folder: Path) -> None:
    pid_dir = folder / 'run'
    children = [child(folder, 'web'), child(folder, 'worker')]
    supervisor = SupervisorProcess(folder, children, stop_timeout=10.0, policy={'first_delay': 0.2}, pid_dir=pid_dir)
    try:
        pids = wait_for_ready(folder, ['web', 'worker'], supervisor.process)
        assert read_pid(pid_dir / 'worker.pid') == pids['worker']
        os.kill(pids['worker'], signal.SIGKILL)
        deadline = time.monotonic() + DEADLINE
        while read_pid(folder / 'worker.ready') in (None, pids['worker']):  # the new child rewrites its ready file
            assert supervisor.process.poll() is None, supervisor.log
            assert time.monotonic() < deadline, f'the worker was not restarted:\n{supervisor.log}'
            time.sleep(0.05)
        new_pid = read_pid(folder / 'worker.ready')
        assert new_pid is not None and not is_gone(new_pid)
        assert read_pid(pid_dir / 'worker.pid') == new_pid  # the PID file follows the restart
        assert read_pid(pid_dir / 'web.pid') == pids['web']  # the sibling was left alone
        assert not is_gone(pids['web'])
        os.kill(supervisor.process.pid, signal.SIGTERM)
        assert supervisor.wait() == 0
    finally:
        supervisor.close()

    assert is_gone(new_pid) and is_gone(pids['web'])
    assert list(pid_dir.glob('*.pid')) == []  # nothing claims to run any more
    log = supervisor.log
    assert f'hms: worker (pid {pids["worker"]}) was killed by signal 9 (SIGKILL) after' in log
    assert 'restarting it in 0.2s' in log
    assert f'hms: restarted worker (pid {new_pid}, restart 1)' in log


def test_repeated_fast_failures_give_up_loudly_and_return_the_childs_status(folder: Path) -> None:
    children = [child(folder, 'web'), child(folder, 'worker', f'exit:3:{folder / "web.ready"}'), child(folder, 'beat')]
    policy = {'first_delay': 0.05, 'max_fast_failures': 3}
    supervisor = SupervisorProcess(folder, children, stop_timeout=10.0, policy=policy)
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
    log = supervisor.log
    # Two restarts, each after twice the delay of the one before, then the third fast failure ends it all.
    assert log.count('hms: restarted worker') == 2
    assert log.index('restarting it in 0.05s') < log.index('restarting it in 0.1s')
    assert 'hms: GIVING UP: worker (pid' in log
    assert 'exited with code 3' in log
    assert 'it failed 3 times in a row' in log
    assert 'restarted web' not in log and 'restarted beat' not in log


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = RestartPolicy(first_delay=1.0, max_delay=30.0)
    assert [policy.delay(failures) for failures in range(8)] == [1, 1, 2, 4, 8, 16, 30, 30]


def test_in_process_run_restores_handlers_and_calls_cleanup(folder: Path) -> None:
    # Run in this (main) thread: a child that fails at once, every time, brings down its sibling in the end.
    lines: list[str] = []
    cleaned: list[bool] = []
    prepared: list[str] = []
    crash = ChildSpec('crash', [sys.executable, '-c', 'raise SystemExit(7)'], prepare=lambda: prepared.append('x'))
    supervisor = Supervisor(
        [child(folder, 'web'), crash], log=lines.append, policy=RestartPolicy(first_delay=0.01, max_fast_failures=2)
    )
    before = signal.getsignal(signal.SIGINT)
    assert supervisor.run(extra_cleanup=lambda: cleaned.append(True)) == 7
    assert signal.getsignal(signal.SIGINT) is before
    assert cleaned == [True]
    assert prepared == ['x', 'x']  # before the start and before the one restart
    assert len(supervisor.pid_history('crash')) == 2
    for pid in supervisor.pids.values():
        assert is_gone(pid)
    assert lines[-1] == 'hms: stopped web'


def test_a_child_that_ran_long_enough_starts_its_failure_count_again(folder: Path) -> None:
    # Each life lasts longer than stable_after: however many times it dies, the supervisor never gives up.
    lines: list[str] = []
    steady = ChildSpec('steady', [sys.executable, '-c', 'import time; time.sleep(0.4); raise SystemExit(1)'])
    supervisor = Supervisor(
        [steady], log=lines.append, policy=RestartPolicy(first_delay=0.01, stable_after=0.2, max_fast_failures=1)
    )

    def stop_after_three_restarts() -> None:
        deadline = time.monotonic() + DEADLINE
        while len(supervisor.pid_history('steady')) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)  # handled by the supervisor in the main thread

    stopper = threading.Thread(target=stop_after_three_restarts)
    stopper.start()
    try:
        assert supervisor.run() == 0
    finally:
        stopper.join()
    assert len(supervisor.pid_history('steady')) >= 4
    assert not any('GIVING UP' in line for line in lines)


def test_ready_holds_the_next_children_back(folder: Path) -> None:
    lines: list[str] = []
    first_ready = folder / 'first.ready'
    supervisor = Supervisor(
        [
            ChildSpec('first', child(folder, 'first').argv, ready=first_ready.exists),
            ChildSpec(
                'second',
                [
                    sys.executable,
                    '-c',
                    f'import pathlib, sys; sys.exit(0 if pathlib.Path({str(first_ready)!r}).exists() else 9)',
                ],
            ),
        ],
        log=lines.append,
        policy=RestartPolicy(max_fast_failures=1),
    )
    # 'second' exits at once: 0 when 'first' was ready before it started, 9 otherwise; one failure ends the run.
    assert supervisor.run() == 1
    assert any('second (pid' in line and 'exited with code 0' in line for line in lines), lines


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
