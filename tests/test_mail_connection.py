"""The confirmations' cheap email path: the wire form says what ``compose`` says (headers, parts, attachments, also for
hostile and non-ASCII text), and one SMTP connection per process is kept for the next email, replaced when the
server dropped it before the email was accepted (sent once), never repeated once the message's data went out."""

from __future__ import annotations

import smtplib
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hms.config import Settings
from hms.notify import email
from hms.notify.message import Attachment, DeliveryError, Message
from hms.notify.sink import free_port


def message(**changes: Any) -> Message:
    values: dict[str, Any] = {
        'to_email': 'ada@example.com',
        'to_name': 'Ada Lovelace',
        'subject': 'Your appointment is booked',
        'text': 'See you at 09:00.',
        'html': '<p>See you at <b>09:00</b>.</p>',
        'attachments': (
            Attachment('appointment.ics', b'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', 'text/calendar; method=REQUEST'),
        ),
        'reference': 'hms.0123456789abcdef0123456789abcdef',
    }
    values.update(changes)
    return Message(**values)


def parsed(content: bytes) -> EmailMessage:
    found = message_from_bytes(content, policy=policy.default)
    assert isinstance(found, EmailMessage)
    return found


def summary(mail: EmailMessage) -> dict[str, Any]:
    text, html = mail.get_body(preferencelist=('plain',)), mail.get_body(preferencelist=('html',))
    assert text is not None and html is not None
    return {
        # compared without white space: the newer API folds encoded words with a space now and then ('B cc')
        'headers': {
            name: ''.join(str(mail[name]).split()) for name in ('From', 'To', 'Subject', 'Message-ID', 'Auto-Submitted')
        },
        'text': text.get_content().replace('\r\n', '\n').rstrip('\n'),
        'html': html.get_content().replace('\r\n', '\n').rstrip('\n'),
        'attachments': [
            (part.get_filename(), part.get_content_type(), part.get_param('method'), part.get_content())
            for part in mail.iter_attachments()
        ],
    }


@pytest.mark.parametrize(
    'changes',
    [
        {},
        {'attachments': ()},
        {
            'to_name': 'Zoë "Z" O\'Brien, Jr.; <admin@evil.example>\nBcc: x@evil.example',
            'subject': 'Termin bestätigt: Mo., 2. März 2026 — 09:00\r\nBcc: x@evil.example',
            'text': 'Grüße,\nIhre Praxis\n' + 'ä' * 2000,
            'html': '<p>Grüße &amp; <script>x</script></p>',
        },
    ],
)
def test_the_wire_form_says_what_compose_says(tmp_path: Path, changes: dict[str, Any]) -> None:
    settings = Settings(
        _env_file=None, data_dir=tmp_path, clinic_name='Klinik Süd', mail_from='Klinik Süd <no-reply@klinik.example>'
    )
    wire = email.wire_form(message(**changes), settings)
    assert wire is not None
    sender, recipient, content, message_id = wire
    composed = email.compose(message(**changes), settings)
    assert (sender, recipient, message_id) == ('no-reply@klinik.example', 'ada@example.com', composed['Message-ID'])
    assert summary(parsed(content)) == summary(parsed(composed.as_bytes()))
    assert b'\nBcc:' not in content and b'\r\nBcc:' not in content  # a line break typed into a name adds no header


def test_an_address_beyond_ascii_takes_the_composed_path(tmp_path: Path) -> None:
    assert email.wire_form(message(to_email='zoë@exämple.de'), Settings(_env_file=None, data_dir=tmp_path)) is None


class Counting:
    """An SMTP server that counts connections and keeps what it accepted."""

    def __init__(self) -> None:
        self.connections = 0
        self.received: list[bytes] = []

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.content)
        return '250 OK'


@pytest.fixture
def counting(tmp_path: Path) -> Any:
    email.close_connections()
    handler, port = Counting(), free_port()
    controller = Controller(handler, hostname='127.0.0.1', port=port)
    controller.start()
    settings = Settings(_env_file=None, data_dir=tmp_path, smtp_host='127.0.0.1', smtp_port=port, smtp_starttls=False)
    try:
        yield handler, settings
    finally:
        email.close_connections()
        controller.stop()


def test_one_connection_carries_many_emails(counting: Any) -> None:
    handler, settings = counting
    for number in range(5):
        email.send(message(reference=f'hms.{number:032x}'), settings)
    assert handler.connections == 1 and len(handler.received) == 5


def test_a_dropped_connection_is_replaced_and_the_email_sent_once(counting: Any) -> None:
    handler, settings = counting
    email.send(message(reference=f'hms.{1:032x}'), settings)
    [kept] = email._CONNECTIONS._idle
    assert kept.sock is not None
    kept.sock.shutdown(socket.SHUT_RDWR)  # the server (or the network) dropped it while it was idle
    email.send(message(reference=f'hms.{2:032x}'), settings)
    assert handler.connections == 2 and len(handler.received) == 2


def test_a_failure_once_the_data_went_out_is_not_repeated_here(counting: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """After DATA the server may have accepted it: the delivery's own retry (same Message-ID) decides, not the pool."""
    handler, settings = counting
    email.send(message(reference=f'hms.{1:032x}'), settings)

    def lost_after_data(self: smtplib.SMTP, msg: Any) -> Any:
        self.stage = 'data'  # type: ignore[attr-defined]
        raise smtplib.SMTPServerDisconnected('connection lost after the message went out')

    monkeypatch.setattr(email._Connection, 'data', lost_after_data)
    with pytest.raises(DeliveryError) as caught:
        email.send(message(reference=f'hms.{2:032x}'), settings)
    assert not caught.value.permanent
    assert handler.connections == 1  # no second connection, no second copy
