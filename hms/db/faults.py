"""Database faults that are the server's condition, not the user's input: a read-only or full disk, a database
locked for too long, a server that cannot be reached. Pages and the API answer them with a clear "try again later"
(503) instead of a traceback; the log records the driver's short reason, never the statement or its parameters."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger('hms.db')

DRIVER_ERROR: type[Exception] = DBAPIError
"""What the database driver raises, wrapped (``is_unavailable`` sorts it): for an error handler registered without
importing SQLAlchemy."""

RETRY_AFTER_SECONDS = 60
READ_ONLY_SQLSTATE = '25006'
_REASONS = (
    ('readonly', 'The database is read-only at the moment, so nothing can be saved.'),
    ('read-only', 'The database is read-only at the moment, so nothing can be saved.'),
    ('disk is full', 'The server has run out of disk space, so nothing can be saved.'),
    ('locked', 'The database is busy with other work.'),
    ('disk i/o', 'The server cannot write to its disk at the moment.'),
)
GENERIC = 'The database cannot be reached at the moment.'
ADVICE = 'Nothing was changed. Please try again in a few minutes; the error has been logged for the administrator.'


def is_unavailable(error: BaseException) -> bool:
    """An error of the database server or its disk (503), as opposed to a bug (500)."""
    if isinstance(error, OperationalError):
        return True
    # PostgreSQL read-only (a hot standby, default_transaction_read_only) raises 25006 as an InternalError.
    return isinstance(error, DBAPIError) and (
        error.connection_invalidated or getattr(error.orig, 'sqlstate', None) == READ_ONLY_SQLSTATE
    )


def reason(error: BaseException) -> str:
    """The driver's own short message (e.g. 'attempt to write a readonly database'), without SQL or parameters."""
    original = getattr(error, 'orig', None)
    return str(original if original is not None else type(error).__name__)[:200]


def user_message(error: BaseException) -> str:
    """What to tell the user: what is wrong in plain words, and that nothing was changed."""
    text = reason(error).lower()
    for marker, message in _REASONS:
        if marker in text:
            return f'{message} {ADVICE}'
    return f'{GENERIC} {ADVICE}'


def log(error: BaseException, where: str) -> None:
    logger.error('database unavailable during %s: %s', where, reason(error))
