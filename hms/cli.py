"""Command line of ``hms`` (and ``python main.py``): start everything, or one part of the system for production
deployments."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, TypedDict

from pydantic import ValidationError

from hms import __version__, context
from hms.config import Settings
from hms.runtime import logs
from hms.services.bootstrap import ADMIN_CREDENTIALS_FILE, StartupError, prepare

logger = logging.getLogger('hms')


def _announce_admin(settings: Settings, password: str | None) -> None:
    if password is None:
        return
    path = settings.data_path / ADMIN_CREDENTIALS_FILE
    lines = [
        'HMS created the administrator account.',
        f'  sign in at: http://{settings.host}:{settings.port}/login',
        f'  email:      {settings.admin_email}',
        f'  password:   {password}',
        'Also saved, readable only by you, in',
        f'  {path}',
    ]
    # Printed once, on purpose, last and framed so it is not lost in the log: the operator needs it to sign in the
    # first time. It is never logged.
    print(boxed(lines), flush=True)


def boxed(lines: list[str]) -> str:
    """The lines in a frame drawn with box characters."""
    width = max(len(line) for line in lines)
    rows = [f'│ {line.ljust(width)} │' for line in lines]
    return '\n'.join(['', f'╭{"─" * (width + 2)}╮', *rows, f'╰{"─" * (width + 2)}╯', ''])


_PARSING_REASONS = {
    'int_parsing': 'not a whole number',
    'float_parsing': 'not a number',
    'bool_parsing': 'not a yes/no',
}


def setting_problems(error: ValidationError) -> list[str]:
    """One line per bad setting, named as the operator sets it: ``HMS_TIMEZONE: unknown time zone 'Mars/Base'``."""
    lines = []
    for problem in error.errors(include_url=False):
        field = str(problem['loc'][0]) if problem['loc'] else 'settings'
        reason = problem['msg'].removeprefix('Value error, ')
        if problem['type'] in _PARSING_REASONS:
            reason = f'{_PARSING_REASONS[problem["type"]]}: {problem["input"]!r}'
        elif problem['type'] != 'value_error':  # pydantic's own checks do not quote what they were given
            reason = f'{reason[:1].lower()}{reason[1:]}, not {problem["input"]!r}'
        lines.append(f'HMS_{field.upper()}: {reason}')
    return lines


def compose(settings: Settings) -> context.AppContext:
    """The composition root: plug the job system (Celery, from ``jobs``) into ``hms`` and create the context."""
    from jobs.celery_app import open_queue

    context.plug_task_queue(open_queue)
    return context.init(settings)


def prepare_database(settings: Settings) -> str | None:
    """Migrate the schema and create the administrator once; returns the administrator's password when it was
    generated now (for :func:`_announce_admin`). A database that cannot be reached is a StartupError."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    try:
        settings.ensure_data_dir()
    except OSError as error:
        raise StartupError(f'HMS_DATA_DIR: cannot create {settings.data_path}: {error.strerror}') from error
    try:
        ctx = compose(settings)
        return prepare(settings, ctx.db)
    except (ArgumentError, OperationalError) as error:
        raise StartupError(f'HMS_DATABASE_URL: cannot connect: {_database_reason(settings, error)}') from error


def check_database(settings: Settings) -> str | None:
    """What a web instance does with the database before it serves: on SQLite (a file on this machine, the
    all-in-one setup) prepare it as ``migrate`` does; on a shared database only check that its schema is this
    version's (migrations are the deploy step ``python main.py migrate``, run once) and refuse to start otherwise.
    Returns the administrator's password when it was generated now."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from hms.runtime.schema import schema_state
    from hms.services.bootstrap import ensure_admin

    if settings.effective_database_url.startswith('sqlite'):
        return prepare_database(settings)
    try:
        settings.ensure_data_dir()
    except OSError as error:
        raise StartupError(f'HMS_DATA_DIR: cannot create {settings.data_path}: {error.strerror}') from error
    try:
        problem = schema_state(settings.effective_database_url).problem()
        if problem is not None:
            raise StartupError(f'HMS_DATABASE_URL: {problem}')
        return ensure_admin(compose(settings).db, settings)
    except (ArgumentError, OperationalError) as error:
        raise StartupError(f'HMS_DATABASE_URL: cannot connect: {_database_reason(settings, error)}') from error


def _database_reason(settings: Settings, error: Exception) -> str:
    """The driver's first line, without the URL (it may hold a password)."""
    cause = getattr(error, 'orig', None) or error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    reason = lines[0].removeprefix('(psycopg.OperationalError) ')
    if settings.database_url:
        reason = reason.replace(settings.database_url, '<HMS_DATABASE_URL>')
    return reason


