"""Appointment reminders and confirmations: what is due, and each message composed from ids alone.

A message is never stored or queued: the jobs pass ids (appointment, channel, kind) and the worker composes the
message again when it sends, from the appointment as it is then. A message whose appointment changed in between
(cancelled, moved to another day, changed again) is not sent: the change has its own confirmation.

Subjects, chat and SMS texts name the clinic, the time and the doctor only: never the reason for the visit, the
department or any other clinical detail (they show on lock screens and in shared chat rooms).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any

from hms import clock
from hms.config import Settings
from hms.db.job_runs import JobRunRepository
from hms.db.reminders import AppointmentFacts, AppointmentFactsRepository
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Channel
from hms.notify import email, webhooks
from hms.notify.ics import appointment_ics
from hms.notify.message import Attachment, DeliveryError, Message
from hms.notify.sink import sink_port

JOB = 'daily-reminders'
REMINDER = 'reminder'
CONFIRMATION_KINDS = ('booked', 'rescheduled', 'cancelled')
CHAT_RECIPIENT = 'webhook'


@dataclass(frozen=True)
class DueReminder:
    """One reminder on one channel: its delivery key and what the delivery row records."""

    day: date
    appointment_id: int
    patient_id: int
    channel: Channel
    recipient: str
    subject: str

    @property
    def key(self) -> str:
        return reminder_key(self.day, self.appointment_id, self.channel)


@dataclass(frozen=True)
class PlannedConfirmation:
    appointment_id: int
    patient_id: int
    kind: str
    sequence: int
    recipient: str
    subject: str

    @property
    def key(self) -> str:
        return confirmation_key(self.appointment_id, self.sequence, self.kind)


def reminder_key(day: date, appointment_id: int, channel: Channel) -> str:
    return f'reminder:{day.isoformat()}:appointment:{appointment_id}:{channel.value}'


def confirmation_key(appointment_id: int, sequence: int, kind: str) -> str:
    return f'confirmation:appointment:{appointment_id}:seq:{sequence}:{kind}:email'


def today(settings: Settings) -> date:
    """Today in the clinic's time zone."""
    return clock.now().astimezone(settings.zone).date()


def day_bounds(day: date, settings: Settings) -> tuple[datetime, datetime]:
    """The UTC instants where the clinic's local ``day`` starts and the next one starts (23 or 25 h across DST)."""
    zone = settings.zone
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def appointment_facts(uow: UnitOfWork, appointment_id: int) -> AppointmentFacts | None:
    return AppointmentFactsRepository(uow.session).get(appointment_id)


def channels(settings: Settings, facts: AppointmentFacts) -> list[tuple[Channel, str]]:
    """The configured channels that can reach this patient, with the recipient each delivery row records."""
    found = [(Channel.EMAIL, facts.patient_email)]
    if settings.chat_webhook_url:
        found.append((Channel.CHAT, CHAT_RECIPIENT))
    if settings.sms_gateway_url and facts.patient_phone:
        found.append((Channel.SMS, facts.patient_phone))
    return found


def due_reminders(uow: UnitOfWork, settings: Settings, day: date) -> list[DueReminder]:
    """One reminder per booked appointment of the clinic's local ``day`` and per channel, in time order."""
    start, end = day_bounds(day, settings)
    due = []
    for facts in AppointmentFactsRepository(uow.session).booked_between(start, end):
        subject = reminder_subject(settings, facts)
        for channel, recipient in channels(settings, facts):
            due.append(DueReminder(day, facts.id, facts.patient_id, channel, recipient, subject))
    return due


def plan_confirmation(
    uow: UnitOfWork, settings: Settings, appointment_id: int, kind: str
) -> PlannedConfirmation | None:
    """The confirmation email for a change, or None when a later change superseded it (that one confirms)."""
    if kind not in CONFIRMATION_KINDS:
        raise ValueError(f'unknown confirmation kind {kind!r}')
    facts = appointment_facts(uow, appointment_id)
    if facts is None or not _still_current(facts, kind):
        return None
    return PlannedConfirmation(
        appointment_id=facts.id,
        patient_id=facts.patient_id,
        kind=kind,
        sequence=facts.sequence,
        recipient=facts.patient_email,
        subject=confirmation_subject(settings, facts, kind),
    )


def _still_current(facts: AppointmentFacts, kind: str) -> bool:
    if kind == 'cancelled':
        return facts.status is AppointmentStatus.CANCELLED
    return facts.status is AppointmentStatus.BOOKED


