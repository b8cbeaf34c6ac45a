"""Doctor availability: a weekly template plus date overrides, and the free slots they open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from hms import clock
from hms.cache import Codec, read_through
from hms.config import Settings
from hms.db.leave import LeaveRepository
from hms.db.models import Appointment, DateOverride, DoctorProfile, OverrideWindow, WeeklyWindow
from hms.db.uow import UnitOfWork
from hms.db.waitlist import WaitlistRepository
from hms.domain.criteria import AppointmentFilter
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import AvailabilityConflict, NotAllowed, NotBookable, NotFound, SlotTaken
from hms.domain.scheduling import MAX_YEAR, AvailabilityIn, WindowIn
from hms.domain.slots import Slot, Window, day_slots
from hms.events import doctor_namespaces
from hms.i18n import N_, _, ngettext

from . import audit, notices, refills
from .cancellation import AVAILABILITY_CAUSE, cancel_if_booked
from .principal import Principal
from .views import SlotView

AVAILABILITY_CANCEL_REASON = N_('The doctor is no longer available at this time.')
# Free slots change with bookings (any status change), availability and the doctor (deactivation, slot length):
# the doctor's own changes of each, so that a booking with one doctor leaves the other doctors' slots cached.
SLOTS_NAMESPACES = ('appointment', 'availability', 'doctor', 'offer')  # offer: a slot held for the waitlist
SLOTS_CACHE_SECONDS = 300
_SLOTS: Codec[list[SlotView]] = Codec(list[SlotView])


@dataclass(frozen=True)
class AvailabilityView:
    weekly: list[tuple[int, Window]]
    overrides: list[tuple[date, list[Window]]]


@dataclass(frozen=True)
class DayPlan:
    date: date
    windows: list[Window]
    source: Literal['template', 'override']
    booked: int


def local_today(settings: Settings) -> date:
    return clock.now().astimezone(settings.zone).date()


def booking_days(settings: Settings) -> tuple[date, date]:
    """The first and last local date a patient may book: today and the end of the booking horizon."""
    today = local_today(settings)
    return today, today + timedelta(days=settings.booking_horizon_days - 1)


def _doctor_for(uow: UnitOfWork, actor: Principal, doctor_id: int | None) -> DoctorProfile:
    """The doctor whose availability is read or changed: the actor themself, or any doctor for the admin."""
    if actor.role is Role.DOCTOR:
        if doctor_id not in (None, actor.user_id):
            raise NotAllowed(_('You can only manage your own availability.'))
        doctor_id = actor.user_id
    elif actor.role is Role.ADMIN:
        if doctor_id is None:
            raise NotFound(_('Choose a doctor.'))
    else:
        raise NotAllowed(_('Only doctors manage availability.'))
    doctor = uow.doctors.get(doctor_id)
    if doctor is None:
        raise NotFound(_('No such doctor.'))
    return doctor


def effective_windows(uow: UnitOfWork, doctor_id: int, first: date, last: date) -> dict[date, list[Window]]:
    """Each date's windows: its override where there is one, else the weekly template for its weekday; none on the
    doctor's leave and the clinic's closures."""
    weekly: dict[int, list[Window]] = {}
    for row in uow.availability.weekly(doctor_id):
        weekly.setdefault(row.weekday, []).append(Window(row.start_time, row.end_time))
    overrides = {
        row.date: [Window(w.start_time, w.end_time) for w in row.windows]
        for row in uow.availability.overrides(doctor_id, first, last)
    }
    off = LeaveRepository(uow.session).days_off(doctor_id, first, last)
    days: dict[date, list[Window]] = {}
    day = first
    while day <= last:
        if day in off:
            days[day] = []
        else:
            days[day] = sorted(overrides[day]) if day in overrides else sorted(weekly.get(day.weekday(), []))
        day += timedelta(days=1)
    return days


def get_availability(
    uow: UnitOfWork, settings: Settings, actor: Principal, doctor_id: int | None = None
) -> AvailabilityView:
    doctor = _doctor_for(uow, actor, doctor_id)
    today = local_today(settings)
    weekly = [(row.weekday, Window(row.start_time, row.end_time)) for row in uow.availability.weekly(doctor.user_id)]
    overrides = [
        (row.date, [Window(w.start_time, w.end_time) for w in row.windows])
        for row in uow.availability.overrides(doctor.user_id, today, date(MAX_YEAR, 12, 31))
    ]
    return AvailabilityView(weekly=weekly, overrides=overrides)


def _to_rows(windows: list[WindowIn]) -> list[OverrideWindow]:
    return [OverrideWindow(start_time=window.start, end_time=window.end) for window in windows]


def set_availability(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    data: AvailabilityIn,
    *,
    doctor_id: int | None = None,
    confirm_cancel: bool = False,
) -> list[int]:
    """Replace the weekly template and every override from today on. Returns the ids of appointments cancelled."""
    doctor = _doctor_for(uow, actor, doctor_id)
    today = local_today(settings)
    uow.availability.replace_weekly(
        doctor.user_id,
        [
            WeeklyWindow(doctor_id=doctor.user_id, weekday=w.weekday, start_time=w.start, end_time=w.end)
            for w in data.weekly
        ],
    )
    uow.availability.delete_overrides_from(doctor.user_id, today)
    for override in data.overrides:
        if override.date >= today:
            uow.availability.add_override(
                DateOverride(doctor_id=doctor.user_id, date=override.date, windows=_to_rows(override.windows))
            )
    return _settle(uow, settings, actor, doctor, confirm_cancel, 'availability.updated')


def set_day(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    day: date,
    windows: list[WindowIn] | None,
    *,
    doctor_id: int | None = None,
    confirm_cancel: bool = False,
) -> list[int]:
    """Set one date's windows (an empty list is a day off; None returns the date to the weekly template)."""
    doctor = _doctor_for(uow, actor, doctor_id)
    if day < local_today(settings):
        raise NotBookable(_('Past days cannot be changed.'))
    uow.availability.delete_overrides_on(doctor.user_id, [day])
    if windows is not None:
        uow.availability.add_override(DateOverride(doctor_id=doctor.user_id, date=day, windows=_to_rows(windows)))
    return _settle(uow, settings, actor, doctor, confirm_cancel, 'availability.day_updated')


