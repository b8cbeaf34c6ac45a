"""How each part of the background machinery is judged (ok, late or down) from its signal, and the evidence in words.

The signals are gathered by ``jobs_admin.health``; these functions only judge them, so the thresholds are one rule
each, tested without any process running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hms import clock
from hms.i18n import N_, _, ngettext
from hms.i18n.formats import format_datetime, format_number
from hms.runtime import heartbeat

COMPONENTS = ('redis', 'worker', 'scheduler', 'outbox')
STATUSES = ('ok', 'late', 'down')
# The scheduler writes its heartbeat every 10 s: three missed in a row is late, two minutes of silence is down.
SCHEDULER_LATE_AFTER = timedelta(seconds=3 * heartbeat.INTERVAL_SECONDS)
SCHEDULER_DOWN_AFTER = timedelta(minutes=2)
# The outbox is drained every minute: a row waiting longer than two minutes is late, fifteen is down.
OUTBOX_LATE_AFTER = timedelta(minutes=2)
OUTBOX_DOWN_AFTER = timedelta(minutes=15)
REDIS_UNKNOWN = N_('Unknown while Redis does not answer.')


@dataclass(frozen=True)
class ComponentHealth:
    """One part of the background machinery, judged from a real signal, with the evidence in words."""

    name: str  # one of COMPONENTS
    status: str  # one of STATUSES
    seen_at: datetime | None  # scheduler: its last heartbeat; outbox: when the oldest waiting row was written
    age_seconds: float | None  # how long before the check seen_at was
    evidence: str  # translated, e.g. 'Last heartbeat 7 Dec 2026, 10:04:05 (8 s ago).'


def _status(age: timedelta, late_after: timedelta, down_after: timedelta) -> str:
    if age > down_after:
        return 'down'
    return 'late' if age > late_after else 'ok'


def age_text(seconds: float) -> str:
    """'8 s', '12 min', '3 h': how long ago, short."""
    if seconds < 120:
        return _('{seconds} s', seconds=format_number(max(seconds, 0), digits=0))
    if seconds < 2 * 3600:
        return _('{minutes} min', minutes=format_number(seconds / 60, digits=0))
    return _('{hours} h', hours=format_number(seconds / 3600, digits=0))


def redis(reachable: bool) -> ComponentHealth:
    if reachable:
        return ComponentHealth('redis', 'ok', None, None, _('Answers PING.'))
    return ComponentHealth('redis', 'down', None, None, _('Does not answer PING.'))


def worker(names: list[str], ping_seconds: float) -> ComponentHealth:
    if names:
        evidence = ngettext(
            '{n} worker answered a ping: {names}.',
            '{n} workers answered a ping: {names}.',
            len(names),
            names=', '.join(names),
        )
        return ComponentHealth('worker', 'ok', None, None, evidence)
    seconds = format_number(ping_seconds, digits=0)
    return ComponentHealth(
        'worker', 'down', None, None, _('No worker answered a ping within {seconds} s.', seconds=seconds)
    )


def scheduler(last_beat: datetime | None, redis_reachable: bool, zone: ZoneInfo) -> ComponentHealth:
    if not redis_reachable:
        return ComponentHealth('scheduler', 'down', None, None, _(REDIS_UNKNOWN))
    if last_beat is None:
        return ComponentHealth('scheduler', 'down', None, None, _('No heartbeat yet.'))
    age = clock.now() - last_beat
    evidence = _(
        'Last heartbeat {when} ({age} ago).',
        when=format_datetime(last_beat, zone=zone),
        age=age_text(age.total_seconds()),
    )
    status = _status(age, SCHEDULER_LATE_AFTER, SCHEDULER_DOWN_AFTER)
    return ComponentHealth('scheduler', status, last_beat, age.total_seconds(), evidence)


def outbox(oldest: datetime | None, waiting: int, zone: ZoneInfo) -> ComponentHealth:
    if oldest is None or waiting == 0:
        return ComponentHealth('outbox', 'ok', None, None, _('Nothing waiting to be handed to the worker.'))
    age = clock.now() - oldest
    evidence = ngettext(
        '{n} message waiting, the oldest since {when} ({age}).',
        '{n} messages waiting, the oldest since {when} ({age}).',
        waiting,
        when=format_datetime(oldest, zone=zone),
        age=age_text(age.total_seconds()),
    )
    return ComponentHealth(
        'outbox', _status(age, OUTBOX_LATE_AFTER, OUTBOX_DOWN_AFTER), oldest, age.total_seconds(), evidence
    )
