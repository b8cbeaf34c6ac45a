"""Ports: what ``hms`` needs of the outer components that the composition root plugs in.

``hms`` never imports ``jobs``: ``jobs`` implements these with Celery, and ``hms.cli`` (the composition root, called by
main.py), the worker (``jobs.worker``) and the tests hand the implementation to ``hms.context``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hms.config import Settings


class TaskQueue(Protocol):
    """A connection to the job system: send a task by name with JSON arguments (ids only, never objects)."""

    @property
    def control(self) -> Any:
        """The workers' remote control (ping), for the admin's health view."""

    @property
    def tasks(self) -> Mapping[str, Any]:
        """The tasks the project registers, by name."""

    @property
    def loader(self) -> Any:
        """Imports the task modules (so that ``tasks`` lists them all)."""

    def send_task(self, name: str, args: Any = None, kwargs: dict[str, Any] | None = None, **options: Any) -> Any: ...

    def close(self) -> None: ...


OpenQueue = Callable[[], TaskQueue]
"""Opens a new connection to the job system; the caller closes it."""

QueueFactory = Callable[[Settings], TaskQueue]
"""What the composition root plugs in: opens a connection to the job system named by these settings."""
