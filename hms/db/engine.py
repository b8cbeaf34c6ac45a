"""Engine creation: SQLite tuned for a web app with workers beside it, PostgreSQL (almost) as is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Integer, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Connections kept open and reused (the overflow beyond them closes when returned): requests run on up to 40 threads
# (AnyIO's default), and a connection opened per request costs more than the query (the file opened, its schema
# read, the PRAGMAs below). SQLAlchemy's default of 5 made every burst of requests open and close connections.
SQLITE_POOL_SIZE = 16
# PostgreSQL: a sized pool per process (web, each worker process, beat); the server's max_connections bounds the sum.
POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 30


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')  # readers never block the writer
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute(f'PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}')
    cursor.execute('PRAGMA synchronous=NORMAL')  # safe with WAL, much faster commits
    cursor.execute('PRAGMA temp_store=MEMORY')  # sorts and temporary indexes of the larger reads stay off the disk
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite connections get WAL, foreign keys and a busy timeout."""
    kwargs.setdefault('hide_parameters', True)  # a logged database error never carries names, notes or emails
    if url.startswith('sqlite'):
        if ':memory:' not in url and url not in ('sqlite://', 'sqlite+pysqlite://'):
            kwargs.setdefault('pool_size', SQLITE_POOL_SIZE)
            kwargs.setdefault('max_overflow', SQLITE_POOL_SIZE)
        engine = create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30}, **kwargs)
        event.listen(engine, 'connect', _tune_sqlite)
        return engine
    kwargs.setdefault('pool_size', POSTGRES_POOL_SIZE)
    kwargs.setdefault('max_overflow', POSTGRES_MAX_OVERFLOW)
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if engine.dialect.driver == 'psycopg':
        # Integers bound without an ::INTEGER cast (as psycopg2 did): an id beyond the 32-bit columns (the API takes
        # any 64-bit id) then finds no row, as on SQLite, instead of failing with 'integer out of range'.
        engine.dialect.colspecs = {**engine.dialect.colspecs, Integer: Integer}
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
