"""The demo data generator keeps every invariant the services enforce, and is reproducible."""

from __future__ import annotations

import csv
import itertools
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, or_, select

from hms import context
from hms.clock import ManualClock
from hms.context import AppContext
from hms.db.migrate import upgrade
from hms.db.models import Appointment, DoctorProfile, Treatment, User, WeeklyWindow
from hms.demo import seed_demo_clinic
from hms.domain.enums import AppointmentStatus, Role, SessionKind
from hms.domain.scheduling import BookingIn
from hms.domain.schemas import Credentials
from hms.seed import seed
from hms.services import accounts, appointments, availability, stats
from hms.services.bootstrap import ensure_admin
from hms.services.principal import Principal

from .factories import make_patient


def run(ctx: AppContext, number: int = 1) -> object:
    return seed(ctx.db, ctx.settings, doctors=6, patients=60, appointments=800, seed=number, password='Demo-Pass-2026x')


def test_generated_data_keeps_the_booking_invariants(ctx: AppContext, clock: ManualClock) -> None:
    result = run(ctx)
    assert (result.doctors, result.patients, result.appointments) == (6, 60, 800)
    with ctx.uow() as uow:
        rows = uow.session.scalars(select(Appointment)).all()
        treated = set(uow.session.scalars(select(Treatment.appointment_id)))
        minutes = dict(uow.session.execute(select(DoctorProfile.user_id, DoctorProfile.consultation_minutes)).all())
        windows = uow.session.scalars(select(WeeklyWindow)).all()
    active = [a for a in rows if a.status != AppointmentStatus.CANCELLED]
    assert len({(a.doctor_id, a.start_at) for a in active}) == len(active)  # one active booking per doctor and start
    by_patient: dict[int, list[Appointment]] = {}
    for appointment in active:
        by_patient.setdefault(appointment.patient_id, []).append(appointment)
    for mine in by_patient.values():
        mine.sort(key=lambda a: a.start_at)
        assert all(a.end_at <= b.start_at for a, b in itertools.pairwise(mine))  # no overlapping bookings
    now = clock.now()
    for appointment in rows:
        assert appointment.end_at - appointment.start_at == timedelta(minutes=minutes[appointment.doctor_id])
        if appointment.start_at > now:
            assert appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED)
        assert (appointment.status == AppointmentStatus.COMPLETED) == (appointment.id in treated)
        if appointment.status == AppointmentStatus.COMPLETED:  # its day: checked in, called in, then done
            assert appointment.arrived_at and appointment.called_at and appointment.completed_at
            assert appointment.arrived_at <= appointment.start_at <= appointment.called_at < appointment.completed_at
        else:
            assert appointment.arrived_at is None and appointment.completed_at is None
    # Every status a visit rests in; checked in and in consultation are the hours of one day, not seeded history.
    day_of_visit = {AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION}
    assert {a.status for a in rows} == set(AppointmentStatus) - day_of_visit
    assert len(windows) == 6 * 5 * 2


def test_future_bookings_lie_on_the_slot_grid(ctx: AppContext, clock: ManualClock) -> None:
    run(ctx)
    with ctx.uow() as uow:
        upcoming = uow.session.scalars(
            select(Appointment).where(
                Appointment.start_at > clock.now(), Appointment.status == AppointmentStatus.BOOKED
            )
        ).all()
        doctor = uow.doctors.get(upcoming[0].doctor_id)
        assert doctor is not None
        starts = {
            slot.start
            for slot in availability.open_slots(
                uow, ctx.settings, doctor, clock.now().date(), clock.now().date() + timedelta(days=30)
            )
        }
    mine = [a.start_at for a in upcoming if a.doctor_id == doctor.user_id]
    assert mine and not (set(mine) & starts)  # booked starts are grid slots that are no longer free


