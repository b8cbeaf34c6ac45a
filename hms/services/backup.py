"""Backups and restores of the database.

SQLite: the online backup API copies a consistent snapshot while the app keeps running (WAL included), into a
timestamped single-file database readable by its owner only, then checked with ``PRAGMA integrity_check``.
PostgreSQL: ``pg_dump -Fc`` when it is on PATH (restore with ``pg_restore``); otherwise the instructions.
A restore checks the file first, keeps the database it replaces as ``*.before-restore-<time>``, copies the backup
in through the same backup API, and migrates it, so an older backup comes back at the current schema.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hms.config import Settings
from hms.db import backup as db
from hms.db.migrate import upgrade
from hms.i18n import _

SQLITE_HEADER = b'SQLite format 3\x00'
BACKUP_FOLDER = 'backups'
# Tables every HMS database has; a file without them is some other SQLite database.
_HMS_TABLES = {'alembic_version', 'users', 'audit_log'}

PG_COMMANDS = """  back up:  pg_dump -Fc --no-owner -f hms-YYYYmmdd.dump "$DATABASE_URL"
  restore:  pg_restore --clean --if-exists --no-owner -d "$DATABASE_URL" hms-YYYYmmdd.dump
            then: python main.py migrate && python main.py audit-verify"""


def pg_instructions() -> str:
    """How to back up and restore PostgreSQL by hand, in the language in force (the commands stay as they are)."""
    return _(
        'PostgreSQL backups use the PostgreSQL tools:\n{commands}\n'
        "Install the PostgreSQL client (pg_dump/pg_restore of the server's major version) to let HMS run pg_dump "
        'for you.',
        commands=PG_COMMANDS,
    )


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    engine: str  # 'sqlite' | 'postgresql'


@dataclass(frozen=True)
class RestoreResult:
    database: Path
    previous: Path | None  # the replaced database, kept


def _stamp() -> str:
    return datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')


def sqlite_path(settings: Settings) -> Path | None:
    """The database file when the database is SQLite, else None."""
    database = db.sqlite_database(settings.effective_database_url)
    if database is None:
        return None
    if not database or database == ':memory:':
        raise BackupError(_('An in-memory SQLite database cannot be backed up.'))
    return Path(database).expanduser().resolve()


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (never briefly readable by others)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def integrity_problem(path: Path) -> str | None:
    """Why ``path`` is not a sound HMS SQLite database, or None when it is."""
    if not path.is_file():
        return _('{path} does not exist or is not a file.', path=path)
    with path.open('rb') as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return _('{path} is not an SQLite database (a PostgreSQL dump is restored with pg_restore).', path=path)
    try:
        result, tables = db.examine(path)
    except db.DatabaseError as error:
        return _('{path} is damaged: {error}.', path=path, error=error)
    if result != ['ok']:
        return _('{path} failed the integrity check: {problems}.', path=path, problems='; '.join(result[:3]))
    missing = _HMS_TABLES - tables
    if missing:
        return _(
            '{path} is an SQLite database but not an HMS one (no {tables} table).',
            path=path,
            tables=', '.join(sorted(missing)),
        )
    return None


def backup(settings: Settings, folder: Path | None = None) -> BackupResult:
    """Back the database up into ``folder`` (default: <data>/backups)."""
    target_folder = (folder or settings.data_path / BACKUP_FOLDER).expanduser().resolve()
    target_folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    database = sqlite_path(settings)
    if database is None:
        return _pg_dump(settings, target_folder)
    if not database.is_file():
        raise BackupError(_('There is no database at {path} yet (run: python main.py migrate).', path=database))
    target = target_folder / f'hms-{_stamp()}.db'
    _private_file(target)
    try:
        db.snapshot(database, target)
        problem = integrity_problem(target)
        if problem:
            raise BackupError(_('The backup did not pass its check: {problem}', problem=problem))
    except (db.Error, BackupError):
        target.unlink(missing_ok=True)
        raise
    return BackupResult(path=target, size=target.stat().st_size, engine='sqlite')


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and the environment that carries it (not the command line)."""
    url, password = db.libpq_url(settings.effective_database_url)
    env = dict(os.environ)
    if password:
        env['PGPASSWORD'] = password
    return url, env


def _pg_dump(settings: Settings, folder: Path) -> BackupResult:
    executable = shutil.which('pg_dump')
    if executable is None:
        raise BackupError(_('pg_dump is not on PATH.\n{instructions}', instructions=pg_instructions()))
    target = folder / f'hms-{_stamp()}.dump'
    _private_file(target)
    url, env = _libpq(settings)
    completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [executable, '-Fc', '--no-owner', '-f', str(target), '--dbname', url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(_('pg_dump failed: {error}', error=completed.stderr.strip()[:500]))
    return BackupResult(path=target, size=target.stat().st_size, engine='postgresql')


def web_seems_running(settings: Settings) -> bool:
    """Whether something answers on the configured web address (then a restore would pull the floor away)."""
    try:
        with socket.create_connection((settings.host, settings.port), timeout=0.5):
            return True
    except OSError:
        return False


def restore(settings: Settings, file: Path, *, migrate: Callable[[str], None] = upgrade) -> RestoreResult:
    """Replace the SQLite database with the backup in ``file`` (checked first), then migrate it."""
    database = sqlite_path(settings)
    if database is None:
        raise BackupError(
            _(
                'The database is PostgreSQL: restore a pg_dump file with pg_restore.\n{instructions}',
                instructions=pg_instructions(),
            )
        )
    source_file = file.expanduser().resolve()
    problem = integrity_problem(source_file)
    if problem:
        raise BackupError(_('Refusing to restore: {problem}', problem=problem))
    if source_file == database:
        raise BackupError(_('That file is the current database itself.'))
    database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    previous = None
    if database.exists():
        previous = database.with_name(f'{database.name}.before-restore-{_stamp()}')
        _private_file(previous)
        db.snapshot(database, previous)  # the live file and its WAL, consistently
    else:
        _private_file(database)
    db.overwrite(database, source_file)
    migrate(settings.effective_database_url)
    return RestoreResult(database=database, previous=previous)
