"""Change events over real Redis, the generation-keyed cache, and both degrading quietly without Redis."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis

from hms.cache import Cache
from hms.events import CHANNEL, Event, LocalPublisher, RedisPublisher
from hms.runtime.listener import EventHub
from hms.services.tabular import to_csv

DEAD_URL = 'unix:///tmp/hms-no-such-redis.sock'


def test_events_round_trip_as_json() -> None:
    event = Event('appointment.booked', {'appointment_id': 7, 'doctor_id': 2})
    assert Event.from_json(event.to_json()) == event and event.namespace == 'appointment'


def test_redis_publisher_publishes_and_raises_the_generation(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    pubsub.subscribe(CHANNEL)
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    RedisPublisher(redis_url).publish([Event('appointment.booked', {'appointment_id': 1})])
    message = pubsub.get_message(timeout=2)
    assert message is not None and Event.from_json(message['data']).kind == 'appointment.booked'
    assert client.get('hms:gen:appointment') == b'1'
    pubsub.close()
    client.close()


def test_a_change_expires_cached_reads_of_its_namespace(redis_url: str) -> None:
    cache = Cache(redis_url)
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {'value': len(calls)}

    first = cache.get_or_compute('thing', compute, namespaces=('appointment',), scope='a')
    second = cache.get_or_compute('thing', compute, namespaces=('appointment',), scope='a')
    other_scope = cache.get_or_compute('thing', compute, namespaces=('appointment',), scope='b')
    assert (first, second) == (({'value': 1}, False), ({'value': 1}, True))
    assert other_scope == ({'value': 2}, False)  # scopes never share entries
    RedisPublisher(redis_url).publish([Event('doctor.updated')])
    assert cache.get_or_compute('thing', compute, namespaces=('appointment',), scope='a')[1] is True
    RedisPublisher(redis_url).publish([Event('appointment.cancelled')])
    assert cache.get_or_compute('thing', compute, namespaces=('appointment',), scope='a') == ({'value': 3}, False)
    assert (cache.hits, cache.misses) == (2, 3)


def test_without_redis_the_cache_reads_through_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    cache = Cache(DEAD_URL)
    with caplog.at_level(logging.WARNING, logger='hms.cache'):
        results = [cache.get_or_compute('x', lambda: 42, namespaces=('appointment',)) for _ in range(3)]
    assert results == [(42, False)] * 3
    assert len([r for r in caplog.records if 'unreachable' in r.message]) == 1
    assert Cache(None).get_or_compute('x', lambda: 1, namespaces=()) == (1, False)


def test_publishing_without_redis_never_fails_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    publisher = RedisPublisher(DEAD_URL)
    with caplog.at_level(logging.WARNING, logger='hms.events'):
        publisher.publish([Event('appointment.booked')])
        publisher.publish([Event('appointment.booked')])
    assert len([r for r in caplog.records if 'unreachable' in r.message]) == 1


def test_local_publisher_calls_listeners() -> None:
    seen: list[Event] = []
    publisher = LocalPublisher()
    publisher.listeners.append(seen.append)
    publisher.publish([Event('appointment.booked')])
    assert [event.kind for event in seen] == ['appointment.booked']


async def test_the_hub_relays_redis_events_to_subscribers(redis_url: str) -> None:
    hub = EventHub()
    received: asyncio.Queue[Event] = asyncio.Queue()
    unsubscribe = hub.subscribe(received.put_nowait)
    task = asyncio.create_task(hub.listen(redis_url))
    try:
        for _ in range(100):
            if hub.connected:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)  # the SUBSCRIBE is sent just after the flag flips
        await asyncio.to_thread(RedisPublisher(redis_url).publish, [Event('appointment.completed', {'id': 3})])
        event = await asyncio.wait_for(received.get(), timeout=30)  # slack for a busy machine
        assert (event.kind, event.data) == ('appointment.completed', {'id': 3})
        unsubscribe()
        assert hub.subscriber_count == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    hub = EventHub()
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError('page bug')

    hub.subscribe(broken)
    hub.subscribe(lambda event: seen.append(event.kind))
    hub.deliver(Event('appointment.booked'))
    assert seen == ['appointment.booked']


def test_csv_is_bom_utf8_rfc4180_and_formula_safe() -> None:
    data = to_csv(['name', 'note', 'count'], [['Zoë Ñúñez', '=HYPERLINK("x")', -3], ['@SUM', 'a,"b"\nc', 1.5]])
    assert data.startswith('\ufeff'.encode())
    text = data.decode('utf-8-sig')
    assert text.splitlines()[0] == 'name,note,count'
    assert '\'=HYPERLINK(""x"")' in text and "'@SUM" in text and ',-3\r\n' in text
    assert '"a,""b""\nc"' in text and text.endswith('\r\n')
