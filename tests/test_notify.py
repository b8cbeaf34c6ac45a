"""Channels against real peers: the aiosmtpd sink, a refusing SMTP server, a local HTTP server for webhooks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from hms.config import Settings
from hms.notify import email, webhooks
from hms.notify.ics import appointment_ics
from hms.notify.message import Attachment, DeliveryError, Message
from hms.notify.sink import SmtpSink, free_port, read_outbox, sink_port

from .peers import HttpPeer

STAMP = datetime(2026, 3, 2, 7, tzinfo=UTC)


def message(**changes: Any) -> Message:
    values: dict[str, Any] = {
        'to_email': 'ada@example.com',
        'to_name': 'Ada Lovelace',
        'subject': 'Your appointment today',
        'text': 'See you at 09:00.',
        'html': '<p>See you at <b>09:00</b>.</p>',
        'short_text': 'Appointment 09:00',
    }
    values.update(changes)
    return Message(**values)


def test_the_sink_keeps_multipart_mail_with_attachments(mail_sink: SmtpSink, hms_env: Path) -> None:
    ics = appointment_ics(
        appointment_id=17,
        sequence=2,
        start=STAMP,
        end=STAMP + timedelta(minutes=30),
        summary='Appointment',
        location='1 Clinic Road',
        organizer_email='no-reply@hms.local',
        organizer_name='HMS Clinic',
        attendee_email='ada@example.com',
        attendee_name='Ada Lovelace',
        cancelled=False,
        stamp=STAMP,
    )
    settings = Settings(_env_file=None, data_dir=hms_env, clinic_name='Riverside Clinic')
    invitation = Attachment('appointment.ics', ics, 'text/calendar; method=REQUEST')
    email.send(message(attachments=(invitation,)), settings, sink_port=sink_port(hms_env))
    [kept] = read_outbox(hms_env / 'outbox')
    assert (kept.to, kept.subject) == ('Ada Lovelace <ada@example.com>', 'Your appointment today')
    assert '<b>09:00</b>' in kept.html and 'See you at 09:00.' in kept.text
    assert kept.attachments == ['appointment.ics']
    assert mail_sink.port is not None and sink_port(hms_env) == mail_sink.port


def test_ics_has_a_stable_uid_and_the_method(tmp_path: Path) -> None:
    common = {
        'appointment_id': 17,
        'start': STAMP,
        'end': STAMP + timedelta(minutes=30),
        'summary': 'Appointment',
        'location': 'Clinic',
        'organizer_email': 'a@hms.local',
        'organizer_name': 'HMS',
        'attendee_email': 'b@x.org',
        'attendee_name': 'B',
        'stamp': STAMP,
    }
    booked = Calendar.from_ical(appointment_ics(sequence=0, cancelled=False, **common))
    cancelled = Calendar.from_ical(appointment_ics(sequence=3, cancelled=True, **common))
    first, last = booked.walk('VEVENT')[0], cancelled.walk('VEVENT')[0]
    assert str(first['UID']) == str(last['UID']) == 'appointment-17@hms.local'
    assert (booked['METHOD'], cancelled['METHOD']) == ('REQUEST', 'CANCEL')
    assert (int(first['SEQUENCE']), int(last['SEQUENCE'])) == (0, 3)


class _Refuse:
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return '550 5.1.1 No such user here'


def test_smtp_5xx_is_a_permanent_failure(tmp_path: Path) -> None:
    port = free_port()
    controller = Controller(_Refuse(), hostname='127.0.0.1', port=port)
    controller.start()
    try:
        settings = Settings(
            _env_file=None, data_dir=tmp_path, smtp_host='127.0.0.1', smtp_port=port, smtp_starttls=False
        )
        with pytest.raises(DeliveryError) as caught:
            email.send(message(), settings)
        assert caught.value.permanent
    finally:
        controller.stop()


def test_an_unreachable_server_is_a_temporary_failure(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        smtp_host='127.0.0.1',
        smtp_port=1,
        smtp_starttls=False,
        smtp_timeout_seconds=2,
    )
    with pytest.raises(DeliveryError) as caught:
        email.send(message(), settings)
    assert not caught.value.permanent


def test_chat_webhook_and_sms_gateway(http_peer: HttpPeer) -> None:
    base, seen = http_peer.base, http_peer.requests
    webhooks.post_chat(f'{base}/chat', 'Reminder: 09:00 with Dr Grey')
    webhooks.send_sms(f'{base}/sms?to={{phone}}&text={{text}}', '+44 20 7946 0000', 'See you at 09:00')
    assert seen[0][0] == 'POST' and json.loads(seen[0][2]) == {'text': 'Reminder: 09:00 with Dr Grey'}
    assert seen[1][0] == 'GET' and seen[1][1] == '/sms?to=%2B44%2020%207946%200000&text=See%20you%20at%2009%3A00'
    with pytest.raises(DeliveryError) as caught:
        webhooks.post_chat(f'{base}/broken', 'x')
    assert caught.value.permanent


def test_every_attempt_at_one_delivery_keeps_its_message_id(tmp_path: Path) -> None:
    """A worker killed after the SMTP server accepted a message, but before that was recorded, sends it again: with
    the same Message-ID, which mail stores and clients show once. Different deliveries and installations differ."""
    from hms.services.deliveries import message_reference

    here = Settings(data_dir=tmp_path / 'one', storage_secret='first-installation-secret')
    elsewhere = Settings(data_dir=tmp_path / 'two', storage_secret='second-installation-secret')
    reference = message_reference(here, 7)
    assert reference == message_reference(here, 7)
    assert reference not in {message_reference(here, 8), message_reference(elsewhere, 7)}
    assert re.fullmatch(r'hms\.[0-9a-f]{32}', reference)  # an opaque digest: no id, nothing about the patient
    first = email.compose(message(reference=reference), here)
    again = email.compose(message(reference=reference), here)
    assert first['Message-ID'] == again['Message-ID'] == f'<{reference}@{here.sender.split("@")[-1].rstrip(">")}>'
    assert email.compose(message(), here)['Message-ID'] != email.compose(message(), here)['Message-ID']
