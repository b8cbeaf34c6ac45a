"""Sending the month's reports, exactly once per recipient and month: every active doctor gets their own, the
administrator the clinic's. Each message is claimed by its delivery key before it is sent
(``report:{month}:doctor:{id}:email``, ``report:{month}:clinic:email``); an explicit re-run adds a key suffix.
Each report is written in its recipient's language (their account's preference)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

from hms.config import Settings
from hms.db.reports import ReportRepository
from hms.db.uow import UnitOfWork
from hms.domain.enums import Channel, DeliveryStatus
from hms.notify.message import DeliveryError
from hms.services import deliveries, notices

from .figures import clinic_report, doctor_report
from .month import Month
from .rendering import clinic_subject, doctor_subject, email_message, render_clinic, render_doctor

logger = logging.getLogger(__name__)

JOB = 'monthly-reports'
KIND = 'report'


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    name: str
    clinic: bool  # the administrator's clinic-wide report, not a doctor's own


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    pending: list[int] = field(default_factory=list)  # deliveries that failed for now: retry them later
    in_flight: int = 0  # of the skipped: claimed but unfinished (elsewhere now, or by a worker that died)
    in_flight_keys: list[str] = field(default_factory=list)  # their delivery keys
    skipped_keys: list[str] = field(default_factory=list)  # the delivery keys of all skipped, in flight or not

    def merge(self, other: Tally) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.skipped += other.skipped
        self.pending.extend(other.pending)
        self.in_flight += other.in_flight
        self.in_flight_keys.extend(other.in_flight_keys)
        self.skipped_keys.extend(other.skipped_keys)

    def outcome(self) -> str:
        """One report's outcome as a word (a helper tells the coordinator): sent, failed, pending:<delivery id>."""
        if self.pending:
            return f'pending:{self.pending[0]}'
        return 'sent' if self.sent else 'failed' if self.failed else 'skipped'

    def take_over(self, key: str, outcome: str) -> None:
        """Count a report this run's helper sent (or tried), which this tally had skipped (finished, or in flight)."""
        if key not in self.skipped_keys:
            return
        self.skipped_keys.remove(key)
        self.skipped -= 1
        if key in self.in_flight_keys:
            self.in_flight_keys.remove(key)
            self.in_flight -= 1
        if outcome == 'sent':
            self.sent += 1
        elif outcome == 'failed':
            self.failed += 1
        elif outcome.startswith('pending:'):
            self.pending.append(int(outcome.split(':', 1)[1]))


def delivery_key(month: Month, recipient: Recipient, suffix: str = '') -> str:
    who = 'clinic' if recipient.clinic else f'doctor:{recipient.user_id}'
    return f'report:{month.key}:{who}:email{suffix}'


def rerun_suffix(run_id: int) -> str:
    return f':rerun:{run_id}'


def month_of_key(key: str) -> Month | None:
    """The month a report delivery's key names ('report:2026-03:...'), or None for another key."""
    parts = key.split(':')
    return Month.parse_or_none(parts[1]) if len(parts) >= 3 and parts[0] == KIND else None


def recipients(uow: UnitOfWork) -> list[Recipient]:
    """Every active doctor, then the administrator (the first active admin account) for the clinic report."""
    queries = ReportRepository(uow.session)
    doctors = queries.active_doctors()
    admin = queries.first_active_admin()
    found = [Recipient(row[0], row[1], row[2], clinic=False) for row in doctors]
    if admin is not None:
        found.append(Recipient(admin[0], admin[1], admin[2], clinic=True))
    return found


def build_email(uow: UnitOfWork, settings: Settings, recipient: Recipient, month: Month) -> EmailMessage:
    """The recipient's report of ``month``, in their language."""
    with notices.speaking(uow, recipient.user_id):
        if recipient.clinic:
            rendered = render_clinic(clinic_report(uow, settings, month), settings.clinic_name)
        else:
            rendered = render_doctor(doctor_report(uow, settings, recipient.user_id, month), settings.clinic_name)
        return email_message(rendered, settings, to_email=recipient.email, to_name=recipient.name)


Send = Callable[[EmailMessage], None]