def apply_template(
    uow: UnitOfWork,
    settings: Settings,
    actor: Principal,
    *,
    days: int = 7,
    doctor_id: int | None = None,
    confirm_cancel: bool = False,
) -> list[int]:
    """Copy the weekly template onto the next ``days`` dates, replacing their overrides."""
    doctor = _doctor_for(uow, actor, doctor_id)
    today = local_today(settings)
    uow.availability.delete_overrides_on(doctor.user_id, [today + timedelta(days=n) for n in range(days)])
    return _settle(uow, settings, actor, doctor, confirm_cancel, 'availability.template_applied')


def _settle(
    uow: UnitOfWork, settings: Settings, actor: Principal, doctor: DoctorProfile, confirm_cancel: bool, action: str
) -> list[int]:
    """Refuse (or, when confirmed, cancel) bookings the new availability no longer covers, then commit."""
    uow.doctors.lock(doctor.user_id)  # a booking under way commits first, so it is found stranded or finds no slot
    uow.session.flush()
    stranded = stranded_appointments(uow, settings, doctor)
    if stranded and not confirm_cancel:
        uow.rollback()
        names = uow.patients_names({appointment.patient_id for appointment in stranded})
        affected: list[dict[str, object]] = [
            {
                'id': a.id,
                'start': a.start_at.astimezone(settings.zone).isoformat(),
                'patient': names.get(a.patient_id, ''),
            }
            for a in stranded
        ]
        raise AvailabilityConflict(
            ngettext(
                '{n} booked appointment falls outside the new availability. '
                'Keep the time open, or confirm to cancel it and notify the patient.',
                '{n} booked appointments fall outside the new availability. '
                'Keep the time open, or confirm to cancel them and notify the patients.',
                len(stranded),
            ),
            affected=affected,
        )
    cancelled = []
    for appointment in stranded:
        with notices.speaking(uow, appointment.patient_id):  # kept as the reason its patient reads
            reason = _(AVAILABILITY_CANCEL_REASON)
        if cancel_if_booked(uow, settings, actor, appointment.id, reason, cause=AVAILABILITY_CAUSE):
            cancelled.append(appointment.id)
    uow.emit('availability.updated', doctor_id=doctor.user_id)
    refills.slots_opened(uow, doctor.user_id, *booking_days(settings))  # new hours go to the waitlist first
    audit.record(
        uow, action, actor=actor, object_type='doctor', object_id=doctor.user_id, detail={'cancelled': len(cancelled)}
    )
    uow.commit()
    return cancelled


