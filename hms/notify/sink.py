"""The development mail sink: a real SMTP server (aiosmtpd) on loopback that keeps every message as an .eml file in
the data folder's outbox, where the admin's Outbox page reads them. Used when no SMTP server is configured."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

PORT_FILE = 'smtp-sink.port'


logger = logging.getLogger(__name__)


class _QuietTranscript(logging.Filter):
    """aiosmtpd logs every command of the conversation at INFO (``RCPT TO:<ada@example.com>``): recipients, that is
    personal data. Its records below ERROR are lowered to DEBUG, where a developer can still ask for them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            record.levelno, record.levelname = logging.DEBUG, 'DEBUG'
        return True


_QUIET_TRANSCRIPT = _QuietTranscript()


def _message_id(content: bytes) -> str:
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(content)
    return str(headers.get('Message-ID', '')).strip() or '(no Message-ID)'


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f'{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml'
        # Written whole, then renamed: the Outbox never sees half a message.
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix='.part')
        with os.fdopen(fd, 'wb') as handle:
            handle.write(envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode())
        os.replace(temporary, self.folder / name)
        logger.info('smtp sink: kept %s as %s', _message_id(envelope.content), name)  # never the recipients
        return '250 Message accepted for delivery'


class SmtpSink:
    """Start with ``start()``; ``port`` is then the free port it listens on (also written to the data folder)."""

    def __init__(self, data_dir: Path) -> None:
        self.outbox = data_dir / 'outbox'
        self.port_file = data_dir / PORT_FILE
        self._controller: Controller | None = None

    @property
    def port(self) -> int | None:
        return self._controller.port if self._controller else None

    def start(self) -> int:
        from aiosmtpd.controller import Controller  # the supervisor's only; workers read the port file alone

        self.outbox.mkdir(parents=True, exist_ok=True, mode=0o700)
        logging.getLogger('mail.log').addFilter(_QUIET_TRANSCRIPT)  # once: the same filter is not added twice
        port = free_port()
        self._controller = Controller(_SaveToFolder(self.outbox), hostname='127.0.0.1', port=port)
        self._controller.start()
        self.port_file.write_text(str(port), encoding='utf-8')
        return port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self.port_file.unlink(missing_ok=True)


def free_port() -> int:
    """A port free on loopback now (aiosmtpd needs a concrete port to check that it listens)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def sink_port(data_dir: Path) -> int | None:
    """The port of the running sink of this data folder, if any."""
    try:
        return int((data_dir / PORT_FILE).read_text(encoding='utf-8').strip())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    received_at: datetime
    to: str
    subject: str
    html: str
    text: str
    attachments: list[str]


def read_outbox(outbox: Path, *, limit: int = 200) -> list[OutboxMessage]:
    """The newest messages first, parsed from the .eml files."""
    if not outbox.exists():
        return []
    files = sorted(outbox.glob('*.eml'), reverse=True)[:limit]
    messages = []
    for path in files:
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        html = parsed.get_body(preferencelist=('html',))
        text = parsed.get_body(preferencelist=('plain',))
        messages.append(
            OutboxMessage(
                name=path.name,
                received_at=datetime.fromtimestamp(int(path.name.split('-')[0]) / 1e9, tz=UTC),
                to=str(parsed['To'] or ''),
                subject=str(parsed['Subject'] or ''),
                html=html.get_content() if html is not None else '',
                text=text.get_content() if text is not None else '',
                attachments=[part.get_filename() or '' for part in parsed.iter_attachments()],
            )
        )
    return messages
