"""python main.py backup / restore: a restored backup holds every record, bad files are refused, nothing is lost."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from alembic import command

from hms import context
from hms.cli import main
from hms.config import Settings
from hms.context import AppContext
from hms.db.migrate import alembic_config
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import BookingIn
from hms.services import appointments, audit, records

from .factories import make_patient
from .postgres_server import ON_POSTGRES
from .processes import free_port
from .scheduling_fixtures import Clinic, local

SQLITE_ONLY = pytest.mark.sqlite_only('the SQLite online backup API and file restores')

TREATMENT = {
    'diagnosis': 'Seasonal influenza',
    'treatment': 'Rest and fluids',
    'prescription': [{'name': 'Paracetamol', 'dose': '500 mg', 'frequency': 'every 6 hours', 'duration': '5 days'}],
    'notes': 'Stay home until the fever is gone.',
}


def snapshot(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a comparable form."""
    connection = sqlite3.connect(database)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)  # noqa: S608
            for table in tables
            if not table.startswith('sqlite_')
        }
    finally:
        connection.close()


@pytest.fixture
def filled(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> Clinic:
    """The clinic with bookings, a completed visit and a cancellation (and the audit rows of all that)."""
    monkeypatch.setenv('HMS_PORT', str(free_port()))  # nothing listens there: the restore's "running?" check passes
    ctx = clinic.ctx
    booked = []
    for patient, hour in ((clinic.patient, 9), (clinic.other_patient, 10), (clinic.patient, 11)):
        with ctx.uow() as uow:
            data = BookingIn(doctor_id=clinic.doctor.user_id, start=local(2, hour), reason='Check-up')
            booked.append(appointments.book(uow, ctx.settings, patient, data))
    with ctx.uow() as uow:
        records.complete_visit(uow, ctx.settings, clinic.doctor, booked[0].id, TreatmentIn.model_validate(TREATMENT))
    with ctx.uow() as uow:
        appointments.cancel(uow, ctx.settings, clinic.patient, booked[2].id, 'Feeling better')
    return clinic


def take_backup(folder: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(['backup', '--to', str(folder)]) == 0
    out = capsys.readouterr().out
    assert 'integrity_check' in out
    files = list(folder.glob('hms-*.db'))
    assert len(files) == 1
    return files[0]


@SQLITE_ONLY
def test_a_backup_restored_into_a_fresh_folder_has_every_record(
    filled: Clinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = filled.ctx.settings.data_path / 'hms.db'
    file = take_backup(tmp_path / 'backups', capsys)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    before = snapshot(original)
    assert before['appointments'] and before['treatments'] and len(before['audit_log']) > 10

    fresh = tmp_path / 'fresh'
    monkeypatch.setenv('HMS_DATA_DIR', str(fresh))
    assert main(['restore', str(file), '--yes']) == 0
    out = capsys.readouterr().out
    assert 'audit chain OK' in out and 'before-restore' not in out  # nothing was there to keep
    assert snapshot(fresh / 'hms.db') == before

    # The services read the restored records, and the chain still verifies.
    restored = context.init(Settings(_env_file=None))
    try:
        with restored.uow() as uow:
            history = records.my_history(uow, restored.settings, filled.patient)
            assert audit.verify(uow.session).ok
        assert any(visit.treatment and visit.treatment.diagnosis == 'Seasonal influenza' for visit in history.visits)
    finally:
        restored.db.dispose()
    assert main(['audit-verify']) == 0


@SQLITE_ONLY
def test_restore_keeps_the_replaced_database(
    filled: Clinic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = take_backup(tmp_path / 'backups', capsys)
    make_patient(filled.ctx, 'late@example.com', name='Late Comer')  # written after the backup
    data_dir = filled.ctx.settings.data_path
    filled.ctx.db.dispose()
    assert main(['restore', str(file), '--yes']) == 0
    kept = list(data_dir.glob('hms.db.before-restore-*'))
    assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600

    def emails(database: Path) -> set[str]:
        with sqlite3.connect(database) as connection:
            return {row[0] for row in connection.execute('SELECT email FROM users')}

    assert 'late@example.com' not in emails(data_dir / 'hms.db')
    assert 'late@example.com' in emails(kept[0])


@SQLITE_ONLY
@pytest.mark.parametrize(
    ('content', 'message'),
    [
        (b'this is not a database at all' * 100, 'not an SQLite database'),
        (b'', 'not an SQLite database'),
    ],
)
def test_a_file_that_is_not_a_database_is_refused(
    filled: Clinic, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    before = snapshot(filled.ctx.settings.data_path / 'hms.db')
    bogus = tmp_path / 'bogus.db'
    bogus.write_bytes(content)
    assert main(['restore', str(bogus), '--yes']) == 1
    assert message in capsys.readouterr().err
    assert snapshot(filled.ctx.settings.data_path / 'hms.db') == before


@SQLITE_ONLY
def test_a_damaged_or_foreign_database_is_refused(
    filled: Clinic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = take_backup(tmp_path / 'backups', capsys)
    truncated = tmp_path / 'truncated.db'
    truncated.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    assert main(['restore', str(truncated), '--yes']) == 1
    assert 'refusing to restore' in capsys.readouterr().err

    foreign = tmp_path / 'foreign.db'
    with sqlite3.connect(foreign) as connection:
        connection.execute('CREATE TABLE notes (id INTEGER PRIMARY KEY)')
    assert main(['restore', str(foreign), '--yes']) == 1
    assert 'not an HMS one' in capsys.readouterr().err
    assert main(['restore', str(tmp_path / 'missing.db'), '--yes']) == 1


@SQLITE_ONLY
def test_restore_asks_for_confirmation_and_refuses_while_the_web_port_answers(
    filled: Clinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file = take_backup(tmp_path / 'backups', capsys)
    data_dir = filled.ctx.settings.data_path
    assert main(['restore', str(file)]) == 2  # stdin is not a terminal under pytest: --yes is required
    assert '--yes' in capsys.readouterr().err
    with socket.socket() as listener:
        listener.bind(('127.0.0.1', 0))
        listener.listen()
        monkeypatch.setenv('HMS_PORT', str(listener.getsockname()[1]))
        assert main(['restore', str(file), '--yes']) == 2
        assert 'stop HMS before restoring' in capsys.readouterr().err
    assert list(data_dir.glob('hms.db.before-restore-*')) == []


@SQLITE_ONLY
def test_an_older_backup_is_migrated_on_restore(
    hms_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / 'old.db'
    command.upgrade(alembic_config(f'sqlite:///{old}'), '0005')
    monkeypatch.setenv('HMS_DATA_DIR', str(tmp_path / 'fresh'))
    monkeypatch.setenv('HMS_PORT', str(free_port()))
    assert main(['restore', str(old), '--yes']) == 0
    with sqlite3.connect(tmp_path / 'fresh' / 'hms.db') as connection:
        columns = {row[1] for row in connection.execute('PRAGMA table_info(users)')}
        version = connection.execute('SELECT version_num FROM alembic_version').fetchone()[0]
    assert 'totp_secret' in columns and version >= '0006'


@SQLITE_ONLY
def test_backup_of_a_missing_database_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv('HMS_DATA_DIR', str(tmp_path / 'empty'))
    assert main(['backup']) == 1
    assert 'no database' in capsys.readouterr().err


@pytest.mark.skipif(not ON_POSTGRES, reason='needs the PostgreSQL test server (HMS_TEST_POSTGRES=1)')
@pytest.mark.skipif(shutil.which('pg_dump') is None, reason='pg_dump is not installed')
def test_postgres_backup_runs_pg_dump(ctx: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['backup', '--to', str(tmp_path)]) == 0
    assert 'pg_restore' in capsys.readouterr().out
    dumps = list(tmp_path.glob('hms-*.dump'))
    assert len(dumps) == 1 and stat.S_IMODE(dumps[0].stat().st_mode) == 0o600
    listing = subprocess.run(['pg_restore', '--list', str(dumps[0])], capture_output=True, text=True, check=True)
    assert 'TABLE DATA public audit_log' in listing.stdout and 'TABLE DATA public users' in listing.stdout
