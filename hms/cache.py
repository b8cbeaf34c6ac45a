"""Read-through caching in Redis: keys carry the generation of the data they depend on, so any change event in that
namespace makes them unreachable at once (and they expire on their own). Without Redis, or while it is down, every
read goes to the database; the outage is logged once, never shown to a user.

Key scheme: ``hms:cache:{name}[.{shape}]:{generations}:{scope}``. ``name`` says what is cached (``departments``,
``doctors``, ``doctor``, ``slots``, ``dashboard``), ``shape`` fingerprints the cached type, ``generations`` are the
counters ``hms:gen:{namespace}`` of the process-start ``epoch`` and of every namespace the value depends on (for a
read about one doctor, ``{namespace}@doctor:{id}`` and ``{namespace}@doctor:any``: see ``events``), and
``scope`` names the exact query (never a person's data; a per-user value must put the user's id in it). A value may
also carry the instant after which it is no longer true (free slots stop being bookable as the clock moves),
checked against ``hms.clock`` on every read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timezone
from typing import Any, Generic, TypeVar

import redis
from pydantic import TypeAdapter
from redis.commands.core import Script

from . import clock
from .events import GENERATION_KEY, RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)
T = TypeVar('T')
PREFIX = 'hms:cache:'
MEMO_ENTRIES = 512  # decoded values kept per process, by key (a key names its generations: never stale)
# In every key. Each process raises it when it first reaches Redis, so nothing cached before a (re)start is read
# back: the data may have been changed offline meanwhile (seed-demo, a restore, a write whose event was lost).
EPOCH = 'epoch'


class Codec(Generic[T]):
    """JSON for one type (dataclasses, pydantic models, lists of them), round-tripping aware datetimes exactly."""

    def __init__(self, kind: Any) -> None:
        self._adapter: TypeAdapter[T] = TypeAdapter(kind)
        schema = json.dumps(self._adapter.json_schema(), sort_keys=True)
        # In the key: a value written by a version of the code with another shape is never read back.
        self.tag = digest(schema)[:8]
        self._has_datetimes = '"date-time"' in schema

    def dumps(self, value: T) -> bytes:
        return self._adapter.dump_json(value)

    def loads(self, raw: bytes) -> T:
        value = self._adapter.validate_json(raw)
        return _exact(value) if self._has_datetimes else value


def _exact(value: Any) -> Any:
    """pydantic gives aware datetimes its own tzinfo class; put back the standard one (UTC stays ``datetime.UTC``)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        offset = value.utcoffset()
        return value.astimezone(UTC if not offset else timezone(offset))
    if isinstance(value, list):
        return [_exact(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {f.name: _exact(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changed)
    return value


class _Json(Codec[Any]):
    """Plain JSON data as is (the dashboard's figures), dates written as strings."""

    def __init__(self) -> None:
        self.tag = ''

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value, default=str, separators=(',', ':')).encode()

    def loads(self, raw: bytes) -> Any:
        return json.loads(raw)


JSON: Codec[Any] = _Json()


def digest(*parts: object) -> str:
    """A short, fixed-length key part for free text (search words), so keys stay bounded and never hold input."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


# KEYS: the generation counters (epoch first); ARGV: the key's prefix and scope, and whether to read the value.
# Returns the generations as the key writes them, and the stored value (or nil): one round trip per cached read.
_LOOKUP = """
local found = redis.call('MGET', unpack(KEYS))
local parts = {}
for index = 1, #KEYS do parts[index] = found[index] or '0' end
local versions = table.concat(parts, '.')
if ARGV[3] == '0' then return {versions, false} end
return {versions, redis.call('GET', ARGV[1] .. ':' .. versions .. ':' .. ARGV[2])}
"""


class Cache:
    def __init__(self, url: str | None) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1) if url else None
        self._down_since: float | None = None
        self._started = False
        self._script: Script | None = None
        self._memo: OrderedDict[str, tuple[bytes, Any]] = OrderedDict()  # key -> (bytes, decoded), newest last
        self._memo_lock = threading.Lock()
        self.counts: dict[str, Counter[str]] = {}

    @property
    def hits(self) -> int:
        return sum(count['hits'] for count in list(self.counts.values()))  # a copy: request threads add names

    @property
    def misses(self) -> int:
        return sum(count['misses'] for count in list(self.counts.values()))

    @property
    def available(self) -> bool:
        if self.client is None:
            return False
        return self._down_since is None or time.monotonic() - self._down_since >= RETRY_AFTER_SECONDS

    def _failed(self, error: Exception) -> None:
        if self._down_since is None:
            logger.warning('cache: Redis unreachable (%s); reading from the database until it is back', error)
        self._down_since = time.monotonic()

    def _count(self, name: str, outcome: str) -> None:
        self.counts.setdefault(name, Counter())[outcome] += 1

    def key(self, name: str, *, namespaces: tuple[str, ...], scope: str = '') -> str | None:
        """The cache key of ``name`` for ``scope`` at the current generations of ``namespaces`` (None if no cache)."""
        found = self._lookup(name, namespaces, scope, read=False)
        return found[0] if found is not None else None

    def _lookup(
        self, name: str, namespaces: tuple[str, ...], scope: str, *, read: bool = True
    ) -> tuple[str, bytes | None] | None:
        """The key at the current generations and, with ``read``, its stored value: one round trip (a Lua script
        reads the generations and the value together). None when there is no cache to use."""
        if not self.available:
            return None
        assert self.client is not None
        try:
            if not self._started:  # what this process finds cached may predate offline changes (seed, restore)
                self.client.incr(GENERATION_KEY.format(namespace=EPOCH))
                self._started = True
            if self._script is None:
                self._script = self.client.register_script(_LOOKUP)
            generations = [GENERATION_KEY.format(namespace=n) for n in (EPOCH, *namespaces)]
            versions, raw = self._script(keys=generations, args=[f'{PREFIX}{name}', scope, int(read)])
        except redis.RedisError as error:
            self._failed(error)
            return None
        if self._down_since is not None:
            logger.info('cache: Redis reachable again')
        self._down_since = None
        key = f'{PREFIX}{name}:{_text(versions)}:{scope}'
        return key, (raw if isinstance(raw, bytes) or raw is None else raw.encode())

    def get_or_compute(
        self,
        name: str,
        compute: Callable[[], T],
        *,
        namespaces: tuple[str, ...],
        scope: str = '',
        ttl: int = 600,
        codec: Codec[T] = JSON,
        valid_until: Callable[[T], datetime | None] | None = None,
    ) -> tuple[T, bool]:
        """The cached value, or ``compute()`` stored for next time; the flag says whether it was a hit.

        A hit is one round trip to Redis; a miss adds the SET. ``valid_until`` gives the instant after which a
        computed value is no longer true; it is then read as a miss.
        """
        found = self._lookup(f'{name}.{codec.tag}' if codec.tag else name, namespaces, scope)
        key = found[0] if found is not None else None
        if found is not None and found[1] is not None:
            stored = self._decoded(found[0], found[1], codec)
            if stored is not None:
                self._count(name, 'hits')
                return stored[0], True
        self._count(name, 'misses')
        value = compute()
        if key is not None:
            assert self.client is not None
            until_at = valid_until(value) if valid_until is not None else None
            head = until_at.isoformat().encode() if until_at is not None else b''
            try:
                self.client.set(key, head + b'\n' + codec.dumps(value), ex=ttl)
            except redis.RedisError as error:
                self._failed(error)
        return value, False

    def _decoded(self, key: str, raw: bytes, codec: Codec[T]) -> tuple[T] | None:
        """The stored value, decoded; the same bytes under the same key were decoded before in this process, so
        typed values (immutable views) are kept decoded, and only the bytes are compared (JSON data, which callers
        may change, is decoded each time)."""
        if not codec.tag:
            return _decode(raw, codec)
        with self._memo_lock:
            kept = self._memo.get(key)
            if kept is not None:
                self._memo.move_to_end(key)
        if kept is not None and kept[0] == raw:
            if not _still_true(raw):
                return None
            value = kept[1]
            return (list(value) if isinstance(value, list) else value,)  # type: ignore[return-value]
        decoded = _decode(raw, codec)
        if decoded is not None:
            with self._memo_lock:
                self._memo[key] = (raw, decoded[0])
                if len(self._memo) > MEMO_ENTRIES:
                    self._memo.popitem(last=False)
            value = decoded[0]
            return (list(value) if isinstance(value, list) else value,)  # type: ignore[return-value]
        return None

    def stats(self) -> dict[str, Any]:
        """This process's hits and misses, in all and per cached read, and whether Redis is in use right now."""
        by_name = {name: {'hits': c['hits'], 'misses': c['misses']} for name, c in sorted(list(self.counts.items()))}
        return {'hits': self.hits, 'misses': self.misses, 'available': self.available, 'by_name': by_name}


def _text(value: bytes | str) -> str:
    """A Redis reply as text (this client answers bytes; the stubs allow str too)."""
    return value.decode() if isinstance(value, bytes) else value


def _still_true(raw: bytes) -> bool:
    """Whether a stored value's "no longer true after" instant (its first line) has not passed."""
    until = raw[: raw.find(b'\n')] if b'\n' in raw else b''
    try:
        return not until or clock.now() <= datetime.fromisoformat(until.decode())
    except ValueError:
        return False


def _decode(raw: bytes, codec: Codec[T]) -> tuple[T] | None:
    """The stored value if it is still true now; None for an expired or unreadable one (then it is recomputed)."""
    until, _, payload = raw.partition(b'\n')
    try:
        if until and clock.now() > datetime.fromisoformat(until.decode()):
            return None
        return (codec.loads(payload),)
    except ValueError:  # written by an older version, or damaged: not worth an error
        return None


def read_through(
    cache: Cache | None,
    name: str,
    compute: Callable[[], T],
    *,
    namespaces: tuple[str, ...],
    scope: str = '',
    ttl: int = 600,
    codec: Codec[T] = JSON,
    valid_until: Callable[[T], datetime | None] | None = None,
) -> tuple[T, bool]:
    """``cache.get_or_compute``, or a plain read when there is no cache to use (``UnitOfWork.read_cache`` is None
    while the unit of work holds uncommitted changes, which must never be cached)."""
    if cache is None:
        return compute(), False
    return cache.get_or_compute(
        name, compute, namespaces=namespaces, scope=scope, ttl=ttl, codec=codec, valid_until=valid_until
    )