def stranded_appointments(uow: UnitOfWork, settings: Settings, doctor: DoctorProfile) -> list[Appointment]:
    """Future booked appointments whose start is no longer a slot of the doctor's availability."""
    now = clock.now()
    upcoming = uow.appointments.find(
        AppointmentFilter(start_from=now, doctor_id=doctor.user_id, statuses=(AppointmentStatus.BOOKED,))
    )
    if not upcoming:
        return []
    zone = settings.zone
    first = min(a.start_at for a in upcoming).astimezone(zone).date()
    last = max(a.start_at for a in upcoming).astimezone(zone).date()
    windows = effective_windows(uow, doctor.user_id, first, last)
    starts = {
        slot.start
        for day, day_windows in windows.items()
        for slot in day_slots(day, [Window(w.start, w.end) for w in day_windows], doctor.consultation_minutes, zone)
    }
    off = LeaveRepository(uow.session).days_off(doctor.user_id, first, last)  # leave and closures: rescued instead
    return [
        appointment
        for appointment in upcoming
        if appointment.start_at not in starts and appointment.start_at.astimezone(zone).date() not in off
    ]


def week_plan(
    uow: UnitOfWork, settings: Settings, actor: Principal, *, days: int = 7, doctor_id: int | None = None
) -> list[DayPlan]:
    """The next ``days`` dates with their windows, where they come from, and how many bookings each holds."""
    doctor = _doctor_for(uow, actor, doctor_id)
    today = local_today(settings)
    last = today + timedelta(days=days - 1)
    windows = effective_windows(uow, doctor.user_id, today, last)
    overridden = {row.date for row in uow.availability.overrides(doctor.user_id, today, last)}
    zone = settings.zone
    booked: dict[date, int] = {}
    for appointment in uow.appointments.find(
        AppointmentFilter(
            start_from=_local_midnight(today, settings),
            start_to=_local_midnight(last + timedelta(days=1), settings),
            doctor_id=doctor.user_id,
            statuses=(AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION),
        )
    ):
        day = appointment.start_at.astimezone(zone).date()
        booked[day] = booked.get(day, 0) + 1
    return [
        DayPlan(
            date=day,
            windows=day_windows,
            source='override' if day in overridden else 'template',
            booked=booked.get(day, 0),
        )
        for day, day_windows in windows.items()
    ]


def _local_midnight(day: date, settings: Settings) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=settings.zone)


def _bookable_doctor(uow: UnitOfWork, doctor_id: int) -> DoctorProfile:
    doctor = uow.doctors.get(doctor_id)
    if doctor is None or not doctor.user.is_active:
        raise NotFound(_('No such doctor, or the doctor is not taking bookings.'))
    return doctor


def open_slots(
    uow: UnitOfWork,
    settings: Settings,
    doctor: DoctorProfile,
    first: date,
    last: date,
    *,
    ignore_appointment: int | None = None,
    horizon: bool = True,
) -> list[Slot]:
    """Free slots of ``doctor`` between two local dates, inside the notice period and (unless ``horizon`` is False:
    the clinic proposing times to a patient whose visit a leave strands) the booking horizon."""
    horizon_first, horizon_last = booking_days(settings)
    first, last = max(first, horizon_first), min(last, horizon_last) if horizon else last
    if first > last:
        return []
    zone = settings.zone
    earliest = clock.now() + timedelta(minutes=settings.booking_notice_minutes)
    windows = effective_windows(uow, doctor.user_id, first, last)
    busy = [
        (a.start_at, a.end_at)
        for a in uow.appointments.find(
            AppointmentFilter(
                start_from=_local_midnight(first, settings) - timedelta(days=1),
                start_to=_local_midnight(last + timedelta(days=1), settings),
                doctor_id=doctor.user_id,
                statuses=tuple(status for status in AppointmentStatus if status is not AppointmentStatus.CANCELLED),
            )
        )
        if a.id != ignore_appointment
    ]
    busy += [  # held for a patient on the waitlist: taken for everyone else until the offer ends
        (offer.start_at, offer.end_at)
        for offer in WaitlistRepository(uow.session).held(
            doctor.user_id, _local_midnight(first, settings), _local_midnight(last + timedelta(days=1), settings)
        )
    ]
    slots: list[Slot] = []
    for day, day_windows in windows.items():
        for slot in day_slots(day, day_windows, doctor.consultation_minutes, zone):
            if slot.start >= earliest and not any(start < slot.end and slot.start < end for start, end in busy):
                slots.append(slot)
    return slots


