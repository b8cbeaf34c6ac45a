"""The audit log is append-only and tamper-evident: hash chain, concurrent writers, audit-verify, no change path."""

from __future__ import annotations

import itertools
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import delete, func, select, text, update

from hms import context
from hms.cli import main
from hms.clock import ManualClock
from hms.context import AppContext
from hms.db.models import AuditEntry
from hms.domain.criteria import AuditFilter
from hms.domain.enums import Role
from hms.domain.errors import NotAllowed
from hms.services import audit
from hms.services.principal import Principal

from .api_fixtures import People, assert_problem
from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, PATIENT_PASSWORD, make_patient
from .page_steps import see, sign_in
from .scheduling_fixtures import Clinic

ROOT = Path(__file__).resolve().parents[1]
ADMIN = Principal(user_id=1, role=Role.ADMIN, name='Admin', email='a@x.test', must_change_password=False)
PATIENT = Principal(user_id=2, role=Role.PATIENT, name='Pat', email='p@x.test', must_change_password=False)


def write(ctx: AppContext, count: int, action: str = 'test.event', **fields: object) -> None:
    with ctx.uow() as uow:
        for number in range(count):
            audit.record(uow, action, actor_id=7, detail={'n': number}, **fields)
        uow.commit()


def verify(ctx: AppContext) -> audit.ChainReport:
    with ctx.uow() as uow:
        return audit.verify(uow.session)


