"""The beat scheduler HMS runs: RedBeat (celery-redbeat: the schedule and last run times in Redis, under a lock one
beat holds at a time, so beats on several machines send each job once, and a daily or monthly job whose time passed
while beat was down runs once when it is back) that also writes the scheduler's heartbeat (``hms.runtime.heartbeat``)
from the beat process holding the lock."""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from redbeat import RedBeatScheduler  # type: ignore[import-untyped]

from hms.config import Settings
from hms.runtime import heartbeat

logger = logging.getLogger(__name__)


class HeartbeatScheduler(RedBeatScheduler):
    """Writes the heartbeat on a tick that finds nothing due (everything due has been sent, so a fresh heartbeat also
    says the scheduler is keeping up), at most every ``heartbeat.INTERVAL_SECONDS``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis_url = Settings().redis_url
        self._last_beat = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = float(super().tick(*args, **kwargs))
        now = time.monotonic()
        if self._redis_url and interval > 0 and now - self._last_beat >= heartbeat.INTERVAL_SECONDS:
            self._last_beat = now
            try:
                heartbeat.record(self._redis_url)
            except redis.RedisError as error:  # Redis away: the heartbeat ages, which is what the admin should see
                logger.warning('beat: could not write the heartbeat (%s)', type(error).__name__)
        return min(interval, heartbeat.INTERVAL_SECONDS)
