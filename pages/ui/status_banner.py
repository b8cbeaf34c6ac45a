"""A banner on every signed-in page while background jobs are delayed (Redis, the job queue, is unreachable):
pages, booking and records keep working; emails, reminders and exports wait until it is back.

Part of the frame (``frame`` shows it on every page), so it lives with the frame in ``ui/``: components build on
``ui/``, never the other way round."""

from __future__ import annotations

import threading
import time

import redis
from nicegui import ui
from redis.backoff import NoBackoff
from redis.retry import Retry

from hms import context as app_context
from hms.i18n import N_, _

from . import theme

PROBE_EVERY_SECONDS = 5.0  # a page build asks Redis at most this often (per process), and never waits long
PROBE_TIMEOUT_SECONDS = 0.5
MESSAGE = N_(
    'Background jobs are delayed: emails, reminders and exports will go out once the job service is back. '
    'Booking, records and everything else on these pages work as usual.'
)

_lock = threading.Lock()
_last: dict[str, tuple[float, bool]] = {}  # Redis URL -> (when checked, reachable)


def show() -> None:
    """Called by the frame: the banner, when background jobs are delayed (nothing otherwise)."""
    if jobs_delayed():
        ui.label(_(MESSAGE)).classes(theme.INFO_BANNER).props('role=status').mark('jobs-delayed')


def jobs_delayed() -> bool:
    """True when a job queue is configured but cannot be reached (no Redis configured: no jobs to delay)."""
    url = app_context.get().settings.redis_url
    return url is not None and not _reachable(url)


def _reachable(url: str) -> bool:
    now = time.monotonic()
    with _lock:
        known = _last.get(url)
        if known is not None and now - known[0] < PROBE_EVERY_SECONDS:
            return known[1]
        _last[url] = (now, known[1] if known else True)  # other pages meanwhile use the last answer
    reachable = _probe(url)
    with _lock:
        _last[url] = (time.monotonic(), reachable)
    return reachable


def _probe(url: str) -> bool:
    client = redis.Redis.from_url(
        url,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()