def free_slots(
    uow: UnitOfWork, settings: Settings, doctor_id: int, first: date | None = None, last: date | None = None
) -> list[SlotView]:
    """The doctor's free slots; without dates, the whole booking horizon (the next 7 days by default)."""
    return free_slots_cached(uow, settings, doctor_id, first, last)[0]


def free_slots_cached(
    uow: UnitOfWork, settings: Settings, doctor_id: int, first: date | None = None, last: date | None = None
) -> tuple[list[SlotView], bool]:
    """``free_slots`` through the cache, with a hit flag: the same for every reader, expired by any booking change,
    availability change or doctor change, and read as a miss once its earliest slot is no longer bookable (so
    the clock moving on never shows a past slot). Today's date is in the key: the horizon moves with it."""

    def compute() -> list[SlotView]:
        doctor = _bookable_doctor(uow, doctor_id)
        horizon_first, horizon_last = booking_days(settings)
        slots = open_slots(uow, settings, doctor, first or horizon_first, last or horizon_last)
        return [SlotView(start=slot.start, end=slot.end) for slot in slots]

    def valid_until(slots: list[SlotView]) -> datetime | None:
        return slots[0].start - timedelta(minutes=settings.booking_notice_minutes) if slots else None

    return read_through(
        uow.read_cache,
        'slots',
        compute,
        namespaces=tuple(key for namespace in SLOTS_NAMESPACES for key in doctor_namespaces(namespace, doctor_id)),
        scope=f'{doctor_id}:{first or "-"}:{last or "-"}:{slot_rules(settings)}',
        ttl=SLOTS_CACHE_SECONDS,
        codec=_SLOTS,
        valid_until=valid_until,
    )


def slot_rules(settings: Settings) -> str:
    """What free slots depend on besides the data (a cache key part): today's date and the booking rules in force."""
    rules = (local_today(settings), settings.timezone, settings.booking_notice_minutes, settings.booking_horizon_days)
    return ':'.join(map(str, rules))


def first_free_slot(uow: UnitOfWork, settings: Settings, doctor: DoctorProfile, day: date) -> Slot | None:
    slots = open_slots(uow, settings, doctor, day, day)
    return slots[0] if slots else None


def require_free_slot(
    uow: UnitOfWork,
    settings: Settings,
    doctor: DoctorProfile,
    start: datetime,
    *,
    ignore_appointment: int | None = None,
    holder: int | None = None,
) -> Slot:
    """The slot starting at ``start``, or an error saying why it cannot be booked (a slot held for a waiting patient
    can be booked only by them, ``holder``, through their offer)."""
    now = clock.now()
    zone = settings.zone
    if start <= now:
        message = _('This time is in the past.')
        raise NotBookable(message, field_errors={'start': message})
    if start < now + timedelta(minutes=settings.booking_notice_minutes):
        message = ngettext(
            'Appointments must be booked at least {n} minute ahead.',
            'Appointments must be booked at least {n} minutes ahead.',
            settings.booking_notice_minutes,
        )
        raise NotBookable(message, field_errors={'start': message})
    day = start.astimezone(zone).date()
    horizon_last = booking_days(settings)[1]
    if day > horizon_last:
        message = ngettext(
            'Bookings open {n} day ahead; choose an earlier date.',
            'Bookings open {n} days ahead; choose an earlier date.',
            settings.booking_horizon_days,
        )
        raise NotBookable(message, field_errors={'start': message})
    grid = day_slots(day, effective_windows(uow, doctor.user_id, day, day)[day], doctor.consultation_minutes, zone)
    slot = next((slot for slot in grid if slot.start == start), None)
    if slot is None:
        message = _("This time is not one of the doctor's slots. Choose one of the listed free slots.")
        raise NotBookable(message, field_errors={'start': message})
    # One indexed query for this slot instead of recomputing the doctor's whole day of free slots.
    if uow.appointments.overlapping_for_doctor(doctor.user_id, slot.start, slot.end, ignore_appointment):
        raise SlotTaken(_('This slot was just taken. Please choose another time.'))
    held = WaitlistRepository(uow.session).held(doctor.user_id, slot.start, slot.end)
    if any(offer.patient_id != holder for offer in held):
        raise SlotTaken(_('This time is held for a patient on the waiting list. Please choose another time.'))
    return slot
