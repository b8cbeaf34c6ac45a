"""Process helpers for tests that start real programs: find every descendant, tell whether one still runs."""

from __future__ import annotations

from pathlib import Path

from hms.notify.sink import free_port

__all__ = ['alive', 'descendants', 'free_port']


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
