"""The request path's cheap parts: API requests go past the pages' session middleware (no browser session, no cookie,
the same security headers and request id), a cached read is one Redis round trip, SQLite connections are reused."""

from __future__ import annotations

from typing import Any

import pytest
from nicegui.testing import User
from sqlalchemy import text

from hms.cache import Cache
from hms.context import AppContext
from hms.db.engine import SQLITE_POOL_SIZE, make_engine


async def test_an_api_answer_sets_no_browser_session_and_keeps_the_headers(user: User) -> None:
    response = await user.http_client.get('/api/health', headers={'X-Request-ID': 'probe-1'})
    assert response.status_code == 200
    assert 'set-cookie' not in response.headers  # NiceGUI's session middleware never saw it
    assert response.headers['x-request-id'] == 'probe-1'
    assert response.headers['cache-control'] == 'no-store'
    assert response.headers['x-content-type-options'] == 'nosniff'
    head = await user.http_client.head('/api/health')
    assert head.status_code == 200 and head.content == b''
    page = await user.http_client.get('/login')
    assert 'set-cookie' in page.headers  # the pages keep their browser session


def test_a_cached_read_is_one_round_trip_to_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Cache(redis_url)
    assert cache.client is not None
    computed: list[int] = []

    def compute() -> dict[str, int]:
        computed.append(1)
        return {'answer': 42}

    assert cache.get_or_compute('probe', compute, namespaces=('appointment',), scope='x') == ({'answer': 42}, False)
    sent: list[Any] = []
    original = cache.client.execute_command

    def counting(*args: Any, **kwargs: Any) -> Any:
        sent.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(cache.client, 'execute_command', counting)
    assert cache.get_or_compute('probe', compute, namespaces=('appointment',), scope='x') == ({'answer': 42}, True)
    assert len(sent) == 1 and computed == [1]  # the generations and the value in one script call
    cache.client.incr('hms:gen:appointment')  # a change in the namespace: the next read misses
    assert cache.get_or_compute('probe', compute, namespaces=('appointment',), scope='x')[1] is False
    assert computed == [1, 1]


def test_sqlite_connections_are_tuned_and_reused(ctx: AppContext) -> None:
    url = ctx.settings.effective_database_url
    if not url.startswith('sqlite'):
        pytest.skip('SQLite only')
    engine = make_engine(url)
    try:
        assert engine.pool.size() == SQLITE_POOL_SIZE  # type: ignore[attr-defined]
        with engine.connect() as connection:
            first = connection.connection.dbapi_connection
            assert connection.execute(text('PRAGMA journal_mode')).scalar() == 'wal'
            assert connection.execute(text('PRAGMA synchronous')).scalar() == 1  # NORMAL
            assert connection.execute(text('PRAGMA busy_timeout')).scalar() == 10_000
        with engine.connect() as connection:
            assert connection.connection.dbapi_connection is first  # the same connection again, not a new one
    finally:
        engine.dispose()


def test_a_typed_value_is_decoded_once_per_process_and_its_expiry_still_holds(
    redis_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from hms.cache import Codec

    cache = Cache(redis_url)
    codec: Codec[list[int]] = Codec(list[int])
    decoded: list[bytes] = []
    original = codec.loads
    monkeypatch.setattr(codec, 'loads', lambda raw: decoded.append(raw) or original(raw))
    until = clock.now() + timedelta(minutes=5)

    def read() -> tuple[list[int], bool]:
        return cache.get_or_compute('memo', lambda: [1, 2], namespaces=('x',), codec=codec, valid_until=lambda _: until)

    assert read() == ([1, 2], False)
    first, hit = read()
    assert (first, hit) == ([1, 2], True)
    first.append(3)  # a caller changing its copy changes nobody else's
    assert read() == ([1, 2], True)
    assert len(decoded) == 1  # decoded once, then only the bytes compared
    clock.advance(timedelta(minutes=6))
    assert read()[1] is False  # no longer true: recomputed, as without the memo