def build_web(settings: Settings) -> str | None:
    """Compose the web process: context, database, API and pages (ui.run follows). Returns the administrator's
    password when it was generated now."""
    from nicegui import app, background_tasks

    import pages
    from hms.api.app import mount
    from hms.runtime.api_guard import SameSiteSockets
    from hms.runtime.head import HeadAsGet
    from hms.runtime.headers import SecurityHeaders
    from hms.runtime.logs import RequestId

    password = check_database(settings)
    hub = context.get().hub

    async def start_listener() -> None:
        hub.bind(asyncio.get_running_loop())
        if settings.redis_url:
            background_tasks.create(hub.listen(settings.redis_url), name='event-listener')

    app.on_startup(start_listener)
    app.add_middleware(SecurityHeaders, hsts=settings.served_over_https)
    app.add_middleware(SameSiteSockets)  # the pages' socket is never opened by another site
    app.add_middleware(HeadAsGet)  # uptime monitors probe with HEAD
    app.add_middleware(RequestId)  # outermost: log lines and the answer carry the request's id
    mount(app)
    pages.create()
    return password


class _UiRunOptions(TypedDict):
    title: str
    favicon: str
    storage_secret: str
    session_middleware_kwargs: dict[str, Any]
    reload: bool
    show: bool


def _ui_run_options(settings: Settings) -> _UiRunOptions:
    return {
        'title': settings.clinic_name,
        'favicon': '🩺',
        'storage_secret': settings.effective_storage_secret(),
        'session_middleware_kwargs': {'same_site': 'lax', 'https_only': settings.cookies_secure},
        'reload': False,
        'show': False,
    }


def run_web(settings: Settings) -> None:
    # NiceGUI reads its storage settings when imported: per-browser storage in the data folder, or, with a Redis of
    # the deployment's own, in that Redis, so that any web instance serves any signed-in browser. (The all-in-one
    # supervisor sets NICEGUI_REDIS_URL empty for its web child: one instance, files.)
    os.environ.setdefault('NICEGUI_STORAGE_PATH', str(settings.ensure_data_dir() / 'nicegui'))
    if settings.redis_url:
        os.environ.setdefault('NICEGUI_REDIS_URL', settings.redis_url)
        if os.environ['NICEGUI_REDIS_URL'] and settings.storage_secret is None:
            logger.warning(
                'web: HMS_STORAGE_SECRET is not set: this instance signs cookies with the secret of its own data '
                'folder, so other web instances will not know its users; set the same secret on every instance'
            )
    from nicegui import app, ui

    password = build_web(settings)
    if password is not None:  # `hms web` on an empty database: framed, once the server answers
        app.on_startup(lambda: _announce_admin(settings, password))
    logger.info('web: http://%s:%s', settings.host, settings.port)
    ui.run(
        host=settings.host,
        port=settings.port,
        show_welcome_message=False,
        log_config=None,  # uvicorn's loggers go through ours (text or JSON), not a configuration of its own
        **_ui_run_options(settings),
    )


def simulate_web() -> None:
    """What main.py does under NiceGUI's user simulation (tests): build the app, no server, no children."""
    from nicegui import ui

    settings = Settings()
    build_web(settings)
    ui.run(**_ui_run_options(settings))


def worker_name(given: str | None) -> str:
    """The Celery node name: the one given (``--hostname``, Celery's ``%h`` is this host), else one no other worker
    has, on this host or any (``hms-worker-<pid>@<host>``), so that the Jobs page tells them apart. A stable name
    (``hms-1@%h``) lets a restarted worker take back at once what its previous life left half done."""
    return given or f'hms-worker-{os.getpid()}@%h'


def run_worker(settings: Settings, *, beat: bool, name: str | None = None) -> None:
    from jobs.celery_app import create_celery, worker_argv

    settings.ensure_data_dir()
    compose(settings)  # tasks use the same services, units of work and publishers as the web process
    argv = worker_argv(settings, beat=beat, name=worker_name(name))
    create_celery(settings).worker_main([*_celery_quiet(settings), *argv])


