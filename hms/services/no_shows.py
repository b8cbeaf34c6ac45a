"""The no-show policy: per patient, the no-shows and late cancellations of the last 12 months, and after
``HMS_NO_SHOW_LIMIT`` no-shows, no more booking online (the front desk books for the patient: their booking is
unaffected).

A late cancellation is one made for the patient (by the patient, or by the front desk when they call) after the
end of online cancelling (``cancellation.cancel_cutoff``: ``HMS_CANCEL_CUTOFF_HOURS`` before the start). A
cancellation by the doctor or the clinic never counts against the patient.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hms import clock
from hms.config import Settings
from hms.db import no_shows as db
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role
from hms.domain.errors import NotAllowed
from hms.i18n import N_, ngettext

from .cancellation import cancel_cutoff
from .principal import Principal, require_role
from .views import Page, PatientView

PERIOD = timedelta(days=365)


class NoShowLimitReached(NotAllowed):
    title = N_('Booking through the front desk')
    code = 'no_show_limit'
    default_message = N_(
        'Online booking is paused for your account after missed appointments. Please book at the front desk.'
    )


@dataclass(frozen=True)
class Counts:
    no_shows_12m: int = 0
    late_cancellations_12m: int = 0


@dataclass(frozen=True)
class Standing:
    """What a patient is told about the policy: their counts, the limit, and whether online booking is paused."""

    no_shows_12m: int
    late_cancellations_12m: int
    limit: int
    booking_paused: bool


def _period(now: datetime | None = None) -> tuple[datetime, datetime]:
    moment = now or clock.now()
    return moment - PERIOD, moment


def counts(uow: UnitOfWork, settings: Settings, patient_ids: Iterable[int]) -> dict[int, Counts]:
    """Counts per patient over the last 12 months (patients without any are left out)."""
    ids = set(patient_ids)
    since, until = _period()
    missed = db.no_show_counts(uow.session, ids, since, until)
    late: dict[int, int] = {}
    for cancelled in db.patient_cancellations(uow.session, ids, since, until):
        if cancelled.cancelled_at > cancel_cutoff(settings, cancelled.start):
            late[cancelled.patient_id] = late.get(cancelled.patient_id, 0) + 1
    return {
        patient_id: Counts(missed.get(patient_id, 0), late.get(patient_id, 0))
        for patient_id in ids
        if patient_id in missed or patient_id in late
    }


def with_counts(uow: UnitOfWork, settings: Settings, patients: Sequence[PatientView]) -> list[PatientView]:
    """The patient views with their 12-month counts filled in (for staff)."""
    found = counts(uow, settings, (p.id for p in patients))
    return [
        replace(p, no_shows_12m=c.no_shows_12m, late_cancellations_12m=c.late_cancellations_12m)
        if (c := found.get(p.id))
        else p
        for p in patients
    ]


def standing_of(uow: UnitOfWork, settings: Settings, patient_id: int) -> Standing:
    found = counts(uow, settings, [patient_id]).get(patient_id, Counts())
    return Standing(
        no_shows_12m=found.no_shows_12m,
        late_cancellations_12m=found.late_cancellations_12m,
        limit=settings.no_show_limit,
        booking_paused=found.no_shows_12m >= settings.no_show_limit,
    )


def my_standing(uow: UnitOfWork, settings: Settings, actor: Principal) -> Standing:
    """The acting patient's own counts and whether they can book online."""
    require_role(actor, Role.PATIENT, refusal=N_('Only patients have a booking record of their own.'))
    return standing_of(uow, settings, actor.user_id)


def require_online_booking(uow: UnitOfWork, settings: Settings, patient_id: int) -> None:
    """Refuse a patient's own booking once they reached the no-show limit (the front desk's booking never asks)."""
    since, until = _period()
    # Only the no-shows decide (one query on every booking); the late cancellations only for the refusal's text.
    if db.no_show_counts(uow.session, [patient_id], since, until).get(patient_id, 0) >= settings.no_show_limit:
        raise NoShowLimitReached(explain(standing_of(uow, settings, patient_id)))


def explain(standing: Standing) -> str:
    """The policy in words for the patient, with where they stand."""
    if standing.booking_paused:
        return ngettext(
            'You missed {n} appointment in the last 12 months without cancelling, so online booking is paused for '
            'your account. Please call or visit the front desk to book: they will gladly find you a time.',
            'You missed {n} appointments in the last 12 months without cancelling, so online booking is paused for '
            'your account. Please call or visit the front desk to book: they will gladly find you a time.',
            standing.no_shows_12m,
        )
    return (
        ngettext(
            'If you miss {n} appointment in 12 months without cancelling, online booking is paused and the front desk '
            'books for you.',
            'If you miss {n} appointments in 12 months without cancelling, online booking is paused and the front desk '
            'books for you.',
            standing.limit,
        )
        + ' '
        + ngettext(
            'You missed {n} appointment in the last 12 months.',
            'You missed {n} appointments in the last 12 months.',
            standing.no_shows_12m,
        )
    )


def page_with_counts(uow: UnitOfWork, settings: Settings, page: Page[PatientView]) -> Page[PatientView]:
    return replace(page, items=with_counts(uow, settings, page.items))


def patient_with_counts(uow: UnitOfWork, settings: Settings, patient: PatientView) -> PatientView:
    return with_counts(uow, settings, [patient])[0]
