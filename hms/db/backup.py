"""The database side of backups: what a database URL points to, and SQLite files copied and examined through the
SQLite online backup API (consistent while the application keeps writing, WAL included)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

Error = sqlite3.Error  # what the functions below raise when SQLite refuses (DatabaseError: not a sound database)
DatabaseError = sqlite3.DatabaseError
BUSY_TIMEOUT_SECONDS = 30


def sqlite_database(url: str) -> str | None:
    """The database part of an SQLite URL (a path, ``:memory:`` or empty), or None when the URL is not SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != 'sqlite':
        return None
    return parsed.database or ''


def libpq_url(url: str) -> tuple[str, str | None]:
    """The URL as the PostgreSQL tools read it, without its password, and the password apart."""
    parsed = make_url(url).set(drivername='postgresql')
    password = str(parsed.password) if parsed.password else None
    return parsed.set(password=None).render_as_string(hide_password=False), password


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f'{path.as_uri()}?mode=ro', uri=True)


def snapshot(database: Path, target: Path) -> None:
    """A consistent copy of the live ``database`` into ``target`` as one self-contained file (rollback journal, not
    WAL). The source is opened for writing: read-only opens of a WAL file fail without its -shm."""
    source = sqlite3.connect(database, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
            destination.execute('PRAGMA journal_mode=DELETE')
        finally:
            destination.close()
    finally:
        source.close()


def overwrite(database: Path, backup_file: Path) -> None:
    """Copy ``backup_file`` (opened read-only) over the contents of ``database``."""
    source = _read_only(backup_file)
    target = sqlite3.connect(database, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def examine(path: Path) -> tuple[list[str], set[str]]:
    """The lines of ``PRAGMA integrity_check`` (``['ok']`` for a sound file) and the names of the file's tables."""
    connection = _read_only(path)
    try:
        result = [row[0] for row in connection.execute('PRAGMA integrity_check')]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        connection.close()
    return result, tables
