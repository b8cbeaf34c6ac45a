"""Process helpers for tests that start real programs: find every descendant, tell whether one still runs, stop one
(politely, then by force), and a short folder for unix sockets."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hms.notify.sink import free_port

__all__ = ['alive', 'assert_gone', 'descendants', 'free_port', 'short_folder', 'stop_process']


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, read from /proc (children of each thread)."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f'/proc/{current}/task').glob('*'):
            try:
                children = (task / 'children').read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != 'Z'


def assert_gone(pid: int) -> None:
    """No process has this pid any more (it exited and was reaped)."""
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def stop_process(process: subprocess.Popen, first: signal.Signals, timeout: float, *, group: bool = False) -> None:
    """Send ``first`` if it still runs (to its whole process group with ``group``), SIGKILL after ``timeout``
    seconds; reaped either way."""
    send = os.killpg if group else os.kill
    if process.poll() is None:
        send(process.pid, first)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            send(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def short_folder(prefix: str = 'hms-') -> Iterator[Path]:
    """A new folder under /tmp (unix socket paths are limited to about 104 bytes), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir='/tmp'))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
