"""How the processes log: quiet text for a terminal, or one JSON object per line for a log collector.

Every line carries the id of the request it was written for (``request_id``, set by :class:`RequestId` on the pages
and the API), so one request can be followed through the web process's log.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TEXT_FORMAT = '%(asctime)s %(levelname)s %(name)s: %(message)s'

request_id: ContextVar[str | None] = ContextVar('request_id', default=None)

# Chatter an operator does not need at the default level: each migration step, the SMTP sink's conversation, Celery's
# start-up handshake and readiness, a line per task run (failures are logged as errors and still show); DEBUG shows
# them all.
CHATTY_LOGGERS = (
    'alembic.runtime.migration',
    'alembic.runtime.plugins',  # 'setup plugin …' on Alembic's (lazy) import
    'mail.log',
    'celery.worker.consumer.connection',
    'celery.worker.consumer.mingle',
    'celery.worker.strategy',
    'celery.app.trace',
    'celery.beat',
    'celery.apps.worker',  # 'hms@host ready.' would come after the first-start credentials, which are last
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            'time': datetime.fromtimestamp(record.created, UTC).isoformat(timespec='milliseconds'),
            'level': record.levelname,
            'logger': record.name,
            'message': record.getMessage(),
            'request_id': request_id.get(),
        }
        if record.exc_info:
            entry['exception'] = self.formatException(record.exc_info)
        if record.stack_info:
            entry['stack'] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str, log_format: str) -> None:
    """Log to stderr at ``level`` in ``log_format`` (``text`` or ``json``), replacing what was configured before."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == 'json' else logging.Formatter(TEXT_FORMAT))
    # On the handler too: a logger filter may lower a record's level after the logger's own check (hms/notify/sink).
    handler.setLevel(level)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # a library's warning becomes a log line (one JSON object in json mode)
    quiet = logging.getLevelName(level) > logging.DEBUG
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)


# A client's own id is kept only when it cannot smuggle anything into a log line or a header.
_SAFE_ID = re.compile(r'[A-Za-z0-9._-]{1,64}')
_SCOPE_KEY = 'hms.request_id'


class RequestId:
    """Pure ASGI middleware: give each HTTP request an id (the client's ``X-Request-ID`` when it is a short safe
    token, else a new one), keep it in :data:`request_id` while the request runs, and answer it in ``X-Request-ID``.
    Installed on the pages and on the API; the outer one wins, the inner one only passes the request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or _SCOPE_KEY in scope:
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get('headers', [])).get(b'x-request-id', b'').decode('latin-1')
        current = incoming if _SAFE_ID.fullmatch(incoming) else secrets.token_hex(8)
        scope[_SCOPE_KEY] = current

        async def send_with_id(message: Message) -> None:
            if message['type'] == 'http.response.start':
                message.setdefault('headers', [])
                MutableHeaders(scope=message)['x-request-id'] = current
            await send(message)

        token = request_id.set(current)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
