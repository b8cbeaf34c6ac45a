"""Peers the clinic talks to, run in the test process and stopped after the test: the development mail sink, an SMTP
server that records (and can refuse or hold) what it receives, and an HTTP server standing in for a chat webhook and
an SMS gateway. The fixtures are shared through conftest.py."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hms.notify.sink import SmtpSink, free_port


@pytest.fixture
def mail_sink(hms_env: Path) -> Iterator[SmtpSink]:
    """The development mail sink on this test's data folder (the app and the worker find its port there)."""
    sink = SmtpSink(hms_env)
    sink.start()
    yield sink
    sink.stop()


# --- an SMTP server that records --------------------------------------------------------------------------------------


class _Recorder:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        # Past the gate's limit every new message waits here: no message is half accepted while the test acts.
        while self.box.holding():
            self.box.held += 1
            await asyncio.sleep(0.05)
            self.box.held -= 1
        envelope.mail_from = address
        return '250 OK'

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.box.unknown_recipients:
            return '550 5.1.1 No such user here'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.box.lock:
            if self.box.refuse:
                return self.box.refuse.pop(0)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.box.lock:
            self.box.messages.append(parsed)
        return '250 Message accepted for delivery'


@dataclass
class Mailbox:
    """An SMTP server that records messages; it can be stopped and started again on the same port.

    ``unknown_recipients`` refuses every recipient (550); ``refuse`` lists answers to give to the next messages instead
    of accepting them, in order; ``hold_after`` makes it stop accepting new messages after that many.
    """

    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    unknown_recipients: bool = False
    refuse: list[str] = field(default_factory=list)
    hold_after: int | None = None
    held: int = 0
    _controller: Controller | None = None

    def holding(self) -> bool:
        with self.lock:
            return self.hold_after is not None and len(self.messages) >= self.hold_after

    def start(self) -> None:
        self._controller = Controller(_Recorder(self), hostname='127.0.0.1', port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self, subject_prefix: str = '') -> list[EmailMessage]:
        """The messages so far (those whose subject starts with ``subject_prefix``)."""
        with self.lock:
            return [m for m in self.messages if str(m['Subject']).strip().startswith(subject_prefix)]

    def to(self) -> list[str]:
        """Every message's To header, sorted."""
        return sorted(str(message['To']) for message in self.received())

    def count_by(self, subject_prefix: str) -> dict[str, int]:
        """How many messages each recipient got whose subject starts with ``subject_prefix``."""
        counts: dict[str, int] = {}
        for message in self.received(subject_prefix):
            address = parseaddr(str(message['To']))[1]
            counts[address] = counts.get(address, 0) + 1
        return counts

    def shown_by(self, subject_prefix: str) -> dict[str, int]:
        """How many messages each recipient's mailbox shows: a message sent again with the same Message-ID (a worker
        killed between the SMTP server's acceptance and our record of it) is one message to mail stores."""
        seen: dict[str, set[str]] = {}
        for message in self.received(subject_prefix):
            address = parseaddr(str(message['To']))[1]
            seen.setdefault(address, set()).add(str(message['Message-ID']))
        return {address: len(ids) for address, ids in seen.items()}

    def smtp_env(self) -> dict[str, str]:
        return {
            'HMS_SMTP_HOST': '127.0.0.1',
            'HMS_SMTP_PORT': str(self.port),
            'HMS_SMTP_STARTTLS': 'false',
            'HMS_SMTP_TIMEOUT_SECONDS': '5',
        }


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    try:
        yield box
    finally:
        box.stop()


# --- a chat webhook and an SMS gateway -------------------------------------------------------------------------------


@dataclass
class HttpPeer:
    base: str
    requests: list[tuple[str, str, bytes]]  # method, path (with the query), body

    def paths(self, prefix: str) -> list[tuple[str, str, bytes]]:
        return [request for request in list(self.requests) if request[1].startswith(prefix)]


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    """A chat webhook and an SMS gateway: answers 200, or 404 on paths with 'broken' in them."""
    seen: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get('Content-Length') or 0)
            seen.append((self.command, self.path, self.rfile.read(length)))
            self.send_response(404 if 'broken' in self.path else 200)
            self.end_headers()

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield HttpPeer(f'http://127.0.0.1:{server.server_address[1]}', seen)
    server.shutdown()
    server.server_close()
    thread.join()
