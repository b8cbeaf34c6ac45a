"""A bad setting stops the command with one line naming it, exit status 2, and no traceback; JSON logs on request;
the first-start credentials framed in a box."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from hms.cli import boxed
from hms.runtime import logs

from .processes import free_port

ROOT = Path(__file__).resolve().parents[1]


def run_main(tmp_path: Path, *argv: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """``python main.py ARGV`` as an operator runs it, in an empty folder (no .env) with only these settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(('HMS_', 'PYTEST_', 'NICEGUI_'))}
    env.update({'HMS_DATA_DIR': str(tmp_path / 'data'), **settings})
    return subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), *argv],
        cwd=tmp_path,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ('setting', 'value', 'line'),
    [
        ('HMS_TIMEZONE', 'Mars/Base', "hms: HMS_TIMEZONE: unknown time zone 'Mars/Base'"),
        ('HMS_PORT', 'eighty', "hms: HMS_PORT: not a whole number: 'eighty'"),
        ('HMS_PORT', '70000', 'hms: HMS_PORT: input should be less than or equal to 65535'),
        ('HMS_LOG_LEVEL', 'LOUD', "hms: HMS_LOG_LEVEL: unknown log level 'LOUD'"),
        ('HMS_LOG_FORMAT', 'xml', "hms: HMS_LOG_FORMAT: input should be 'text' or 'json'"),
        ('HMS_DATABASE_URL', 'nonsense://nowhere', 'hms: HMS_DATABASE_URL: cannot connect:'),
    ],
)
def test_a_bad_setting_is_one_line_and_status_2(tmp_path: Path, setting: str, value: str, line: str) -> None:
    result = run_main(tmp_path, 'migrate', **{setting: value})
    assert result.returncode == 2
    assert result.stderr.strip().startswith(line)
    assert result.stderr.count('\n') == 1 and 'Traceback' not in result.stderr
    assert result.stdout == ''


def test_a_database_that_does_not_answer_is_one_line_without_its_password(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    url = f'postgresql+psycopg://hms:s3cret-pw@127.0.0.1:{closed}/hms'
    result = run_main(tmp_path, 'migrate', HMS_DATABASE_URL=url)
    assert result.returncode == 2
    assert result.stderr.startswith('hms: HMS_DATABASE_URL: cannot connect: ')
    assert result.stderr.count('\n') == 1 and 'Traceback' not in result.stderr
    assert 's3cret-pw' not in result.stderr


def test_the_first_migrate_frames_the_credentials_and_says_nothing_else(tmp_path: Path) -> None:
    result = run_main(tmp_path, 'migrate')
    assert result.returncode == 0, result.stderr
    assert 'Running upgrade' not in result.stderr  # the migration steps are DEBUG chatter
    password = dict(
        line.split('=', 1) for line in (tmp_path / 'data' / 'admin-credentials.txt').read_text().splitlines()
    )['password']
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith('╭') and lines[-1].startswith('╰')
    assert any(password in line and line.startswith('│') and line.endswith('│') for line in lines)
    assert password not in result.stderr
    again = run_main(tmp_path, 'migrate')
    assert again.returncode == 0 and again.stdout == ''  # once


def test_json_logs_one_object_per_line(tmp_path: Path) -> None:
    result = run_main(tmp_path, 'migrate', HMS_LOG_FORMAT='json', HMS_LOG_LEVEL='debug')
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    assert entries, 'DEBUG shows the migration steps'
    assert all(set(entry) >= {'time', 'level', 'logger', 'message', 'request_id'} for entry in entries)
    assert any(entry['logger'] == 'alembic.runtime.migration' for entry in entries)


def test_the_json_formatter_carries_the_request_id_and_the_traceback() -> None:
    formatter = logs.JsonFormatter()
    token = logs.request_id.set('abc123')
    try:
        try:
            raise ValueError('boom')
        except ValueError:
            record = logging.getLogger('hms.test').makeRecord(
                'hms.test', logging.ERROR, __file__, 1, 'failed %s', ('once',), sys.exc_info()
            )
        entry = json.loads(formatter.format(record))
    finally:
        logs.request_id.reset(token)
    assert entry['level'] == 'ERROR' and entry['logger'] == 'hms.test' and entry['message'] == 'failed once'
    assert entry['request_id'] == 'abc123'
    assert 'ValueError: boom' in entry['exception']
    assert entry['time'].endswith('+00:00')


def test_the_box_fits_its_longest_line() -> None:
    drawn = boxed(['short', 'a longer line']).strip().splitlines()
    assert drawn == ['╭───────────────╮', '│ short         │', '│ a longer line │', '╰───────────────╯']


def test_a_line_logged_while_answering_a_request_carries_its_id() -> None:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    async def endpoint(_request: Request) -> PlainTextResponse:
        logging.getLogger('hms.test.request').warning('answering')
        return PlainTextResponse('ok')

    handler = Collect()
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger('hms.test.request')
    logger.addHandler(handler)
    try:
        client = TestClient(logs.RequestId(Starlette(routes=[Route('/', endpoint)])))
        answer = client.get('/', headers={'X-Request-ID': 'from-the-proxy'})
    finally:
        logger.removeHandler(handler)
    assert answer.headers['x-request-id'] == 'from-the-proxy'
    assert [json.loads(line)['request_id'] for line in lines] == ['from-the-proxy']
    assert logs.request_id.get() is None  # nothing leaks past the request
