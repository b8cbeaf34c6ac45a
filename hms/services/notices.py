"""In-app notices to a person (cancellations by the clinic, changed appointments); the jobs also email them later.

A notice's text is stored when it is sent, so it is composed in its recipient's language (``notify``, or
``speaking`` around composing), whoever sent it: a doctor cancelling for a patient writes in the patient's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hms import clock
from hms.db.models import Notice
from hms.db.uow import UnitOfWork
from hms.i18n import _, use_language
from hms.notify import moments

from .principal import Principal


@dataclass(frozen=True)
class NoticeView:
    id: int
    created_at: datetime
    subject: str
    body: str
    appointment_id: int | None
    read: bool


def when(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as people read it in the clinic, in the language in force: 'Tue 1 Dec 2026, 09:00',
    'Di., 1. Dez. 2026, 09:00', 'mar. 1 déc. 2026, 09:00'."""
    return moments.moment(moment, zone)


def language_of(uow: UnitOfWork, user_id: int) -> str | None:
    """The language a person reads (their account's preference), or None for an unknown account."""
    user = uow.users.get(user_id)
    return user.language if user is not None else None


@contextmanager
def speaking(uow: UnitOfWork, user_id: int) -> Iterator[str]:
    """Compose inside this block what ``user_id`` will read: their language is in force (the clinic's default when
    they have none or it is not offered)."""
    with use_language(language_of(uow, user_id)) as language:
        yield language


def send(uow: UnitOfWork, user_id: int, subject: str, body: str, *, appointment_id: int | None = None) -> None:
    """Queue a notice, composed already, in the unit of work; it is committed with the change it reports."""
    uow.notices.add(
        Notice(user_id=user_id, created_at=clock.now(), subject=subject, body=body, appointment_id=appointment_id)
    )


def notify(
    uow: UnitOfWork, user_id: int, compose: Callable[[], tuple[str, str]], *, appointment_id: int | None = None
) -> None:
    """Queue a notice whose (subject, body) ``compose`` writes in the recipient's language (``_()`` and dates)."""
    with speaking(uow, user_id):
        subject, body = compose()
    send(uow, user_id, subject, body, appointment_id=appointment_id)


def moved_by_the_clinic(
    uow: UnitOfWork,
    zone: ZoneInfo,
    *,
    patient_id: int,
    appointment_id: int,
    doctor_name: str,
    before: datetime,
    after: datetime,
    reason: str | None = None,
) -> None:
    """Tell the patient that the clinic (the admin or the front desk) moved their appointment, and why if said."""

    def compose() -> tuple[str, str]:
        if reason:
            body = _(
                'The clinic moved your appointment with {doctor} from {before} to {after}. Reason: {reason}',
                doctor=doctor_name,
                before=when(before, zone),
                after=when(after, zone),
                reason=reason,
            )
        else:
            body = _(
                'The clinic moved your appointment with {doctor} from {before} to {after}.',
                doctor=doctor_name,
                before=when(before, zone),
                after=when(after, zone),
            )
        return _('Your appointment was moved'), body

    notify(uow, patient_id, compose, appointment_id=appointment_id)


def my_notices(uow: UnitOfWork, actor: Principal, limit: int = 20) -> list[NoticeView]:
    return [
        NoticeView(
            id=notice.id,
            created_at=notice.created_at,
            subject=notice.subject,
            body=notice.body,
            appointment_id=notice.appointment_id,
            read=notice.read_at is not None,
        )
        for notice in uow.notices.for_user(actor.user_id, limit)
    ]


def mark_all_read(uow: UnitOfWork, actor: Principal) -> None:
    uow.notices.mark_read(actor.user_id, clock.now())
    uow.commit()