def run_beat(settings: Settings) -> None:
    from jobs.celery_app import beat_argv, create_celery

    settings.ensure_data_dir()  # log and PID files may go there; the schedule itself lives in Redis (RedBeat)
    create_celery(settings).start([*_celery_quiet(settings), *beat_argv(settings)])


def _celery_quiet(settings: Settings) -> list[str]:
    """Celery's start-up banners (the worker's, the scheduler's) only when debugging."""
    return [] if settings.log_level == 'DEBUG' else ['--quiet']


RUN_FOLDER = 'run'  # <data folder>/run/<child>.pid: the supervised children's PIDs


def run_all(settings: Settings) -> int:
    """Everything on one machine, each part its own supervised process (restarted when it dies): Redis (embedded
    unless configured), a worker, the beat scheduler and the web server."""
    from hms.notify.sink import SmtpSink
    from hms.runtime.redis_server import EmbeddedRedis
    from hms.runtime.supervisor import ChildSpec, Supervisor
    from hms.services.backup import web_seems_running

    password = prepare_database(settings)
    context.get().db.dispose()  # the children open their own connections
    data = settings.ensure_data_dir()
    children: list[ChildSpec] = []
    redis_url = settings.redis_url
    if redis_url is None:
        redis = EmbeddedRedis(data / 'redis')
        # Restarted on the same socket path, so the others reconnect to it; they start once it answers.
        children.append(ChildSpec('redis', redis.command(), prepare=redis.clear_stale_socket, ready=redis.answers))
        redis_url = redis.url
        logger.info('redis: embedded, on %s', redis.socket_path)
    sink = None
    if settings.sends_through_sink:  # development default: mail goes to a local SMTP sink and the admin's Outbox
        sink = SmtpSink(data)
        logger.info('mail: no HMS_SMTP_HOST, local SMTP sink on 127.0.0.1:%s (see the Outbox page)', sink.start())
    env = {**os.environ, 'HMS_REDIS_URL': redis_url}
    # One web instance: NiceGUI's per-browser storage in files of the data folder (unless the operator chose Redis).
    web_env = {'NICEGUI_REDIS_URL': '', **env} if settings.redis_url is None else env
    # `python -m hms`, not main.py: an installed package has no main.py, and the children run the same code either way.
    hms = [sys.executable, '-m', 'hms']
    children += [
        ChildSpec('worker', [*hms, 'worker', '--hostname', 'hms@%h'], env=env),  # its name stays across restarts
        ChildSpec('beat', [*hms, 'beat'], env=env),
        ChildSpec('web', [*hms, 'web'], env=web_env, ready=lambda: web_seems_running(settings)),
    ]

    def started() -> None:
        logger.info('ready: http://%s:%s', settings.host, settings.port)
        _announce_admin(settings, password)  # last, after everything else has had its say

    def cleanup() -> None:
        if sink is not None:
            sink.stop()

    # Its lines (started, died, restarting, stopped) go through logging like the rest: text or JSON alike.
    supervisor_log = logging.getLogger('hms.supervisor')

    def log(line: str) -> None:
        supervisor_log.info(line.removeprefix('hms: '))

    supervisor = Supervisor(children, pid_dir=data / RUN_FOLDER, log=log)
    return supervisor.run(extra_cleanup=cleanup, on_started=started)


def seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from hms.demo import seed_demo_clinic
    from hms.seed import seed

    _announce_admin(settings, prepare_database(settings))
    for name in ('doctors', 'patients', 'appointments'):
        if getattr(args, name) < 0:
            print(f'hms: --{name} must not be negative', file=sys.stderr)
            return 2
    started = time.monotonic()
    db = context.get().db
    if args.demo:
        result = seed_demo_clinic(db, settings, seed_number=args.seed, password=args.password)
    else:
        result = seed(
            db,
            settings,
            doctors=args.doctors,
            patients=args.patients,
            appointments=args.appointments,
            seed=args.seed,
            password=args.password,
        )
    print(
        f'seeded {result.departments} departments, {result.doctors} doctors, {result.patients} patients, '
        f'{result.appointments} appointments and {result.treatments} treatments in {time.monotonic() - started:.1f} s'
    )
    print(f'accounts (email,role,id): {result.accounts_file}')
    if result.password:
        print(f'password of every demo account: {result.password} (also in {settings.data_path / "demo-password.txt"})')
    if args.demo:
        print('try: doctor1@demo.hms.test (doctor), patient1@demo.hms.test (patient): they meet today and tomorrow')
    return 0


