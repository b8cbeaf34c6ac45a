"""How pages call the services: in a worker thread (never blocking the event loop), each call in a unit of work of
its own, opened from the process's context.

``await call(records.patient_history, actor, patient_id)`` runs ``records.patient_history(uow, settings, actor,
patient_id)``: the unit of work always comes first, then the clinic's settings where the service's second parameter is
``settings``. A page's own read that combines several services in one unit of work is a function of the same shape.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from functools import cache, partial
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

from nicegui import run

from hms import context as app_context
from hms import i18n
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.errors import NotFound

P = ParamSpec('P')
R = TypeVar('R')
ID = re.compile(r'[0-9]{1,18}')  # an id as a page's address carries it


@overload
async def call(service: Callable[Concatenate[UnitOfWork, Settings, P], R], *args: P.args, **kwargs: P.kwargs) -> R: ...


@overload
async def call(service: Callable[Concatenate[UnitOfWork, P], R], *args: P.args, **kwargs: P.kwargs) -> R: ...


async def call(service: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``service(uow, [settings,] *args, **kwargs)`` in a worker thread, in a unit of work of its own."""
    return await in_thread(_in_unit_of_work, service, args, kwargs)


async def in_thread(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``function(*args, **kwargs)`` in a worker thread: for services that are handed the context's factories (the
    unit of work, the task queue) rather than one unit of work."""
    # The thread speaks the page's language: messages a service words (refusals, notices) come out in it.
    boxed = await run.io_bound(partial(_boxed, i18n.current_language(), function, *args, **kwargs))
    if boxed is None:  # NiceGUI is shutting down and ran nothing (NiceGUI 4 raises this itself)
        raise asyncio.CancelledError
    return boxed[0]


def _boxed(language: str, function: Callable[..., R], *args: Any, **kwargs: Any) -> tuple[R]:
    with i18n.use_language(language):
        return (function(*args, **kwargs),)  # a result of None stays distinguishable from "did not run"


def _in_unit_of_work(service: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]) -> R:
    ctx = app_context.get()
    with ctx.uow() as uow:
        if _takes_settings(service):
            return service(uow, ctx.settings, *args, **kwargs)
        return service(uow, *args, **kwargs)


@cache
def _takes_settings(service: Callable[..., Any]) -> bool:
    parameters = list(inspect.signature(service).parameters)
    return len(parameters) > 1 and parameters[1] == 'settings'


async def find(typed_id: str, read: Callable[[int], Awaitable[R]]) -> R | None:
    """What ``read`` finds for an id from a page's address; None when it is no id, or nothing has it (NotFound)."""
    if not ID.fullmatch(typed_id):
        return None
    try:
        return await read(int(typed_id))
    except NotFound:
        return None
