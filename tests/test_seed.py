"""The demo data generator keeps every invariant the services enforce, and is reproducible."""

from __future__ import annotations

import csv
import itertools
from datetime import timedelta

from sqlalchemy import select

from hms.clock import ManualClock
from hms.context import AppContext
from hms.db.models import Appointment, DoctorProfile, Treatment, WeeklyWindow
from hms.domain.enums import AppointmentStatus, Role, SessionKind
from hms.domain.scheduling import BookingIn
from hms.domain.schemas import Credentials
from hms.seed import seed
from hms.services import accounts, appointments, availability
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
    assert {a.status for a in rows} == set(AppointmentStatus)
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


def test_the_same_seed_gives_the_same_data(ctx: AppContext, clock: ManualClock, tmp_path) -> None:
    from hms import context
    from hms.db.migrate import upgrade
    from hms.services.bootstrap import ensure_admin

    run(ctx, 7)
    with ctx.uow() as uow:
        first = [(a.doctor_id, a.patient_id, a.start_at, a.status) for a in uow.session.scalars(select(Appointment))]
    other = context.init(
        ctx.settings.model_copy(update={'database_url': f'sqlite:///{tmp_path / "other.db"}', 'data_dir': tmp_path})
    )
    upgrade(other.db.url)
    ensure_admin(other.db, other.settings)
    run(other, 7)
    with other.uow() as uow:
        second = [(a.doctor_id, a.patient_id, a.start_at, a.status) for a in uow.session.scalars(select(Appointment))]
    assert first == second
