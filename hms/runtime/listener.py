"""One change-event listener per web process: it receives events from Redis pub/sub (or from this process when
there is no Redis) and calls the callbacks that open pages registered, on the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import redis
import redis.asyncio as aioredis

from hms.events import CHANNEL, Event

logger = logging.getLogger(__name__)
Callback = Callable[[Event], None]


class EventHub:
    def __init__(self) -> None:
        self._subscribers: set[Callback] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connected = False

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Register a callback; returns the function that unregisters it (call it when the page goes away)."""
        self._subscribers.add(callback)
        return lambda: self._subscribers.discard(callback)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def deliver(self, event: Event) -> None:
        """Call every subscriber (on the event loop); a failing page never stops the others."""
        for callback in list(self._subscribers):
            try:
                callback(event)  # callbacks are quick and synchronous; pages start their own async work
            except Exception:  # one page's bug must not stop delivery to the rest
                logger.exception('event subscriber failed')

    def deliver_threadsafe(self, event: Event) -> None:
        """Deliver from any thread (services run in worker threads); dropped when the loop is not running."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.deliver, event)

    async def listen(self, url: str) -> None:
        """Relay the Redis channel to the subscribers until cancelled, reconnecting with back-off."""
        self._loop = asyncio.get_running_loop()
        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.connected, delay = True, 0.5
                    logger.info('events: listening on Redis')
                    async for message in pubsub.listen():
                        if message.get('type') == 'message':
                            with contextlib.suppress(ValueError, KeyError, TypeError):
                                self.deliver(Event.from_json(message['data']))
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as error:
                if self.connected:
                    logger.warning('events: lost Redis (%s); reconnecting', error)
                self.connected = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                self.connected = False
                await client.aclose()


hub = EventHub()  # the one per process: contexts come and go (tests), the listener task stays bound to this
