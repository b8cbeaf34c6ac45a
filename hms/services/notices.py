"""In-app notices to a person (cancellations by the clinic, changed appointments); the jobs also email them later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hms import clock
from hms.db.models import Notice
from hms.db.uow import UnitOfWork

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
    """A moment as people read it in the clinic, e.g. 'Tue 1 Dec 2026, 09:00'."""
    local = moment.astimezone(zone)
    return f'{local:%a} {local.day} {local:%b %Y, %H:%M}'


def send(uow: UnitOfWork, user_id: int, subject: str, body: str, *, appointment_id: int | None = None) -> None:
    """Queue a notice in the unit of work; it is committed with the change it reports."""
    uow.notices.add(
        Notice(user_id=user_id, created_at=clock.now(), subject=subject, body=body, appointment_id=appointment_id)
    )


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