def ids(ctx: AppContext) -> list[int]:
    with ctx.uow() as uow:
        return list(uow.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def raw(ctx: AppContext, sql: str, **params: object) -> None:
    """Tampering as an attacker with database access would: plain SQL, past the application."""
    with ctx.db.engine.begin() as connection:
        connection.execute(text(sql), params)


def test_every_row_links_to_the_one_before(ctx: AppContext) -> None:
    write(ctx, 3)
    write(ctx, 2)
    with ctx.uow() as uow:
        rows = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    hashed = [row for row in rows if row.row_hash is not None]
    assert len(hashed) == len(rows) >= 5
    assert hashed[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(hashed):
        assert after.prev_hash == before.row_hash
        assert after.row_hash == audit.compute_hash(after, after.prev_hash)
    report = verify(ctx)
    assert report.ok and report.rows == len(rows) and report.head_hash == hashed[-1].row_hash


def test_concurrent_writers_keep_the_chain_linear(ctx: AppContext) -> None:
    threads, per_thread = 6, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def writer(number: int) -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                write(ctx, 1, action=f'thread.{number}')
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    report = verify(ctx)
    assert report.ok, report
    with ctx.uow() as uow:
        written = uow.session.scalar(select(func.count()).where(AuditEntry.action.like('thread.%')))
        distinct_prev = uow.session.scalar(select(func.count(func.distinct(AuditEntry.prev_hash))))
        total = uow.session.scalar(select(func.count(AuditEntry.id)))
    assert written == threads * per_thread
    assert distinct_prev == total  # no two rows claim the same predecessor: no fork


def test_altered_row_is_found(ctx: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    write(ctx, 5)
    target = ids(ctx)[2]
    raw(ctx, 'UPDATE audit_log SET detail = \'{"n": 99}\' WHERE id = :id', id=target)
    report = verify(ctx)
    assert not report.ok and report.broken_id == target and report.problem.startswith('altered')
    assert main(['audit-verify']) == 1
    assert f'BROKEN at row {target}: altered' in capsys.readouterr().err


def test_removed_middle_row_is_found(ctx: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    write(ctx, 5)
    all_ids = ids(ctx)
    raw(ctx, 'DELETE FROM audit_log WHERE id = :id', id=all_ids[2])
    report = verify(ctx)
    assert not report.ok and report.broken_id == all_ids[3] and report.problem.startswith('removed')
    assert main(['audit-verify']) == 1
    assert f'BROKEN at row {all_ids[3]}: removed' in capsys.readouterr().err


def test_removed_first_rows_are_found(ctx: AppContext) -> None:
    write(ctx, 4)
    first = ids(ctx)[0]
    raw(ctx, 'DELETE FROM audit_log WHERE id = :id', id=first)
    report = verify(ctx)
    assert not report.ok and report.broken_id == ids(ctx)[0] and 'removed' in report.problem


def test_reordered_rows_are_found(ctx: AppContext) -> None:
    write(ctx, 4)
    a, b = ids(ctx)[1:3]
    # Swap two rows' ids, hashes and all, through a free id.
    raw(ctx, 'UPDATE audit_log SET id = -1 WHERE id = :a', a=a)
    raw(ctx, 'UPDATE audit_log SET id = :a WHERE id = :b', a=a, b=b)
    raw(ctx, 'UPDATE audit_log SET id = :b WHERE id = -1', b=b)
    report = verify(ctx)
    assert not report.ok and report.broken_id == a and report.problem.startswith('reordered')


def test_a_row_written_past_the_chain_is_found(ctx: AppContext) -> None:
    write(ctx, 2)
    raw(
        ctx,
        "INSERT INTO audit_log (at, action, success, detail) VALUES ('2026-01-01 00:00:00', 'forged', TRUE, '{}')",
    )
    report = verify(ctx)
    assert not report.ok and report.problem.startswith('not hashed')


def test_legacy_rows_before_the_chain_are_counted_not_failed(ctx: AppContext) -> None:
    raw(ctx, 'DELETE FROM audit_log')
    raw(ctx, "INSERT INTO audit_log (at, action, success, detail) VALUES ('2025-01-01 00:00:00', 'old', TRUE, '{}')")
    write(ctx, 3)
    report = verify(ctx)
    assert report.ok and report.legacy_rows == 1 and report.rows == 4


def test_audit_verify_reports_ok_with_the_count(ctx: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    write(ctx, 3)
    assert main(['audit-verify']) == 0
    count = len(ids(ctx))
    assert f'audit chain OK: {count} rows' in capsys.readouterr().out


def test_orm_refuses_update_and_delete(ctx: AppContext) -> None:
    write(ctx, 1)
    with ctx.uow() as uow:
        entry = uow.session.scalars(select(AuditEntry).limit(1)).one()
        entry.action = 'rewritten'
        with pytest.raises(audit.AuditLogIsAppendOnly):
            uow.commit()
    with ctx.uow() as uow:
        uow.session.delete(uow.session.scalars(select(AuditEntry).limit(1)).one())
        with pytest.raises(audit.AuditLogIsAppendOnly):
            uow.commit()
    with ctx.uow() as uow, pytest.raises(audit.AuditLogIsAppendOnly):
        uow.session.execute(update(AuditEntry).values(action='x'))
    with ctx.uow() as uow, pytest.raises(audit.AuditLogIsAppendOnly):
        uow.session.execute(delete(AuditEntry))
    assert verify(ctx).ok


CHANGE_PATTERNS = [
    re.compile(r'update\(\s*AuditEntry', re.IGNORECASE),
    re.compile(r'delete\(\s*AuditEntry', re.IGNORECASE),
    re.compile(r'UPDATE\s+audit_log', re.IGNORECASE),
    re.compile(r'DELETE\s+FROM\s+audit_log', re.IGNORECASE),
    re.compile(r'\.delete\(\s*(entry|audit_entry|row)\s*\)'),
]


def test_no_code_path_changes_or_deletes_audit_rows() -> None:
    offenders = []
    for folder in ('hms', 'pages', 'jobs'):
        for path in (ROOT / folder).rglob('*.py'):
            source = path.read_text(encoding='utf-8')
            offenders += [f'{path.relative_to(ROOT)}: {p.pattern}' for p in CHANGE_PATTERNS if p.search(source)]
    offenders += [
        f'{path.name}: {p.pattern}'
        for path in (ROOT / 'hms' / 'migrations' / 'versions').glob('*.py')
        for p in CHANGE_PATTERNS[2:4]
        if p.search(path.read_text(encoding='utf-8'))
    ]
    assert offenders == []


def test_browse_filters_and_pages_for_the_admin_only(clock: ManualClock, ctx: AppContext) -> None:
    write(ctx, 3, action='login.failed', subject_user_id=5, success=False)
    clock.advance(timedelta(days=2))
    write(ctx, 2, action='login.succeeded', subject_user_id=5)
    write(ctx, 1, action='appointment.booked', subject_user_id=6)
    with ctx.uow() as uow:
        failed = audit.browse(uow, ADMIN, AuditFilter(success=False, subject_user_id=5), limit=2, offset=0)
        assert failed.total == 3 and len(failed.items) == 2
        assert all(item.action == 'login.failed' for item in failed.items)
        assert failed.items[0].id > failed.items[1].id  # newest first
        logins = audit.browse(uow, ADMIN, AuditFilter(action='login.', actor_id=7), limit=50, offset=0)
        assert logins.total == 5
        recent = audit.browse(uow, ADMIN, AuditFilter(since=clock.now() - timedelta(hours=1)), limit=50, offset=0)
        assert {item.action for item in recent.items} == {'login.succeeded', 'appointment.booked'}
        with pytest.raises(NotAllowed):
            audit.browse(uow, PATIENT, AuditFilter(), limit=10, offset=0)


# --- API and page ---------------------------------------------------------------------------------------------------


def test_api_audit_filters_pages_and_is_admin_only(api: TestClient, people: People, clinic: Clinic) -> None:
    wrong = api.post('/api/login', json={'email': clinic.patient.email, 'password': 'not-the-password'})
    assert wrong.status_code == 401
    assert_problem(api.get('/api/admin/audit', headers=people.ada), 403)
    assert_problem(api.get('/api/admin/audit'), 401)
    everything = api.get('/api/admin/audit', headers=people.admin, params={'limit': 2})
    assert everything.status_code == 200, everything.text
    body = everything.json()
    assert len(body['items']) == 2 and body['total'] > 2 and body['items'][0]['id'] > body['items'][1]['id']
    failed = api.get(
        '/api/admin/audit',
        headers=people.admin,
        params={'success': 'false', 'subject_user_id': clinic.patient.user_id, 'action': 'login.'},
    ).json()
    assert [item['action'] for item in failed['items']] == ['login.failed']
    assert failed['items'][0]['detail'] == {'reason': 'bad_credentials'}
    assert 'row_hash' not in failed['items'][0]
    today = api.get('/api/admin/audit', headers=people.admin, params={'from': '2026-03-02', 'to': '2026-03-02'})
    later = api.get('/api/admin/audit', headers=people.admin, params={'from': '2026-03-03'})
    # The clinic's day (Berlin) and everything after it (the administrator was created at the real time) add up.
    assert today.json()['total'] > 0 and today.json()['total'] + later.json()['total'] == body['total']
    assert_problem(
        api.get('/api/admin/audit', headers=people.admin, params={'from': '2026-03-03', 'to': '2026-03-01'}), 422
    )
    assert_problem(api.get('/api/admin/audit', headers=people.admin, params={'limit': 100000}), 422)


async def test_admin_audit_page_lists_filters_and_verifies(user: User) -> None:
    ctx = context.get()
    make_patient(ctx)
    await sign_in(user, 'ada@example.com', 'not-the-password', 'Wrong email or password.')
    await sign_in(user, ADMIN_EMAIL, ADMIN_PASSWORD, 'Clinic dashboard')
    await user.open('/admin/audit')
    await see(user, marker='audit-table')
    table = user.find(marker='audit-table').elements.pop()
    assert isinstance(table, ui.table)
    actions = [row['action'] for row in table.rows]
    assert {'login.failed', 'account.registered', 'login.succeeded'} <= set(actions)
    assert any(row['subject'].startswith('Ada Lovelace (#') for row in table.rows)
    user.find(marker='filter-subject').type('nobody@example.com')
    await see(user, 'No account with this email.')
    user.find(marker='filter-subject').clear().type('ada@example.com')
    user.find(marker='filter-result').click()
    user.find('Failed or refused').click()
    await see(user, '1 to 1 of 1, newest first')
    assert [row['action'] for row in table.rows] == ['login.failed']
    user.find(marker='verify-chain').click()
    await see(user, 'Chain intact')


async def test_admin_audit_page_is_refused_to_others(user: User) -> None:
    make_patient(context.get())
    await sign_in(user, 'ada@example.com', PATIENT_PASSWORD, 'My health')
    await user.open('/admin/audit')
    await see(user, 'You do not have access to this page.')
