"""Sharing free slots among concurrent clients so that no two bookings aim at the same slot (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar('T')


def partition(items: Sequence[T], parts: int, *, per_part: int | None = None) -> list[list[T]]:
    """Deal ``items`` round-robin into ``parts`` disjoint lists (at most ``per_part`` each): every item goes to at
    most one part, and the parts differ in length by one at most."""
    if parts < 1:
        raise ValueError('parts must be at least 1')
    limit = len(items) if per_part is None else min(len(items), parts * per_part)
    dealt: list[list[T]] = [[] for _ in range(parts)]
    for index, item in enumerate(items[:limit]):
        dealt[index % parts].append(item)
    return dealt


def race_targets(clients: int, slots: Sequence[T]) -> list[T]:
    """The slot each of ``clients`` racers books: the slots in turn, so each one is wanted by about the same number."""
    if not slots:
        raise ValueError('a race needs at least one slot')
    return [slots[index % len(slots)] for index in range(clients)]