def _deliver(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    recipient: Recipient,
    month: Month,
    claim: deliveries.Claim,
    send: Send,
) -> Tally:
    try:
        with uow_factory() as uow:
            email = build_email(uow, settings, recipient, month)
        send(email)  # outside any database session: SMTP may take a while
    except DeliveryError as error:
        with uow_factory() as uow:
            deliveries.mark_failed(uow, claim.delivery_id, str(error), permanent=error.permanent)
            status = ReportRepository(uow.session).delivery_status(claim.delivery_id)
        logger.warning('report %s for user %s: %s', month.key, recipient.user_id, error)
        if status is DeliveryStatus.FAILED:
            return Tally(failed=1)
        return Tally(pending=[claim.delivery_id])
    except Exception as error:  # a bug while building one report must not stop the others
        logger.exception('report %s for user %s could not be built', month.key, recipient.user_id)
        with uow_factory() as uow:
            deliveries.mark_failed(uow, claim.delivery_id, f'report not built: {type(error).__name__}', permanent=True)
        return Tally(failed=1)
    with uow_factory() as uow:
        deliveries.mark_sent(uow, claim.delivery_id)
    return Tally(sent=1)


Claiming = Callable[[str], Callable[[str | None], None]]


def send_reports(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    month: Month,
    send: Send,
    *,
    key_suffix: str = '',
    start: int = 0,
    claiming: Claiming | None = None,
) -> Tally:
    """Every active doctor's report and the clinic report, each claimed before it is sent (already sent, failed
    for good, or being sent elsewhere: skipped). A claim left unfinished by a worker that died is taken over once it
    is stale (``deliveries.STALE_CLAIM``); ``in_flight`` counts the fresh ones, for a later look.

    Several processes may run this at once over the same month (the worker's helpers): each report goes to whoever
    claims it first. ``start`` rotates the order, so that they begin in different places; ``claiming(key)`` is
    called before each claim and the function it returns after it, with the report's outcome (None: not ours)."""
    with uow_factory() as uow:
        everyone = recipients(uow)
    if everyone and start:
        start %= len(everyone)
        everyone = everyone[start:] + everyone[:start]
    tally = Tally()
    for recipient in everyone:
        key = delivery_key(month, recipient, key_suffix)
        told = claiming(key) if claiming is not None else None
        with uow_factory() as uow:
            with notices.speaking(uow, recipient.user_id):  # the delivery row records the subject they get
                subject = clinic_subject(month) if recipient.clinic else doctor_subject(month)
            claim = deliveries.claim(
                uow,
                key,
                kind=KIND,
                channel=Channel.EMAIL,
                recipient=recipient.email,
                subject=subject,
                user_id=recipient.user_id,
            )
            if claim is None:
                if told is not None:
                    told(None)
                status = ReportRepository(uow.session).delivery_status_of_key(key)
                in_flight = status is DeliveryStatus.PENDING
                tally.merge(
                    Tally(
                        skipped=1,
                        in_flight=int(in_flight),
                        in_flight_keys=[key] if in_flight else [],
                        skipped_keys=[key],
                    )
                )
                continue
        done = _deliver(uow_factory, settings, recipient, month, claim, send)
        if told is not None:
            told(done.outcome())
        tally.merge(done)
    return tally


def resend(
    uow_factory: Callable[[], UnitOfWork], settings: Settings, month: Month, send: Send, delivery_ids: Sequence[int]
) -> Tally:
    """Send these pending report deliveries again: a Celery retry after a temporary failure, or an admin's retry of
    a reopened one. A delivery no longer pending (sent meanwhile, or not a report) is skipped."""
    tally = Tally()
    for delivery_id in delivery_ids:
        with uow_factory() as uow:
            delivery = ReportRepository(uow.session).delivery(delivery_id)
            user = uow.users.get(delivery.user_id) if delivery and delivery.user_id else None
            if delivery is None or delivery.kind != KIND or user is None:
                claim = None
            else:
                claim = deliveries.reclaim_for_retry(uow, delivery_id)
                recipient = Recipient(user.id, user.email or '', user.name, clinic=':clinic:' in delivery.key)
        if claim is None:
            tally.skipped += 1
            continue
        tally.merge(_deliver(uow_factory, settings, recipient, month, claim, send))
    return tally


def mark_given_up(uow: UnitOfWork, delivery_ids: Sequence[int], error: str) -> None:
    """Retries exhausted: the still pending deliveries become failed (shown to the admin, retried on request)."""
    for delivery_id in delivery_ids:
        deliveries.mark_failed(uow, delivery_id, error, permanent=True)
