"""Addresses that carry a secret (a calendar feed's, a password-reset or verification link's token): uvicorn's access
log writes the request's path, so for these paths it writes the prefix and '…' instead."""

from __future__ import annotations

import logging

ACCESS_LOGGER = 'uvicorn.access'


class HideSecretPaths(logging.Filter):
    """Rewrites the path argument of uvicorn's access log line (client, method, path, version, status)."""

    def __init__(self) -> None:
        super().__init__()
        self.prefixes: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3:
            path = str(args[2])
            for prefix in self.prefixes:
                if path.startswith(prefix):
                    record.args = (*args[:2], prefix + '…', *args[3:])
                    break
        return True


HIDE_SECRET_PATHS = HideSecretPaths()


def hide_in_access_log(*prefixes: str) -> None:
    """Never log what follows ``prefixes`` in a path (the same filter is not added twice)."""
    HIDE_SECRET_PATHS.prefixes.update(prefixes)
    logging.getLogger(ACCESS_LOGGER).addFilter(HIDE_SECRET_PATHS)
