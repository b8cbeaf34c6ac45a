"""No personal data at INFO or above in logs: sending an email through the local SMTP sink logs the message id, never
the recipient's address or name (aiosmtpd's own transcript, which holds `RCPT TO:<...>`, is lowered to DEBUG)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hms.config import Settings
from hms.notify.email import send
from hms.notify.message import Message
from hms.notify.sink import SmtpSink, read_outbox

ADDRESS, NAME = 'ada.lovelace@example.com', 'Ada Lovelace'


def test_a_sent_email_is_logged_by_its_message_id_only(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger='mail.log')  # as an operator's HMS_LOG_LEVEL=DEBUG would (quiet otherwise)
    sink = SmtpSink(tmp_path)
    sink.start()
    try:
        send(Message(ADDRESS, NAME, 'Your appointment', 'Dear Ada', '<p>Dear Ada</p>'), settings, sink_port=sink.port)
    finally:
        sink.stop()
    [kept] = read_outbox(sink.outbox)
    assert ADDRESS in kept.to
    loud = [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO]
    assert not [line for line in loud if ADDRESS in line or NAME in line or 'Ada' in line], loud
    sent = [line for line in loud if line.startswith('email <')]
    assert len(sent) == 1 and any(line.startswith('smtp sink: kept <') for line in loud)
    message_id = sent[0].split()[1]
    assert any(message_id in line for line in loud if line.startswith('smtp sink'))  # one id to follow it by
    quiet = [record.getMessage() for record in caplog.records if record.levelno < logging.INFO]
    assert any(ADDRESS in line for line in quiet)  # the transcript is there for whoever asks for DEBUG
