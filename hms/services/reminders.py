"""Appointment reminders and confirmations: what is due, and each message composed from ids alone.

A message is never stored or queued: the jobs pass ids (appointment, channel, kind) and the worker composes the
message again when it sends, from the appointment as it is then. A message whose appointment changed in between
(cancelled, moved to another day, changed again) is not sent: the change has its own confirmation.

Each message is composed in the patient's language (the chat room's text in the clinic's default language), from the
templates in hms/notify/templates. Subjects, chat and SMS texts name the clinic, the time and the doctor only: never
the reason for the visit, the department or any other clinical detail (they show on lock screens and in shared chat
rooms).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
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
from hms.i18n import _, current_language, use_language
from hms.notify import email, moments, render, webhooks
from hms.notify.ics import AppointmentEvent, Person, appointment_event, calendar_file
from hms.notify.message import Attachment, DeliveryError, Message
from hms.notify.sink import sink_port

from . import action_links, appointment_actions, documents, notices

JOB = 'daily-reminders'
REMINDER = 'reminder'
COMPLETED = 'completed'  # the visit-completed email, with the visit's documents attached
CONFIRMATION_KINDS = ('booked', 'rescheduled', 'cancelled', COMPLETED)
ONE_TAP_KINDS = (REMINDER, 'booked', 'rescheduled')  # messages about a booked appointment carry its one-tap links
CHAT_RECIPIENT = 'webhook'
APPOINTMENTS_PAGE = '/patient/appointments'  # where the emails link to: the patient's appointments
VISITS_PAGE = '/patient/visits'  # where the visit-completed email links to: past visits and their documents


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
    """The configured channels that can reach this patient, with the recipient each delivery row records (no email
    for a patient registered at the desk without an address)."""
    found = [(Channel.EMAIL, facts.patient_email)] if facts.patient_email else []
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
        with _speaking(uow, facts):  # the delivery row records the subject the patient gets
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
    if facts is None or not _still_current(facts, kind) or not facts.patient_email:
        return None  # superseded, or a patient registered at the desk without an email address
    with _speaking(uow, facts):
        subject = confirmation_subject(settings, facts, kind)
    return PlannedConfirmation(
        appointment_id=facts.id,
        patient_id=facts.patient_id,
        kind=kind,
        sequence=facts.sequence,
        recipient=facts.patient_email,
        subject=subject,
    )


def confirmation(
    uow: UnitOfWork, settings: Settings, appointment_id: int, kind: str, sequence: int | None = None
) -> tuple[PlannedConfirmation, Message | None] | None:
    """The confirmation of a change and its message, from one read of the appointment (the worker's one task per
    change); None when a later change superseded it (``sequence``: the appointment's as the change left it). The
    message is None for a completed visit without documents."""
    if kind not in CONFIRMATION_KINDS:
        raise ValueError(f'unknown confirmation kind {kind!r}')
    facts = appointment_facts(uow, appointment_id)
    if facts is None or not _still_current(facts, kind) or not facts.patient_email:
        return None
    if sequence is not None and facts.sequence != sequence:
        return None
    with _speaking(uow, facts):
        subject = confirmation_subject(settings, facts, kind)
        if kind == COMPLETED:
            message = completion_message(uow, settings, facts)
        else:
            message = _email(settings, facts, kind, subject=subject)
    plan = PlannedConfirmation(
        appointment_id=facts.id,
        patient_id=facts.patient_id,
        kind=kind,
        sequence=facts.sequence,
        recipient=facts.patient_email,
        subject=subject,
    )
    return plan, message


def _still_current(facts: AppointmentFacts, kind: str) -> bool:
    if kind == 'cancelled':
        return facts.status is AppointmentStatus.CANCELLED
    if kind == COMPLETED:
        return facts.status is AppointmentStatus.COMPLETED
    return facts.status is AppointmentStatus.BOOKED


# --- composing --------------------------------------------------------------------------------------------------
# Every message goes out in the patient's language (``_speaking``), whoever or whatever sends it; the templates are
# hms/notify/templates/appointment_*.html and .txt.

TEMPLATES = {
    REMINDER: 'appointment_reminder',
    'booked': 'appointment_booked',
    'rescheduled': 'appointment_rescheduled',
    'cancelled': 'appointment_cancelled',
    COMPLETED: 'visit_completed',
}


def _speaking(uow: UnitOfWork, facts: AppointmentFacts) -> AbstractContextManager[str]:
    return notices.speaking(uow, facts.patient_id)


def when(moment: datetime, settings: Settings) -> str:
    """'Mon 2 Mar 2026, 09:00' in the clinic's zone, in the language in force."""
    return moments.moment(moment, settings.zone)


def clinic_location(settings: Settings) -> str:
    return ', '.join(part for part in (settings.clinic_name, settings.clinic_address.strip()) if part)


def reminder_subject(settings: Settings, facts: AppointmentFacts) -> str:
    return _(
        'Reminder: your appointment at {clinic} on {when}',
        clinic=settings.clinic_name,
        when=when(facts.start, settings),
    )


def confirmation_subject(settings: Settings, facts: AppointmentFacts, kind: str) -> str:
    moment = when(facts.start, settings)
    if kind == 'booked':
        return _('Booked: your appointment at {clinic} on {when}', clinic=settings.clinic_name, when=moment)
    if kind == 'rescheduled':
        return _('Moved: your appointment at {clinic} is now on {when}', clinic=settings.clinic_name, when=moment)
    if kind == COMPLETED:
        return _('Your documents from your visit at {clinic} on {when}', clinic=settings.clinic_name, when=moment)
    return _('Cancelled: your appointment at {clinic} on {when}', clinic=settings.clinic_name, when=moment)


def _ics_description(settings: Settings, facts: AppointmentFacts, *, cancelled: bool) -> str:
    moment = when(facts.start, settings)
    if cancelled:
        return _(
            'Cancelled: your appointment with {doctor} on {when} at {clinic}.',
            doctor=facts.doctor_name,
            when=moment,
            clinic=settings.clinic_name,
        )
    return _(
        'Your appointment with {doctor} on {when} at {clinic}. If you cannot come, please cancel or call.',
        doctor=facts.doctor_name,
        when=moment,
        clinic=settings.clinic_name,
    )


def invitation_event(settings: Settings, facts: AppointmentFacts, *, cancelled: bool) -> AppointmentEvent:
    """The patient's calendar event of an appointment, in the language in force: the emailed invitation's, and the
    patient's "Add to calendar" download (which leaves out organizer and attendee)."""
    sender_name, sender_address = parseaddr(settings.sender)
    return AppointmentEvent(
        appointment_id=facts.id,
        sequence=facts.sequence,
        start=facts.start,
        end=facts.end,
        summary=_('Appointment with {doctor}', doctor=facts.doctor_name),
        description=_ics_description(settings, facts, cancelled=cancelled),
        language=current_language(),
        location=clinic_location(settings),
        organizer=Person(sender_address or 'no-reply@hms.local', settings.clinic_name or sender_name),
        attendee=Person(facts.patient_email, facts.patient_name) if facts.patient_email else None,
        cancelled=cancelled,
        stamp=clock.now(),
    )


def _ics(settings: Settings, facts: AppointmentFacts, *, cancelled: bool) -> Attachment:
    method = 'CANCEL' if cancelled else 'REQUEST'
    content = calendar_file([appointment_event(invitation_event(settings, facts, cancelled=cancelled))], method=method)
    return Attachment('appointment.ics', content, f'text/calendar; method={method}')


def _email(settings: Settings, facts: AppointmentFacts, kind: str, *, subject: str, short_text: str = '') -> Message:
    """The email of ``kind`` (a reminder or a confirmation) with the .ics, in the language in force."""
    return render.email(
        TEMPLATES[kind],
        to_email=facts.patient_email or '',  # planned only for a patient with an address
        to_name=facts.patient_name,
        subject=subject,
        attachments=(_ics(settings, facts, cancelled=kind == 'cancelled'),),
        short_text=short_text,
        phone=facts.patient_phone,
        patient_name=facts.patient_name,
        when=moments.span(facts.start, facts.end, settings.zone),
        doctor=facts.doctor_name,
        department=facts.department,
        where=clinic_location(settings),
        clinic=settings.clinic_name,
        link=settings.link(APPOINTMENTS_PAGE),
        actions=one_tap_links(settings, facts) if kind in ONE_TAP_KINDS else {},
    )


def one_tap_links(settings: Settings, facts: AppointmentFacts) -> dict[str, str]:
    """The Confirm, Cancel and Reschedule links of a booked appointment's message (hms.services.action_links): they
    expire at its start and when it changes."""
    return {
        action: action_links.make_link(settings, action, facts.id, facts.sequence, facts.start)
        for action in appointment_actions.ACTIONS
    }


def reminder_message(settings: Settings, facts: AppointmentFacts) -> Message:
    """The reminder (email with the .ics; ``short_text`` for SMS), in the language in force."""
    return _email(
        settings,
        facts,
        REMINDER,
        subject=reminder_subject(settings, facts),
        short_text=sms_text(settings, facts),
    )


def sms_text(settings: Settings, facts: AppointmentFacts) -> str:
    """For the patient's phone: time, doctor, address; never the reason or the department."""
    address = settings.clinic_address.strip()
    if address:
        text = _(
            '{clinic}: reminder of your appointment on {when} at {address} with {doctor}.',
            clinic=settings.clinic_name,
            when=when(facts.start, settings),
            address=address,
            doctor=facts.doctor_name,
        )
    else:
        text = _(
            '{clinic}: reminder of your appointment on {when} with {doctor}.',
            clinic=settings.clinic_name,
            when=when(facts.start, settings),
            doctor=facts.doctor_name,
        )
    links = one_tap_links(settings, facts)
    return ' '.join(
        (
            text,
            _('Confirm: {link}', link=links[appointment_actions.CONFIRM]),
            _('Reschedule: {link}', link=links[appointment_actions.RESCHEDULE]),
            _('Cancel: {link}', link=links[appointment_actions.CANCEL]),
        )
    )


def chat_text(settings: Settings, facts: AppointmentFacts) -> str:
    """For the clinic's chat room: who and when, never the reason or the department."""
    return _(
        '{clinic}: reminder sent to {patient} for the appointment on {when} with {doctor}.',
        clinic=settings.clinic_name,
        patient=facts.patient_name,
        when=when(facts.start, settings),
        doctor=facts.doctor_name,
    )


def confirmation_message(settings: Settings, facts: AppointmentFacts, kind: str) -> Message:
    """The confirmation of a booking, a move or a cancellation, in the language in force."""
    return _email(settings, facts, kind, subject=confirmation_subject(settings, facts, kind))


def completion_message(uow: UnitOfWork, settings: Settings, facts: AppointmentFacts) -> Message | None:
    """The visit-completed email with the visit's documents as PDF attachments (the summary, and the prescription
    when medicines were prescribed), in the language in force; None for a visit without a treatment record. The
    email's own text says nothing clinical."""
    found = documents.completion_documents(uow, settings, facts.id)
    if not found:
        return None
    from . import document_pdf  # fpdf2 and segno: loaded by the worker only when a visit's PDFs go out

    attachments = tuple(
        Attachment(document.filename, document_pdf.to_pdf(document, settings), document_pdf.MEDIA_TYPE)
        for document in found
    )
    return render.email(
        TEMPLATES[COMPLETED],
        to_email=facts.patient_email or '',  # planned only for a patient with an address
        to_name=facts.patient_name,
        subject=confirmation_subject(settings, facts, COMPLETED),
        attachments=attachments,
        patient_name=facts.patient_name,
        documents=[document.title for document in found],
        when=moments.span(facts.start, facts.end, settings.zone),
        doctor=facts.doctor_name,
        where=clinic_location(settings),
        clinic=settings.clinic_name,
        link=settings.link(VISITS_PAGE),
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
        with _speaking(uow, facts):
            message = reminder_message(settings, facts)
        if channel is Channel.CHAT:
            with use_language(None):  # the clinic's chat room reads the clinic's default language
                return replace(message, short_text=chat_text(settings, facts))
        return message
    if not _still_current(facts, kind) or (sequence is not None and facts.sequence != sequence):
        return None  # a later change superseded this confirmation; its own confirmation follows
    with _speaking(uow, facts):
        if kind == COMPLETED:
            return completion_message(uow, settings, facts)
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
