"""The audit log's hash chain: how rows are linked, the lock that keeps the chain linear, the guards that keep the
log append-only, and the walk that verifies it.

Every row carries ``prev_hash`` (the ``row_hash`` of the row before it, by id) and ``row_hash`` = sha256 of a
canonical JSON of its content and ``prev_hash``. The hashes are filled in just before the rows are flushed, while the
writer holds a lock that serialises all audit writers, so the chain stays linear with several processes writing at
once. Updating or deleting an audit row through the ORM raises. Rows written before the chain existed (``row_hash``
NULL, before migration 0006) are legacy: the chain starts at the first hashed row, whose ``prev_hash`` is GENESIS.

The listeners are registered when this module is imported (``hms.services.audit`` imports it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, event, select, text
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import instance_state

from .models import AuditEntry

GENESIS = '0' * 64
# Any constant shared by every process: PostgreSQL advisory lock key for "appending to the audit chain".
_PG_LOCK_KEY = 0x61756469  # 'audi'


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or remove an audit row."""


def lock(session: Session) -> None:
    """Take the lock that serialises audit writers until this transaction ends (re-entrant within it).

    SQLite has one writer at a time: a transaction that already wrote holds it; otherwise BEGIN IMMEDIATE takes it
    now (waiting up to the busy timeout). PostgreSQL: a transaction-scoped advisory lock.
    """
    connection = session.connection()
    if connection.dialect.name == 'sqlite':
        driver = connection.connection.driver_connection
        # pysqlite opens a transaction only before the first write, so "in a transaction" means "holds the lock".
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql('BEGIN IMMEDIATE')
    elif connection.dialect.name == 'postgresql':
        connection.execute(text('SELECT pg_advisory_xact_lock(:key)'), {'key': _PG_LOCK_KEY})


def _canonical_at(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec='microseconds')


def content(entry: Any) -> dict[str, Any]:
    """The fields a row's hash covers (everything but its id and the hashes themselves), of an entry or a row."""
    return {
        'at': _canonical_at(entry.at),
        'actor_id': entry.actor_id,
        'actor_role': str(entry.actor_role) if entry.actor_role is not None else None,
        'action': entry.action,
        'object_type': entry.object_type,
        'object_id': entry.object_id,
        'subject_user_id': entry.subject_user_id,
        'ip': entry.ip,
        'success': bool(entry.success),
        'detail': entry.detail or {},
    }


def compute_hash(entry: Any, prev_hash: str) -> str:
    canonical = json.dumps(
        {'content': content(entry), 'prev_hash': prev_hash},
        sort_keys=True,
        separators=(',', ':'),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


def _last_hash(session: Session) -> str:
    last = session.scalar(
        select(AuditEntry.row_hash).where(AuditEntry.row_hash.is_not(None)).order_by(AuditEntry.id.desc()).limit(1)
    )
    return last or GENESIS


def _insert_order(entry: AuditEntry) -> int:
    return instance_state(entry).insert_order or 0


@event.listens_for(Session, 'before_flush')
def _chain_new_entries(session: Session, _context: Any, _instances: Any) -> None:
    # Every pending row is (re)hashed: one re-added after a rolled-back flush must link to the chain as it is now.
    entries = [obj for obj in session.new if isinstance(obj, AuditEntry)]
    if not entries:
        return
    # The unit of work inserts rows of one mapper in the order they were added: chain them in that order.
    entries.sort(key=_insert_order)
    with session.no_autoflush:
        lock(session)
        prev = _last_hash(session)
        for entry in entries:
            if entry.success is None:
                entry.success = True
            if entry.detail is None:
                entry.detail = {}
            entry.prev_hash = prev
            entry.row_hash = prev = compute_hash(entry, prev)


@event.listens_for(AuditEntry, 'before_update')
def _refuse_update(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f'audit row {target.id} cannot be changed: the audit log is append-only')


@event.listens_for(AuditEntry, 'before_delete')
def _refuse_delete(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f'audit row {target.id} cannot be deleted: the audit log is append-only')


@event.listens_for(Session, 'do_orm_execute')
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is AuditEntry:
        raise AuditLogIsAppendOnly('audit rows cannot be changed or deleted: the audit log is append-only')


# ---- verification -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain: ``ok``, counts, and the first broken link if any."""

    ok: bool
    rows: int
    legacy_rows: int
    head_hash: str | None
    broken_id: int | None = None
    problem: str | None = None


def _rows(session: Session, batch: int = 5000) -> Iterator[Row[Any]]:
    """Every row in id order as plain column tuples (no ORM objects: a long log verifies several times faster)."""
    table = AuditEntry.__table__
    last_id = 0
    while True:
        rows = session.execute(select(*table.c).where(table.c.id > last_id).order_by(table.c.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def _link_problem(session: Session, entry: Row[Any], expected_prev: str) -> str:
    """Tell a reordered row (its predecessor exists elsewhere) from a removed one (its predecessor is gone)."""
    if entry.prev_hash == GENESIS:
        return 'rows before it were removed: it claims to start the chain, but hashed rows precede it'
    elsewhere = session.scalar(select(AuditEntry.id).where(AuditEntry.row_hash == entry.prev_hash).limit(1))
    if elsewhere is not None:
        return f'reordered: it follows row {elsewhere} in the chain, not the row before it'
    if expected_prev == GENESIS:
        return 'rows before it were removed: it is the first hashed row but does not start the chain'
    return 'removed: the row it follows in the chain is missing (deleted), or its prev_hash was altered'


def verify(session: Session) -> ChainReport:
    """Walk the whole log in id order and report the first broken link."""
    rows = legacy = 0
    expected_prev = GENESIS
    started = False
    for entry in _rows(session):
        rows += 1
        if entry.row_hash is None:
            if started:
                return ChainReport(False, rows, legacy, expected_prev, entry.id, 'not hashed: written past the chain')
            legacy += 1
            continue
        started = True
        if entry.prev_hash is None or compute_hash(entry, entry.prev_hash) != entry.row_hash:
            return ChainReport(False, rows, legacy, expected_prev, entry.id, 'altered: its content no longer matches')
        if entry.prev_hash != expected_prev:
            return ChainReport(
                False, rows, legacy, expected_prev, entry.id, _link_problem(session, entry, expected_prev)
            )
        expected_prev = entry.row_hash
    return ChainReport(True, rows, legacy, expected_prev if started else None)
