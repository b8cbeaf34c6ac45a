"""Live dashboards, cheaply: one subscription to the process's event hub for all open dashboards. A burst of changes
(``DELAY``) is computed once per filter set and language, not once per open page; each distinct session is checked
once per burst; each page is then handed the new data and figures and sends only what changed
(``pages/components/chart_view.py`` sends a figure's data alone when its layout did not change)."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

from nicegui import background_tasks

from hms import context as app_context
from hms import i18n
from hms.domain.enums import SessionKind
from hms.domain.errors import DomainError
from hms.events import Event
from hms.services import accounts, stats
from hms.services.principal import Principal
from hms.services.stats import StatsQuery

from ..ui.services import call, in_thread

logger = logging.getLogger(__name__)

DELAY = 0.25  # seconds: a burst of changes becomes one computation
LIVE_NAMESPACES = frozenset(stats.STATS_NAMESPACES)
STUCK_SECONDS = 30.0  # a burst not finished by then (its loop stopped) no longer holds the next one back


class Follower(Protocol):
    """An open dashboard as the broadcast sees it."""

    token: str
    language: str

    def live_query(self) -> tuple[StatsQuery, bool] | None:
        """The filter on show and whether the previous period is overlaid (None: not following now)."""

    def push(self, data: dict[str, Any], figures: dict[str, Any]) -> None:
        """Show new data and figures (built once for all pages of this filter and language)."""

    def signed_out(self) -> None:
        """The session ended: stop following (the page's own checks send the browser to sign in)."""


Builder = Callable[[dict[str, Any], bool], dict[str, Any]]  # (data, overlay) -> figures by chart stem


class Broadcast:
    def __init__(self, build: Builder) -> None:
        self.build = build
        self.followers: set[Follower] = set()
        self.pending = False
        self.pending_since = 0.0
        self.pending_loop: asyncio.AbstractEventLoop | None = None  # a burst of a loop that stopped never ends
        self.bursts = 0  # computations started, for tests and the bench
        self.computed = 0  # filter sets computed over all bursts
        self.refreshing = 0  # refreshes under way (a burst's, or a caller's)
        self._unsubscribe: Callable[[], None] | None = None

    def follow(self, follower: Follower) -> Callable[[], None]:
        if self._unsubscribe is None:
            self._unsubscribe = app_context.get().hub.subscribe(self.on_event)
        self.followers.add(follower)
        return lambda: self.followers.discard(follower)

    def on_event(self, event: Event) -> None:
        if event.namespace not in LIVE_NAMESPACES or not self.followers:
            return
        loop = asyncio.get_running_loop()
        if self.pending and self.pending_loop is loop and time.monotonic() - self.pending_since < STUCK_SECONDS:
            return  # the burst under way takes this change too
        self.pending, self.pending_since, self.pending_loop = True, time.monotonic(), loop
        background_tasks.create(self._burst(), name='dashboard-broadcast')

    async def _burst(self) -> None:
        await asyncio.sleep(DELAY)
        self.pending = False  # a change from now on starts the next burst
        self.bursts += 1
        try:
            await self.refresh()
        except Exception:  # a failing burst must not stop the next one
            logger.exception('dashboard broadcast failed')

    async def refresh(self) -> None:
        """Compute every followed filter set once and hand the result to its pages."""
        self.refreshing += 1
        try:
            await self._refresh()
        finally:
            self.refreshing -= 1

    async def _refresh(self) -> None:
        principals = await self._sessions({follower.token for follower in self.followers})
        groups: dict[tuple[str, str, bool], list[Follower]] = defaultdict(list)
        queries: dict[tuple[str, str, bool], StatsQuery] = {}
        for follower in list(self.followers):
            if principals.get(follower.token) is None:
                follower.signed_out()
                self.followers.discard(follower)
                continue
            wanted = follower.live_query()
            if wanted is None:
                continue
            key = _key(follower, wanted)
            groups[key].append(follower)
            queries[key] = wanted[0]
        for key, members in groups.items():
            principal = principals[members[0].token]
            assert principal is not None
            with i18n.use_language(key[1]):
                try:
                    data = await load(principal, queries[key])
                except DomainError:
                    continue
                self.computed += 1
                figures = self.build(data, key[2])
                for follower in members:
                    # A page whose filter changed while this was read has its own, newer figures on show.
                    wanted = follower.live_query()
                    if follower in self.followers and wanted is not None and _key(follower, wanted) == key:
                        follower.push(data, figures)

    async def _sessions(self, tokens: set[str]) -> dict[str, Principal | None]:
        """Each distinct session checked once (live pushes come without a request)."""
        found: dict[str, Principal | None] = {}
        for token in tokens:
            try:
                found[token] = await call(accounts.authenticate, token, kind=SessionKind.WEB, touch=False)
            except DomainError:
                found[token] = None
        return found


def _key(follower: Follower, wanted: tuple[StatsQuery, bool]) -> tuple[str, str, bool]:
    """Pages with equal keys are shown the same data and figures."""
    query, overlay = wanted
    return (query.key(), follower.language, overlay)


async def load(principal: Principal, query: StatsQuery) -> dict[str, Any]:
    """The dashboard's data for ``query`` with the previous period, through the cache."""
    ctx = app_context.get()
    data, _cached = await in_thread(
        stats.dashboard_cached, ctx.cache, ctx.uow, ctx.settings, principal, query, compare=True
    )
    return data


_broadcasts: weakref.WeakKeyDictionary[Any, Broadcast] = weakref.WeakKeyDictionary()


def broadcast(build: Builder) -> Broadcast:
    """The broadcast of the current application context (one per process; tests make new contexts)."""
    hub = app_context.get().hub
    found = _broadcasts.get(hub)
    if found is None:
        found = _broadcasts[hub] = Broadcast(build)
    return found