# --- composing --------------------------------------------------------------------------------------------------


def when(moment: datetime, settings: Settings) -> str:
    """'Mon 2 Mar 2026, 09:00' in the clinic's zone."""
    local = moment.astimezone(settings.zone)
    return f'{local:%a} {local.day} {local:%b %Y, %H:%M}'


def _span(facts: AppointmentFacts, settings: Settings) -> str:
    end = facts.end.astimezone(settings.zone)
    return f'{when(facts.start, settings)}–{end:%H:%M} ({end:%Z})'


def _location(settings: Settings) -> str:
    return ', '.join(part for part in (settings.clinic_name, settings.clinic_address.strip()) if part)


def reminder_subject(settings: Settings, facts: AppointmentFacts) -> str:
    return f'Reminder: your appointment at {settings.clinic_name} on {when(facts.start, settings)}'


def confirmation_subject(settings: Settings, facts: AppointmentFacts, kind: str) -> str:
    moment = when(facts.start, settings)
    if kind == 'booked':
        return f'Booked: your appointment at {settings.clinic_name} on {moment}'
    if kind == 'rescheduled':
        return f'Moved: your appointment at {settings.clinic_name} is now on {moment}'
    return f'Cancelled: your appointment at {settings.clinic_name} on {moment}'


def _ics(settings: Settings, facts: AppointmentFacts, *, cancelled: bool) -> Attachment:
    sender_name, sender_address = parseaddr(settings.sender)
    content = appointment_ics(
        appointment_id=facts.id,
        sequence=facts.sequence,
        start=facts.start,
        end=facts.end,
        summary=f'Appointment with {facts.doctor_name}',
        location=_location(settings),
        organizer_email=sender_address or 'no-reply@hms.local',
        organizer_name=settings.clinic_name or sender_name,
        attendee_email=facts.patient_email,
        attendee_name=facts.patient_name,
        cancelled=cancelled,
        stamp=clock.now(),
    )
    method = 'CANCEL' if cancelled else 'REQUEST'
    return Attachment('appointment.ics', content, f'text/calendar; method={method}')


def _email(
    settings: Settings,
    facts: AppointmentFacts,
    *,
    subject: str,
    lead: str,
    closing: str,
    cancelled: bool,
    short_text: str = '',
) -> Message:
    rows = [
        ('When', _span(facts, settings)),
        ('Doctor', facts.doctor_name),
        ('Department', facts.department),
        ('Where', _location(settings)),
    ]
    text = '\n'.join(
        [
            f'Dear {facts.patient_name},',
            '',
            lead,
            '',
            *(f'{label}: {value}' for label, value in rows),
            '',
            closing,
            '',
            settings.clinic_name,
        ]
    )
    cells = ''.join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{html.escape(label)}</th>'
        f'<td>{html.escape(value)}</td></tr>'
        for label, value in rows
    )
    body = (
        f'<p>Dear {html.escape(facts.patient_name)},</p><p>{html.escape(lead)}</p><table>{cells}</table>'
        f'<p>{html.escape(closing)}</p><p>{html.escape(settings.clinic_name)}</p>'
    )
    return Message(
        to_email=facts.patient_email,
        to_name=facts.patient_name,
        subject=subject,
        text=text + '\n',
        html=body,
        attachments=(_ics(settings, facts, cancelled=cancelled),),
        short_text=short_text,
        phone=facts.patient_phone,
    )


def reminder_message(settings: Settings, facts: AppointmentFacts) -> Message:
    """The reminder (email with the .ics; ``short_text`` for SMS)."""
    closing = 'The calendar file attached keeps your calendar up to date. If you cannot come, please cancel or call.'
    return _email(
        settings,
        facts,
        subject=reminder_subject(settings, facts),
        lead='This is a reminder of your appointment:',
        closing=closing,
        cancelled=False,
        short_text=sms_text(settings, facts),
    )


def sms_text(settings: Settings, facts: AppointmentFacts) -> str:
    """For the patient's phone: time, doctor, address; never the reason or the department."""
    where = f' at {settings.clinic_address.strip()}' if settings.clinic_address.strip() else ''
    return (
        f'{settings.clinic_name}: reminder of your appointment on {when(facts.start, settings)}{where} '
        f'with {facts.doctor_name}.'
    )