def test_booking_still_works_after_seeding(ctx: AppContext, clock: ManualClock) -> None:
    """Bulk inserts with explicit ids must leave the database's id sequence ahead of them (PostgreSQL)."""
    run(ctx)
    patient = make_patient(ctx, 'after-seed@example.com')
    actor = Principal(
        user_id=patient.id, role=Role.PATIENT, name=patient.name, email=patient.email, must_change_password=False
    )
    with ctx.uow() as uow:
        doctor = uow.session.scalars(select(DoctorProfile).order_by(DoctorProfile.user_id)).first()
        assert doctor is not None
        today = clock.now().astimezone(ctx.settings.zone).date()
        slot = availability.open_slots(uow, ctx.settings, doctor, today, today + timedelta(days=7))[0]
        booking = BookingIn(doctor_id=doctor.user_id, start=slot.start)
    with ctx.uow() as uow:
        view = appointments.book(uow, ctx.settings, actor, booking)
    with ctx.uow() as uow:
        assert uow.session.get(Appointment, view.id) is not None


def test_accounts_are_listed_and_can_sign_in(ctx: AppContext, clock: ManualClock) -> None:
    result = run(ctx)
    with result.accounts_file.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 66 and {row['role'] for row in rows} == {'doctor', 'patient'}
    patient = next(row for row in rows if row['role'] == 'patient')
    with ctx.uow() as uow:
        signed_in = accounts.login(
            uow,
            ctx.settings,
            Credentials(email=patient['email'], password='Demo-Pass-2026x'),
            ip='127.0.0.1',
            kind=SessionKind.API,
        )
    assert str(signed_in.principal.user_id) == patient['id']


def test_the_same_seed_gives_the_same_data(ctx: AppContext, clock: ManualClock, tmp_path: Path) -> None:
    run(ctx, 7)
    other = another_clinic(ctx, tmp_path)
    run(other, 7)
    assert appointment_rows(ctx) == appointment_rows(other)


def another_clinic(ctx: AppContext, tmp_path: Path) -> AppContext:
    """A second, empty clinic database beside the test's own."""
    other = context.init(
        ctx.settings.model_copy(update={'database_url': f'sqlite:///{tmp_path / "other.db"}', 'data_dir': tmp_path})
    )
    upgrade(other.db.url)
    ensure_admin(other.db, other.settings)
    return other


def appointment_rows(ctx: AppContext) -> list[tuple[object, ...]]:
    with ctx.uow() as uow:
        found = uow.session.scalars(select(Appointment).order_by(Appointment.id))
        return [(a.doctor_id, a.patient_id, a.start_at, a.status) for a in found]


def seed_the_demo(ctx: AppContext) -> object:
    return seed_demo_clinic(ctx.db, ctx.settings, seed_number=1, password='Demo-Pass-2026x')


def the_day(ctx: AppContext, clock: ManualClock, offset: int = 0) -> tuple[datetime, datetime]:
    """The UTC bounds of the clinic's local day ``offset`` days from today."""
    day = clock.now().astimezone(ctx.settings.zone).date() + timedelta(days=offset)
    start = datetime.combine(day, time(), tzinfo=ctx.settings.zone).astimezone(UTC)
    return start, start + timedelta(days=1)


def appointments_of(ctx: AppContext, email: str, bounds: tuple[datetime, datetime]) -> list[Appointment]:
    with ctx.uow() as uow:
        user = uow.session.scalars(select(User).where(User.email == email)).one()
        mine = or_(Appointment.doctor_id == user.id, Appointment.patient_id == user.id)
        return list(
            uow.session.scalars(
                select(Appointment).where(
                    mine,
                    Appointment.start_at >= bounds[0],
                    Appointment.start_at < bounds[1],
                    Appointment.status != AppointmentStatus.CANCELLED,
                )
            )
        )


def test_the_demo_has_several_departments_each_with_doctors(ctx: AppContext, clock: ManualClock) -> None:
    result = seed_the_demo(ctx)
    with ctx.uow() as uow:
        staffed = dict(
            uow.session.execute(
                select(DoctorProfile.department_id, func.count()).group_by(DoctorProfile.department_id)
            ).all()
        )
    assert result.departments >= 3 and len(staffed) >= 3
    assert all(count >= 2 for count in staffed.values())