def audit_verify(settings: Settings) -> int:
    """Walk the audit hash chain; exit 0 when intact, 1 with the first broken link otherwise."""
    from sqlalchemy.exc import SQLAlchemyError

    from hms.db.uow import Database
    from hms.services import audit, backup

    path = backup.sqlite_path(settings)
    if path is not None and not path.is_file():
        print(f'hms: there is no database at {path}', file=sys.stderr)
        return 2
    database = Database(settings.effective_database_url)
    try:
        with database.uow() as uow:
            report = audit.verify(uow.session)
    except SQLAlchemyError as error:
        print(f'hms: cannot read the audit log ({type(error).__name__}); run: python main.py migrate', file=sys.stderr)
        return 2
    finally:
        database.dispose()
    legacy = f' ({report.legacy_rows} rows from before the chain are not covered)' if report.legacy_rows else ''
    if report.ok:
        print(f'audit chain OK: {report.rows} rows{legacy}; head {report.head_hash or "(empty)"}')
        return 0
    print(f'audit chain BROKEN at row {report.broken_id}: {report.problem}', file=sys.stderr)
    print(f'{report.rows - 1} rows before it verified{legacy}', file=sys.stderr)
    return 1


def run_backup(settings: Settings, folder: str | None) -> int:
    from hms.services import backup

    try:
        result = backup.backup(settings, Path(folder) if folder else None)
    except backup.BackupError as error:
        print(f'hms: backup failed: {error}', file=sys.stderr)
        return 1
    check = 'passed PRAGMA integrity_check' if result.engine == 'sqlite' else 'pg_dump custom format'
    print(f'backup written: {result.path} ({result.size:,} bytes, readable by you only; {check})')
    if result.engine == 'postgresql':
        print(f'restore it with: pg_restore --clean --if-exists --no-owner -d "$DATABASE_URL" {result.path}')
    else:
        print(f'restore it with: python main.py restore {result.path} --yes')
    return 0


def run_restore(settings: Settings, file: str, *, yes: bool, force: bool) -> int:
    from hms.services import audit, backup

    if backup.web_seems_running(settings) and not force:
        print(
            f'hms: something answers on {settings.host}:{settings.port}: stop HMS before restoring '
            '(or pass --force if that is not HMS).',
            file=sys.stderr,
        )
        return 2
    problem = backup.integrity_problem(Path(file).expanduser().resolve())
    if problem:
        print(f'hms: refusing to restore: {problem}', file=sys.stderr)
        return 1
    if not yes:
        if not sys.stdin.isatty():
            print('hms: restoring replaces the database: pass --yes to confirm.', file=sys.stderr)
            return 2
        answer = input(f'Replace the database of {settings.data_path} with {file}? Type "restore" to confirm: ')
        if answer.strip() != 'restore':
            print('hms: nothing restored.', file=sys.stderr)
            return 2
    try:
        result = backup.restore(settings, Path(file))
    except backup.BackupError as error:
        print(f'hms: restore failed: {error}', file=sys.stderr)
        return 1
    if result.previous:
        print(f'the replaced database is kept as {result.previous}')
    print(f'restored {file} into {result.database} and migrated it to the current schema')
    from hms.db.uow import Database

    database = Database(settings.effective_database_url)
    try:
        with database.uow() as uow:
            report = audit.verify(uow.session)
    finally:
        database.dispose()
    state = 'OK' if report.ok else f'BROKEN at row {report.broken_id}: {report.problem}'
    print(f'audit chain {state} ({report.rows} rows)')
    return 0 if report.ok else 1


def totp_reset(settings: Settings, email: str) -> int:
    from hms.db.uow import Database
    from hms.services import two_factor

    database = Database(settings.effective_database_url)
    try:
        with database.uow() as uow:
            done = two_factor.reset_by_operator(uow, email)
    finally:
        database.dispose()
    if not done:
        print(f'hms: no account {email!r} with two-step verification on', file=sys.stderr)
        return 1
    print(f'two-step verification is off for {email}; they sign in with their password and can set it up again')
    return 0