def chat_text(settings: Settings, facts: AppointmentFacts) -> str:
    """For the clinic's chat room: who and when, never the reason or the department."""
    return (
        f'{settings.clinic_name}: reminder sent to {facts.patient_name} for the appointment on '
        f'{when(facts.start, settings)} with {facts.doctor_name}.'
    )


def confirmation_message(settings: Settings, facts: AppointmentFacts, kind: str) -> Message:
    if kind == 'booked':
        lead, closing = 'Your appointment is booked:', 'Add the attached invitation to your calendar.'
    elif kind == 'rescheduled':
        lead, closing = 'Your appointment was moved. The new time:', 'The attached invitation updates your calendar.'
    else:
        lead = 'Your appointment was cancelled:'
        closing = 'The attached file removes it from your calendar. Please book another time if you still need a visit.'
    return _email(
        settings,
        facts,
        subject=confirmation_subject(settings, facts, kind),
        lead=lead,
        closing=closing,
        cancelled=kind == 'cancelled',
    )


def compose(
    uow: UnitOfWork,
    settings: Settings,
    *,
    appointment_id: int,
    channel: Channel,
    kind: str,
    day: date | None = None,
    sequence: int | None = None,
) -> Message | None:
    """The message of one delivery, rebuilt from ids; None when the appointment no longer warrants it."""
    facts = appointment_facts(uow, appointment_id)
    if facts is None:
        return None
    if kind == REMINDER:
        if facts.status is not AppointmentStatus.BOOKED:
            return None
        if day is not None and facts.start.astimezone(settings.zone).date() != day:
            return None  # moved to another day: that day's run reminds
        message = reminder_message(settings, facts)
        if channel is Channel.CHAT:
            return replace(message, short_text=chat_text(settings, facts))
        return message
    if not _still_current(facts, kind) or (sequence is not None and facts.sequence != sequence):
        return None  # a later change superseded this confirmation; its own confirmation follows
    return confirmation_message(settings, facts, kind)


def send_on(channel: Channel, message: Message, settings: Settings) -> None:
    """Send one message on one channel; raises DeliveryError (``permanent`` when retrying cannot help)."""
    if channel is Channel.EMAIL:
        port = sink_port(settings.data_path) if settings.sends_through_sink else None
        email.send(message, settings, sink_port=port)
    elif channel is Channel.CHAT:
        if not settings.chat_webhook_url:
            raise DeliveryError('no chat webhook is configured', permanent=True)
        webhooks.post_chat(settings.chat_webhook_url, message.short_text)
    else:
        if not settings.sms_gateway_url or not message.phone:
            raise DeliveryError('no SMS gateway is configured or no phone number', permanent=True)
        webhooks.send_sms(settings.sms_gateway_url, message.phone, message.short_text)


# --- the run's counts -------------------------------------------------------------------------------------------
# Deliveries finish in their own tasks, after the run task has returned: each one adds itself to the run's counts
# with an atomic increment, and the run is finished when every delivery it queued has an outcome.


def _finish_if_complete(uow: UnitOfWork, run_id: int) -> None:
    found = JobRunRepository(uow.session).fresh(run_id)
    if found is None or found.status != 'running':
        return
    queued = (found.detail or {}).get('queued')
    if isinstance(queued, int) and found.sent + found.failed >= queued:
        found.status, found.finished_at = 'done', clock.now()


def settle_run(uow: UnitOfWork, run_id: int, *, queued: int, skipped: int, detail: dict[str, Any]) -> None:
    """Record what the run queued and skipped; it is done at once when nothing is left to send."""
    run = JobRunRepository(uow.session).get(run_id)
    if run is None:
        return
    run.skipped = skipped
    run.detail = {**(run.detail or {}), **detail, 'queued': queued}
    uow.session.flush()
    _finish_if_complete(uow, run_id)
    uow.commit()


def count_outcome(uow: UnitOfWork, run_id: int | None, *, sent: bool) -> None:
    """Add one delivery's outcome (sent, or failed for good) to its run."""
    if run_id is None:
        return
    JobRunRepository(uow.session).count_outcome(run_id, sent=sent)
    _finish_if_complete(uow, run_id)
    uow.commit()


def fail_run(uow: UnitOfWork, run_id: int, error: str) -> None:
    run = JobRunRepository(uow.session).get(run_id)
    if run is not None:
        run.status, run.finished_at = 'failed', clock.now()
        run.detail = {**(run.detail or {}), 'error': error[:500]}
        uow.commit()
