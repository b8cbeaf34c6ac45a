"""The dashboard's measures on hand-made data with known answers, daylight-saving days in Berlin included
(29 March 2026: 02:00-03:00 does not exist; 25 October 2026: 02:00-03:00 happens twice)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hms.db.models import Appointment, Treatment
from hms.domain.enums import AppointmentStatus
from hms.domain.slots import Window
from hms.services import measures, stats
from hms.services.stats import StatsQuery

from .scheduling_fixtures import Clinic, local
from .scheduling_fixtures import insert_appointment as add

BERLIN = ZoneInfo('Europe/Berlin')
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)  # both Sundays
NIGHT = [Window(time(0), time(4))]  # four wall-clock hours


def test_published_minutes_follow_the_wall_clock_on_daylight_saving_days() -> None:
    assert measures.minutes_on(date(2026, 3, 22), NIGHT, 30, BERLIN) == 240  # an ordinary Sunday: 8 slots
    assert measures.minutes_on(SPRING, NIGHT, 30, BERLIN) == 180  # 02:00 and 02:30 do not exist that night
    assert measures.minutes_on(AUTUMN, NIGHT, 30, BERLIN) == 240  # laid on wall-clock times: 8 slots again
    assert measures.minutes_on(SPRING, NIGHT, 30, BERLIN, hour=2) == 0
    assert measures.minutes_on(SPRING, NIGHT, 30, BERLIN, hour=3) == 60


def test_published_minutes_of_a_period_with_overrides_and_filters() -> None:
    weekly = {7: {6: NIGHT}}  # Sundays only
    overrides = {(7, date(2026, 3, 15)): [], (7, date(2026, 3, 18)): [Window(time(9), time(10))]}  # off; a Wednesday
    period = (date(2026, 3, 9), date(2026, 3, 29))  # Sundays 15 (off), 22, 29 (spring forward); Wednesday 18
    published = measures.published_minutes(weekly, overrides, {7: 30}, *period, BERLIN)
    assert published == {7: 0 + 240 + 180 + 60}
    assert measures.published_minutes(weekly, overrides, {7: 30}, *period, BERLIN, weekday=2) == {7: 60}
    assert measures.published_minutes(weekly, overrides, {7: 30}, *period, BERLIN, hour=0) == {7: 60 + 60}


def test_utilisation_is_booked_over_published_minutes_per_doctor_and_department() -> None:
    used = measures.utilisation(
        booked={1: 3, 2: 1},
        published={1: 180, 2: 0},
        doctor_minutes={1: 30, 2: 20},
        departments={1: 'Cardiology', 2: 'Dermatology'},
    )
    assert used['by_doctor'][1] == {'booked_minutes': 90, 'published_minutes': 180, 'share': 0.5}
    assert used['by_doctor'][2]['share'] is None  # nothing published: no share, not 100 %
    assert used['share'] == round(110 / 180, 4)
    assert [row['department'] for row in used['by_department']] == ['Cardiology', 'Dermatology']


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def _booking(start: datetime, booked: datetime, status: str, cancelled: datetime | None) -> tuple:
    """A row as ``StatsRepository.bookings`` gives it."""
    before = (start - cancelled).total_seconds() if cancelled is not None else None
    return (status, (start - booked).total_seconds(), before)


def test_late_cancellations_lead_time_and_no_shows() -> None:
    start = _at(SPRING, 10)
    rows = [
        _booking(start, start - timedelta(days=2), 'completed', None),
        _booking(start, start - timedelta(days=4), 'no_show', None),
        _booking(start, start - timedelta(days=1), 'cancelled', start - timedelta(hours=1)),  # late: 1 h before
        _booking(start, start - timedelta(days=1), 'cancelled', start - timedelta(hours=3)),  # in time
        _booking(start, start - timedelta(days=9), 'booked', None),
        _booking(start, start - timedelta(days=1), 'cancelled', start + timedelta(minutes=5)),  # after it: late
    ]
    figures = measures.booking_figures(rows, timedelta(hours=2))
    assert figures['late_cancellation_rate'] == round(2 / 6, 4) and figures['late_cancellations'] == 2
    assert figures['lead_time_days'] == 4.0  # median of 2, 4, 9 days (cancelled bookings left out)
    assert figures['no_show_rate'] == 0.5


def test_lead_time_is_real_elapsed_time_across_a_clock_change() -> None:
    booked = _at(date(2026, 3, 28), 10)  # Saturday 10:00 CET
    visit = _at(SPRING, 10)  # Sunday 10:00 CEST: 23 real hours later
    figures = measures.booking_figures([_booking(visit, booked, 'booked', None)], timedelta(hours=2))
    assert figures['lead_time_days'] == round(23 / 24, 1)


def test_follow_up_adherence_counts_the_local_date_of_the_next_visit() -> None:
    rows = [
        (SPRING, _at(SPRING, 23, 30)),  # 23:30 on the day: kept
        (SPRING, _at(date(2026, 3, 30), 0, 30)),  # 00:30 the next day (still the 29th in UTC): missed
        (SPRING, None),  # never came: missed
        (date(2026, 4, 10), None),  # not due yet on the 1st of April: not counted
    ]
    found = measures.follow_up_adherence(rows, date(2026, 4, 1), BERLIN)
    assert found == {'follow_ups_due': 3, 'follow_ups_kept': 1, 'follow_up_adherence': round(1 / 3, 4)}


def test_local_windows_of_a_weekday_and_hour_across_daylight_saving() -> None:
    spring = measures.local_windows(SPRING, SPRING, BERLIN, weekday=None, hour=2)
    assert spring == ()  # 02:00 does not exist that night
    autumn = measures.local_windows(AUTUMN, AUTUMN, BERLIN, weekday=6, hour=2)
    assert autumn == ((datetime(2026, 10, 25, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, tzinfo=UTC)),)  # twice
    days = measures.local_windows(date(2026, 3, 23), date(2026, 3, 29), BERLIN, weekday=6, hour=None)
    assert days == ((datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC)),)  # 23 hours
    assert measures.local_windows(SPRING, SPRING, BERLIN, weekday=None, hour=None) is None


# --- the measures of the dashboard, from the database ----------------------------------------------------------------

WEEK = StatsQuery(date(2026, 2, 23), date(2026, 3, 1))


def dashboard(clinic: Clinic, query: StatsQuery = WEEK) -> dict:
    with clinic.ctx.uow() as uow:
        return stats.dashboard(uow, clinic.ctx.settings, clinic.admin, query)


def test_rebooked_cancellations_and_new_and_returning_patients(clinic: Clinic) -> None:
    grey = clinic.doctor.user_id
    ada, bob = clinic.patient.user_id, clinic.other_patient.user_id
    add(clinic, grey, ada, local(10, 9, month=2), AppointmentStatus.COMPLETED)  # before the week: ada returns
    add(clinic, grey, ada, local(23, 9, month=2), AppointmentStatus.COMPLETED)
    add(clinic, grey, bob, local(24, 9, month=2), AppointmentStatus.COMPLETED)  # bob's first visit: new
    add(clinic, grey, ada, local(25, 10, month=2), AppointmentStatus.CANCELLED)
    add(clinic, grey, bob, local(25, 10, month=2), AppointmentStatus.NO_SHOW)  # the cancelled time, taken again
    add(clinic, grey, bob, local(26, 10, month=2), AppointmentStatus.CANCELLED)  # never re-booked
    found = dashboard(clinic)['measures']
    assert found['rebooked_share'] == 0.5 and found['cancelled_rebooked'] == 1
    assert (found['new_patients'], found['returning_patients']) == (1, 1)
    assert set(measures.DEFINITIONS) <= set(found)
    # Earlier visits count only when completed, and only with the doctor (or department) filtered for.
    add(clinic, grey, bob, local(11, 9, month=2), AppointmentStatus.CANCELLED)
    add(clinic, clinic.other_doctor.user_id, bob, local(12, 9, month=2), AppointmentStatus.COMPLETED)
    found = dashboard(clinic)['measures']
    assert (found['new_patients'], found['returning_patients']) == (0, 2)
    found = dashboard(clinic, StatsQuery(WEEK.first, WEEK.last, doctor_id=grey))['measures']
    assert (found['new_patients'], found['returning_patients']) == (1, 1)


def test_follow_up_adherence_from_the_records(clinic: Clinic) -> None:
    grey = clinic.doctor.user_id
    ada, bob = clinic.patient.user_id, clinic.other_patient.user_id
    first = add(clinic, grey, ada, local(2, 9, month=2), diagnosis='Cough')
    other = add(clinic, grey, bob, local(3, 9, month=2), diagnosis='Rash')
    with clinic.ctx.uow() as uow:
        for appointment_id in (first, other):
            treatment = uow.session.query(Treatment).filter_by(appointment_id=appointment_id).one()
            treatment.next_visit_date = date(2026, 2, 25)
        uow.commit()
    add(clinic, grey, ada, local(24, 9, month=2))  # ada came back in time; bob did not
    found = dashboard(clinic)['measures']
    assert (found['follow_ups_due'], found['follow_ups_kept'], found['follow_up_adherence']) == (2, 1, 0.5)


def test_utilisation_in_minutes_from_the_weekly_hours(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        assert uow.session.query(Appointment).count() == 0
    add(clinic, clinic.doctor.user_id, clinic.patient.user_id, local(23, 9, month=2))
    found = dashboard(clinic)['measures']
    minutes = found['utilisation_minutes'][str(clinic.doctor.user_id)]
    assert minutes['booked_minutes'] > 0 and minutes['published_minutes'] >= minutes['booked_minutes']
    assert minutes['share'] == round(minutes['booked_minutes'] / minutes['published_minutes'], 4)


def test_filters_by_status_weekday_and_hour_apply_to_every_figure(clinic: Clinic) -> None:
    grey = clinic.doctor.user_id
    ada = clinic.patient.user_id
    add(clinic, grey, ada, local(23, 9, month=2))  # Monday 09:00
    add(clinic, grey, ada, local(24, 10, month=2))  # Tuesday 10:00
    add(clinic, grey, ada, local(24, 9, month=2), AppointmentStatus.CANCELLED)  # Tuesday 09:00
    tuesday_nine = dashboard(clinic, StatsQuery(WEEK.first, WEEK.last, weekday=1, hour=9))
    assert tuesday_nine['headline']['appointments_period'] == 1 and tuesday_nine['headline']['cancelled'] == 1
    completed = dashboard(clinic, StatsQuery(WEEK.first, WEEK.last, status='completed'))
    assert completed['headline']['appointments_period'] == 2
    assert sum(completed['per_day']['series']['cancelled']) == 0
    listed = _list(clinic, StatsQuery(WEEK.first, WEEK.last, weekday=1))
    assert listed['total'] == 2 and [item['status'] for item in listed['items']] == ['cancelled', 'completed']


def _list(clinic: Clinic, query: StatsQuery) -> dict:
    with clinic.ctx.uow() as uow:
        return stats.appointment_list(uow, clinic.ctx.settings, clinic.admin, query, page=1, per_page=10)


def test_compare_with_the_previous_period(clinic: Clinic) -> None:
    grey, ada = clinic.doctor.user_id, clinic.patient.user_id
    add(clinic, grey, ada, local(17, 9, month=2))  # the week before
    add(clinic, grey, ada, local(23, 9, month=2))
    add(clinic, grey, ada, local(24, 9, month=2))
    ctx = clinic.ctx
    data, _hit = stats.dashboard_cached(ctx.cache, ctx.uow, ctx.settings, clinic.admin, WEEK, compare=True)
    assert data['previous']['query']['first'] == '2026-02-16' and data['previous']['query']['last'] == '2026-02-22'
    assert data['change']['completed'] == 1.0  # 2 against 1: up 100 %
    assert data['change']['no_show_rate'] is None  # 0 before: no percentage
    # The previous period is read for its compared parts only, and they are what a full reading of it gives.
    with clinic.ctx.uow() as uow:
        full = stats.dashboard(uow, ctx.settings, clinic.admin, WEEK.previous())
    assert set(data['previous']) == set(stats.COMPARED_PARTS)
    for part in stats.COMPARED_PARTS:
        assert data['previous'][part] == full[part], part
    with clinic.ctx.uow() as uow:
        compared = stats.dashboard(uow, ctx.settings, clinic.admin, WEEK.previous(), compared_only=True)
    assert set(compared) == {*stats.COMPARED_PARTS, 'generated_at'}


def test_lead_times_and_late_cancellations_are_computed_by_the_database(clinic: Clinic) -> None:
    grey, ada = clinic.doctor.user_id, clinic.patient.user_id
    visit = local(24, 9, month=2)
    lead = add(clinic, grey, ada, visit, AppointmentStatus.COMPLETED)
    late = add(clinic, grey, ada, local(25, 9, month=2), AppointmentStatus.CANCELLED)
    in_time = add(clinic, grey, ada, local(26, 9, month=2), AppointmentStatus.CANCELLED)
    with clinic.ctx.uow() as uow:
        uow.session.get(Appointment, lead).created_at = visit - timedelta(days=3, hours=12)
        uow.session.get(Appointment, late).cancelled_at = local(25, 8, month=2)  # an hour before
        uow.session.get(Appointment, in_time).cancelled_at = local(25, 9, month=2)  # a day before
        uow.commit()
    found = dashboard(clinic)['measures']  # the cancel cut-off: two hours (the default)
    assert found['lead_time_days'] == 3.5
    assert found['late_cancellations'] == 1 and found['late_cancellation_rate'] == round(1 / 3, 4)
