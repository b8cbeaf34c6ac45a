"""py-spy over the web process during one measured workload, and the top frames of what it recorded.

``python -m bench --profile DIR`` records each workload into ``DIR/<workload>.raw`` (py-spy's collapsed stacks) and
writes ``DIR/<workload>.top.txt``: the frames with the most samples, inclusive and on their own, counting only busy
samples (threads waiting on a lock, a queue or the selector are left out)."""

from __future__ import annotations

import collections
import contextlib
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

_IDLE = re.compile(r'^(wait|_wait|select|poll|epoll|sleep|acquire|get|_worker|accept|recv|readinto)\b')
_LINE = re.compile(r':\d+\)')


def slug(name: str) -> str:
    return re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')


class Recording:
    """py-spy recording ``pid`` until ``stop``; nothing at all when py-spy is not installed."""

    def __init__(
        self, pid: int | None, out: Path | None, name: str, rate: int = 250, *, subprocesses: bool = False
    ) -> None:
        self.out = out / f'{slug(name)}.raw' if out is not None else None
        self.process: subprocess.Popen[bytes] | None = None
        spy = shutil.which('py-spy') or shutil.which('py-spy', path=str(Path(sys.executable).parent))  # the venv's
        if out is None or pid is None or spy is None:
            return
        out.mkdir(parents=True, exist_ok=True)
        command = [spy, 'record', '-p', str(pid), '-r', str(rate), '-f', 'raw', '--nonblocking', '-o', str(self.out)]
        if subprocesses:  # the worker's pool processes
            command.append('--subprocesses')
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603

    def stop(self) -> None:
        if self.process is None or self.out is None:
            return
        self.process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        if self.out.exists():
            self.out.with_suffix('.top.txt').write_text(top_frames(self.out), encoding='utf-8')


class Recordings:
    """Several recordings started and stopped together (the web process, and the worker during bookings)."""

    def __init__(self, recordings: list[Recording]) -> None:
        self.recordings = recordings

    def stop(self) -> None:
        for recording in self.recordings:
            recording.stop()


def top_frames(raw: Path, count: int = 30) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    alone: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(encoding='utf-8', errors='replace').splitlines():
        stack, _, number = line.rpartition(' ')
        if not number.isdigit():
            continue
        frames = [_LINE.sub(')', frame) for frame in stack.split(';')]
        if _IDLE.match(frames[-1]):
            continue
        samples = int(number)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        alone[frames[-1]] += samples
    lines = [f'busy samples: {total}', '', 'inclusive:']
    lines += [f'{100 * n / max(total, 1):5.1f}%  {frame}' for frame, n in inclusive.most_common(count)]
    lines += ['', 'self:']
    lines += [f'{100 * n / max(total, 1):5.1f}%  {frame}' for frame, n in alone.most_common(count // 2)]
    return '\n'.join(lines) + '\n'