@pytest.mark.parametrize(
    'moment',
    [datetime(2026, 3, 2, 9, 0, tzinfo=UTC), datetime(2026, 3, 7, 18, 0, tzinfo=UTC)],  # a Monday, a Saturday evening
    ids=['monday-morning', 'saturday-evening'],
)
def test_the_named_accounts_meet_today_and_tomorrow(ctx: AppContext, clock: ManualClock, moment: datetime) -> None:
    clock.set(moment)
    seed_the_demo(ctx)
    for offset in (0, 1):
        doctors_day = appointments_of(ctx, 'doctor1@demo.hms.test', the_day(ctx, clock, offset))
        patients_day = appointments_of(ctx, 'patient1@demo.hms.test', the_day(ctx, clock, offset))
        assert len(doctors_day) >= 3, offset  # the doctor's day is full of other patients too
        assert patients_day and {a.id for a in patients_day} <= {a.id for a in doctors_day}
    tomorrow = appointments_of(ctx, 'patient1@demo.hms.test', the_day(ctx, clock, 1))
    assert {a.status for a in tomorrow} == {AppointmentStatus.BOOKED}


def test_past_visits_have_treatments_and_some_were_missed(ctx: AppContext, clock: ManualClock) -> None:
    seed_the_demo(ctx)
    with ctx.uow() as uow:
        past = uow.session.scalars(select(Appointment).where(Appointment.end_at <= clock.now())).all()
        treated = set(uow.session.scalars(select(Treatment.appointment_id)))
        patient = uow.session.scalars(select(User).where(User.email == 'patient1@demo.hms.test')).one()
    statuses = Counter(a.status for a in past)
    assert statuses[AppointmentStatus.COMPLETED] > 1000
    assert 0 < statuses[AppointmentStatus.NO_SHOW] < statuses[AppointmentStatus.COMPLETED] / 5
    assert 0 < statuses[AppointmentStatus.CANCELLED] < statuses[AppointmentStatus.COMPLETED] / 5
    assert {a.id for a in past if a.status == AppointmentStatus.COMPLETED} == treated
    own = [a for a in past if a.patient_id == patient.id and a.status == AppointmentStatus.COMPLETED]
    assert len(own) >= 3  # patient1 has a history to read


def test_the_demo_keeps_the_booking_rules(ctx: AppContext, clock: ManualClock) -> None:
    seed_the_demo(ctx)
    with ctx.uow() as uow:
        rows = uow.session.scalars(select(Appointment)).all()
    active = [a for a in rows if a.status != AppointmentStatus.CANCELLED]
    assert len({(a.doctor_id, a.start_at) for a in active}) == len(active)
    by_patient: dict[int, list[Appointment]] = {}
    for appointment in active:
        by_patient.setdefault(appointment.patient_id, []).append(appointment)
    for mine in by_patient.values():
        mine.sort(key=lambda a: a.start_at)
        assert all(a.end_at <= b.start_at for a, b in itertools.pairwise(mine))
        upcoming = [a for a in mine if a.end_at > clock.now()]
        assert len(upcoming) <= ctx.settings.max_future_bookings
    assert all((a.end_at > clock.now()) == (a.status == AppointmentStatus.BOOKED) for a in active)


def test_the_dashboard_shows_a_realistic_utilisation(ctx: AppContext, clock: ManualClock) -> None:
    """Measured by the same statistics service the admin's dashboard draws, over its default period."""
    seed_the_demo(ctx)
    today = clock.now().astimezone(ctx.settings.zone).date()
    admin = Principal(user_id=1, role=Role.ADMIN, name='Admin', email='admin@x.test', must_change_password=False)
    with ctx.uow() as uow:
        figures = stats.dashboard(uow, ctx.settings, admin, stats.StatsQuery.preset('last30', today))
    shares = [row['share'] for row in figures['utilisation']]
    assert len(shares) == 8 and all(0.4 <= share <= 0.9 for share in shares), shares
    booked = sum(row['booked'] for row in figures['utilisation'])
    published = sum(row['published'] for row in figures['utilisation'])
    assert 0.5 <= booked / published <= 0.85
    assert len(figures['by_department']) >= 3
    assert figures['headline']['appointments_today'] > 10


def test_the_same_seed_gives_the_same_demo(ctx: AppContext, clock: ManualClock, tmp_path) -> None:
    seed_the_demo(ctx)
    other = another_clinic(ctx, tmp_path)
    seed_the_demo(other)
    assert appointment_rows(ctx) == appointment_rows(other)
