"""Engine creation: SQLite tuned for a web app with workers beside it, PostgreSQL (almost) as is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Integer, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')  # readers never block the writer
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute(f'PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}')
    cursor.execute('PRAGMA synchronous=NORMAL')  # safe with WAL, much faster commits
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite connections get WAL, foreign keys and a busy timeout."""
    kwargs.setdefault('hide_parameters', True)  # a logged database error never carries names, notes or emails
    if url.startswith('sqlite'):
        engine = create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30}, **kwargs)
        event.listen(engine, 'connect', _tune_sqlite)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if engine.dialect.driver == 'psycopg':
        # Integers bound without an ::INTEGER cast (as psycopg2 did): an id beyond the 32-bit columns (the API takes
        # any 64-bit id) then finds no row, as on SQLite, instead of failing with 'integer out of range'.
        engine.dialect.colspecs = {**engine.dialect.colspecs, Integer: Integer}
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
