"""Peak resident memory of a process and its descendants, sampled in a background thread (psutil)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import psutil


def tree_rss(process: psutil.Process) -> int:
    """RSS in bytes of ``process`` plus all its descendants (worker pool children, helper processes)."""
    total = 0
    with contextlib.suppress(psutil.Error):
        total += process.memory_info().rss
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
    return total


def tree_pss(process: psutil.Process) -> int:
    """PSS in bytes of ``process`` plus its descendants: each page shared by n of them counted 1/n (the worker's pool
    processes are forked from its main process and share most of their memory, which RSS counts in each)."""
    total = 0
    with contextlib.suppress(psutil.Error):
        for member in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error, AttributeError):
                total += member.memory_full_info().pss
    return total


class PeakSampler:
    """Samples named process trees every ``interval`` seconds and keeps each one's peak RSS (bytes)."""

    def __init__(self, targets: dict[str, Callable[[], psutil.Process | None]], interval: float = 0.25) -> None:
        self.targets = targets
        self.interval = interval
        self.peaks: dict[str, int] = dict.fromkeys(targets, 0)
        self.phase = 'start'
        self.phase_peaks: dict[str, dict[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='rss-sampler', daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def mark(self, phase: str) -> None:
        """Peaks from now on are also kept under ``phase`` (idle, under API load, with browsers connected...)."""
        self.sample()
        self.phase = phase

    def sample(self) -> None:
        phase = self.phase_peaks.setdefault(self.phase, dict.fromkeys(self.targets, 0))
        for name, find in self.targets.items():
            process = find()
            if process is not None:
                rss = tree_rss(process)
                self.peaks[name] = max(self.peaks[name], rss)
                phase[name] = max(phase[name], rss)

    def phases_mb(self) -> dict[str, dict[str, float]]:
        phases = self.phase_peaks.items()
        return {phase: {name: peak / 2**20 for name, peak in peaks.items()} for phase, peaks in phases}

    def start(self) -> PeakSampler:
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        """Stop sampling; the peaks in MB."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()
        return {name: peak / 2**20 for name, peak in self.peaks.items()}
