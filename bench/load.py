"""Concurrent HTTP clients against the running server: sign-ins, and timed calls from N clients at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .measure import Summary, summarize


@dataclass(frozen=True)
class Call:
    """One request: method, path (with query), bearer token, JSON body; ``tag`` groups answers (e.g. per slot)."""

    method: str
    path: str
    token: str | None = None
    body: dict[str, Any] | None = None
    tag: Any = None


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: list[tuple[Any, int]] = field(default_factory=list)  # (tag, status); 0 = transport failure
    wall_s: float = 0.0

    def summary(self) -> Summary:
        errors = sum(1 for _, status in self.statuses if status == 0 or status >= 500)
        rejected = sum(1 for _, status in self.statuses if 400 <= status < 500)
        return summarize(self.latencies, self.wall_s, errors=errors, rejected=rejected)


def client(base_url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=httpx.Timeout(60.0))


async def _send(http: httpx.AsyncClient, call: Call) -> tuple[float, int]:
    headers = {'Authorization': f'Bearer {call.token}'} if call.token else None
    started = time.perf_counter()
    try:
        response = await http.request(call.method, call.path, headers=headers, json=call.body)
        status = response.status_code
    except httpx.HTTPError:
        status = 0
    return time.perf_counter() - started, status


async def drive(http: httpx.AsyncClient, plans: Sequence[Sequence[Call]], *, together: bool = False) -> Outcome:
    """Each plan is one client sending its calls one after another; all clients run at once. ``together`` holds
    every client at a gate until all are ready, then releases them at the same moment (a race)."""
    outcome = Outcome()
    gate = asyncio.Event()

    async def one(plan: Sequence[Call]) -> None:
        if together:
            await gate.wait()
        for call in plan:
            latency, status = await _send(http, call)
            outcome.latencies.append(latency)
            outcome.statuses.append((call.tag, status))

    tasks = [asyncio.create_task(one(plan)) for plan in plans]
    await asyncio.sleep(0)
    started = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    outcome.wall_s = time.perf_counter() - started
    return outcome


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> str:
    response = await http.post('/api/login', json={'email': email, 'password': password})
    response.raise_for_status()
    return str(response.json()['access_token'])


async def sign_in_many(http: httpx.AsyncClient, emails: Sequence[str], password: str, parallel: int = 4) -> list[str]:
    """Bearer tokens for ``emails`` in order; a few at a time (argon2 takes 64 MiB and tens of ms per sign-in)."""
    limit = asyncio.Semaphore(parallel)

    async def one(email: str) -> str:
        async with limit:
            return await sign_in(http, email, password)

    return list(await asyncio.gather(*(one(email) for email in emails)))