OWNER_ONLY_UMASK = 0o077


def entry() -> None:
    """The ``hms`` console script (and ``python -m hms``)."""
    sys.exit(main(sys.argv[1:], prog='hms'))


def main(argv: list[str], prog: str = 'main.py') -> int:
    # Before anything writes to the data folder: the database, logs, NiceGUI's per-browser storage, PID files and
    # backups are the owner's only (0600, folders 0700); the children started from here inherit it.
    os.umask(OWNER_ONLY_UMASK)
    parser = argparse.ArgumentParser(prog=prog, description='HMS clinic management system')
    parser.add_argument('--version', action='version', version=f'hms {__version__}')
    sub = parser.add_subparsers(dest='command')
    sub.add_parser('all', help='start and watch Redis (if not configured), a worker, beat and the web server (default)')
    web = sub.add_parser('web', help='the NiceGUI web server and JSON API only (one per instance, as many as wanted)')
    web.add_argument('--host', help='address to bind (default: HMS_HOST)')
    web.add_argument('--port', type=int, help='port to listen on (default: HMS_PORT)')
    worker = sub.add_parser('worker', help='a Celery worker (needs HMS_REDIS_URL; as many as wanted)')
    worker.add_argument('--beat', action='store_true', help='also run the beat scheduler in this worker')
    worker.add_argument(
        '--hostname', metavar='NAME', help='node name, e.g. hms-1@%%h (default: hms-worker-<pid>@<host>)'
    )
    sub.add_parser('beat', help='the beat scheduler (its lock is in Redis: a second one waits as a standby)')
    sub.add_parser('migrate', help='migrate the database and create the administrator, then exit')
    demo = sub.add_parser('seed-demo', help='fill the database with realistic, reproducible demo data')
    demo.add_argument('--doctors', type=int, default=20)
    demo.add_argument('--patients', type=int, default=2000)
    demo.add_argument('--appointments', type=int, default=20000)
    demo.add_argument('--seed', type=int, default=1, help='the random seed (same seed, same data)')
    demo.add_argument('--password', help='password of every generated account (default: generated and printed)')
    demo.add_argument('--demo', action='store_true', help='a lived-in clinic to try (4 departments, 8 doctors)')
    sub.add_parser('audit-verify', help='check the audit log hash chain; non-zero exit at the first broken link')
    backup_parser = sub.add_parser('backup', help='back the database up (SQLite online backup, or pg_dump)')
    backup_parser.add_argument('--to', metavar='FOLDER', help='where to write it (default: <data folder>/backups)')
    restore_parser = sub.add_parser('restore', help='replace the database with a backup file, then migrate it')
    restore_parser.add_argument('file', help='an SQLite backup written by "backup"')
    restore_parser.add_argument('--yes', action='store_true', help='do not ask for confirmation')
    restore_parser.add_argument('--force', action='store_true', help='restore even if the web port answers')
    reset = sub.add_parser('totp-reset', help="turn off an account's two-step verification (lost phone and codes)")
    reset.add_argument('email')
    args = parser.parse_args(argv)
    if args.command == 'web':  # the same as HMS_HOST / HMS_PORT, for this process (and checked like them)
        for name in ('host', 'port'):
            if getattr(args, name) is not None:
                os.environ[f'HMS_{name.upper()}'] = str(getattr(args, name))

    try:
        settings = Settings()
    except ValidationError as error:  # one line per bad setting, no traceback: the operator fixes the setting
        for line in setting_problems(error):
            print(f'hms: {line}', file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    command = args.command or 'all'
    try:
        if command == 'all':
            return run_all(settings)
        if command == 'web':
            run_web(settings)
        elif command == 'worker':
            run_worker(settings, beat=args.beat, name=args.hostname)
        elif command == 'beat':
            run_beat(settings)
        elif command == 'migrate':
            _announce_admin(settings, prepare_database(settings))
        elif command == 'seed-demo':
            return seed_demo(settings, args)
        elif command == 'audit-verify':
            return audit_verify(settings)
        elif command == 'totp-reset':
            return totp_reset(settings, args.email)
        elif command == 'backup':
            return run_backup(settings, args.to)
        elif command == 'restore':
            return run_restore(settings, args.file, yes=args.yes, force=args.force)
    except StartupError as error:
        print(f'hms: {error}', file=sys.stderr)
        return 2
    return 0
