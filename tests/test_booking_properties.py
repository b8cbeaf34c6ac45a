"""Property test of the booking service: random sequences of book / reschedule / cancel / complete / no-show by
random people (the right ones and the wrong ones) while a manual clock moves, never break the invariants.

Each example is a fresh clinic (two doctors with the Monday-to-Friday template, three patients) in its own data
folder. Any exception other than a domain refusal fails the test, and after every step:

- no doctor has two non-cancelled appointments at the same start (no double booking);
- no patient has two non-cancelled appointments that overlap;
- completed, cancelled and no-show appointments never change status again, and nothing changes owner or doctor;
- every successful booking added exactly one row, and each person's own listings count what the table holds.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from hms import context
from hms.clock import ManualClock
from hms.config import Settings
from hms.db.models import Appointment
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.errors import DomainError
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import AvailabilityIn, BookingIn, DepartmentIn, DoctorIn
from hms.services import appointments, availability, departments, doctors, records
from hms.services.bootstrap import ensure_admin
from hms.services.principal import Principal

from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, make_patient
from .scheduling_fixtures import MONDAY_8_LOCAL, WORKING_WEEK, ZONE, local, principal

FINAL = {AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
# Starts to try: the first week's slot grid (Monday to Friday), then times the service must refuse (off the grid, a
# weekend, beyond the booking horizon). Hypothesis tries the front of the list most.
GRID = [(hour, minute) for hour in (9, 10, 11, 12, 14, 15, 16) for minute in (0, 30)]
STARTS = [local(day, hour, minute) for day in range(2, 7) for hour, minute in GRID] + [
    local(2, 9, 15),
    local(3, 13),
    local(4, 8, 30),
    local(7, 10),
    local(16, 10),
    local(2, 17),
]
EXAMPLES = 25
STEPS = 25


class Environment:
    """What the test function hands the machine: where to build each example's clinic, and the clock."""

    template: Path
    root: Path
    clock: ManualClock
    serial = 0
    seen: Counter[str]  # what the examples reached, summed: proof the sequences did more than get refused


ENV = Environment()


class BookingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        ENV.serial += 1
        data_dir = ENV.root / f'example-{ENV.serial}'
        data_dir.mkdir()
        shutil.copy(ENV.template, data_dir / 'hms.db')
        app_settings = Settings(
            _env_file=None,
            data_dir=data_dir,
            database_url=f'sqlite:///{data_dir / "hms.db"}',
            timezone=ZONE,
            admin_email=ADMIN_EMAIL,
            admin_password=ADMIN_PASSWORD,
        )
        ENV.clock.set(MONDAY_8_LOCAL)
        self.ctx = context.init(app_settings)
        ensure_admin(self.ctx.db, app_settings)
        with self.ctx.uow() as uow:
            admin_user = uow.users.by_email(ADMIN_EMAIL)
            assert admin_user is not None
        self.admin = principal(admin_user.id, Role.ADMIN, 'Administrator', ADMIN_EMAIL)
        with self.ctx.uow() as uow:
            department = departments.create_department(uow, self.admin, DepartmentIn(name='Cardiology'))
        self.doctors: list[Principal] = []
        for number in range(2):
            with self.ctx.uow() as uow:
                data = DoctorIn(
                    name=f'Doctor {number}',
                    email=f'doctor{number}@clinic.test',
                    department_id=department.id,
                    consultation_minutes=30,
                )
                new = doctors.add_doctor(uow, self.admin, data)
            doctor = principal(new.doctor.id, Role.DOCTOR, data.name, data.email)
            with self.ctx.uow() as uow:
                availability.set_availability(
                    uow, self.ctx.settings, doctor, AvailabilityIn.model_validate(WORKING_WEEK)
                )
            self.doctors.append(doctor)
        self.patients = [
            principal(user.id, Role.PATIENT, user.name, user.email)
            for user in (make_patient(self.ctx, f'patient{n}@example.com') for n in range(3))
        ]
        self.booked = 0
        self.final: dict[int, AppointmentStatus] = {}
        self.owners: dict[int, tuple[int, int]] = {}  # id -> (patient, doctor) as booked

    def teardown(self) -> None:
        self.ctx.db.dispose()

    # --- helpers ---------------------------------------------------------------------------------------------------

    def _rows(self) -> list[Appointment]:
        with self.ctx.uow() as uow:
            rows = list(uow.session.scalars(select(Appointment)))
            uow.session.expunge_all()
            return rows

    def _pick(self, index: int) -> int | None:
        ids = sorted(self.owners)
        return ids[index % len(ids)] if ids else None

    def _someone(self, appointment: int, choice: int, *, doctor_first: bool = False) -> Principal:
        """0: the appointment's patient (its doctor if ``doctor_first``), 1: the other of the two, 2: the
        administrator, 3: another patient, 4: the other doctor."""
        patient_id, doctor_id = self.owners[appointment]
        patient = next(p for p in self.patients if p.user_id == patient_id)
        doctor = next(d for d in self.doctors if d.user_id == doctor_id)
        stranger = next(p for p in self.patients if p.user_id != patient_id)
        colleague = next(d for d in self.doctors if d.user_id != doctor_id)
        own = [doctor, patient] if doctor_first else [patient, doctor]
        return [*own, self.admin, stranger, colleague][choice]

    def _try(self, action: Any) -> Any:
        try:
            with self.ctx.uow() as uow:
                return action(uow)
        except DomainError:
            return None  # a refusal with a clear message is a correct outcome

    # --- rules -----------------------------------------------------------------------------------------------------

    @initialize(
        picks=st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 1), st.sampled_from(STARTS[:28])), min_size=3, max_size=8
        )
    )
    def morning_bookings(self, picks: list[tuple[int, int, Any]]) -> None:
        """Start from a few bookings today and tomorrow, so that every rule has something to act on."""
        for patient, doctor, start in picks:
            self.book(patient, doctor, start)

    # --- random rules ------------------------------------------------------------------------------------------------

    @rule(patient=st.integers(0, 2), doctor=st.integers(0, 1), start=st.sampled_from(STARTS))
    def book(self, patient: int, doctor: int, start: Any) -> None:
        data = BookingIn(doctor_id=self.doctors[doctor].user_id, start=start, reason='Check-up')
        view = self._try(lambda uow: appointments.book(uow, self.ctx.settings, self.patients[patient], data))
        if view is not None:
            self.booked += 1
            ENV.seen['booked'] += 1
            assert view.id not in self.owners, 'a booking reused an id'
            self.owners[view.id] = (self.patients[patient].user_id, self.doctors[doctor].user_id)

    @rule(which=st.integers(0, 100), actor=st.integers(0, 4), start=st.sampled_from(STARTS))
    def reschedule(self, which: int, actor: int, start: Any) -> None:
        appointment = self._pick(which)
        if appointment is not None:
            who = self._someone(appointment, actor)
            self._try(lambda uow: appointments.reschedule(uow, self.ctx.settings, who, appointment, start))

    @rule(which=st.integers(0, 100), actor=st.integers(0, 4), reason=st.sampled_from(['Unwell', '']))
    def cancel(self, which: int, actor: int, reason: str) -> None:
        appointment = self._pick(which)
        if appointment is not None:
            who = self._someone(appointment, actor)
            self._try(lambda uow: appointments.cancel(uow, self.ctx.settings, who, appointment, reason))

    @rule(which=st.integers(0, 100), actor=st.integers(0, 4))
    def complete(self, which: int, actor: int) -> None:
        appointment = self._pick(which)
        if appointment is not None:
            who = self._someone(appointment, actor, doctor_first=True)
            treatment = TreatmentIn(diagnosis='Common cold')
            self._try(lambda uow: records.complete_visit(uow, self.ctx.settings, who, appointment, treatment))

    @rule(which=st.integers(0, 100), actor=st.integers(0, 4))
    def no_show(self, which: int, actor: int) -> None:
        appointment = self._pick(which)
        if appointment is not None:
            who = self._someone(appointment, actor, doctor_first=True)
            self._try(lambda uow: records.mark_no_show(uow, self.ctx.settings, who, appointment))

    @rule(which=st.integers(0, 100), outcome=st.sampled_from(['complete', 'no-show']))
    def close_a_started_one(self, which: int, outcome: str) -> None:
        """The legitimate path, so that random refusals do not crowd it out: its doctor closes a started visit."""
        now = ENV.clock.now()
        due = [row.id for row in self._rows() if row.status == AppointmentStatus.BOOKED and row.start_at <= now]
        if not due:
            return
        appointment = due[which % len(due)]
        doctor = self._someone(appointment, 0, doctor_first=True)
        if outcome == 'complete':
            treatment = TreatmentIn(diagnosis='Sprained ankle')
            self._try(lambda uow: records.complete_visit(uow, self.ctx.settings, doctor, appointment, treatment))
        else:
            self._try(lambda uow: records.mark_no_show(uow, self.ctx.settings, doctor, appointment))

    @rule(minutes=st.sampled_from([90, 240, 30, 24 * 60, 0]))
    def time_passes(self, minutes: int) -> None:
        ENV.clock.advance(timedelta(minutes=minutes))

    # --- invariants ------------------------------------------------------------------------------------------------

    @invariant()
    def no_double_booking_and_no_overlap(self) -> None:
        live = [row for row in self._rows() if row.status != AppointmentStatus.CANCELLED]
        slots = Counter((row.doctor_id, row.start_at) for row in live)
        assert max(slots.values(), default=0) <= 1, f'a doctor slot is booked twice: {slots.most_common(1)}'
        by_patient: dict[int, list[Appointment]] = {}
        for row in live:
            by_patient.setdefault(row.patient_id, []).append(row)
        for rows in by_patient.values():
            rows.sort(key=lambda row: row.start_at)
            for first, second in pairwise(rows):
                assert first.end_at <= second.start_at, f'patient overlap: {first.id} and {second.id}'

    @invariant()
    def final_states_stay_final_and_owners_never_change(self) -> None:
        for row in self._rows():
            status = AppointmentStatus(row.status)
            if row.id in self.final:
                assert status == self.final[row.id], f'appointment {row.id} left final state {self.final[row.id]}'
            elif status in FINAL:
                self.final[row.id] = status
                ENV.seen[status.value] += 1
            assert (row.patient_id, row.doctor_id) == self.owners[row.id]
            assert row.start_at < row.end_at
            assert (status == AppointmentStatus.CANCELLED) == (row.cancelled_at is not None)

    @invariant()
    def counts_are_consistent(self) -> None:
        rows = self._rows()
        assert len(rows) == self.booked, 'every successful booking is exactly one row'
        with self.ctx.uow() as uow:
            for patient in self.patients:
                mine = appointments.my_appointments(uow, patient)
                assert len(mine) == sum(row.patient_id == patient.user_id for row in rows)
            for doctor in self.doctors:
                theirs = appointments.doctor_appointments(uow, doctor)
                assert len(theirs) == sum(row.doctor_id == doctor.user_id for row in rows)


def test_random_booking_sequences_keep_the_invariants(
    template_database: Path, tmp_path: Path, clock: ManualClock
) -> None:
    ENV.template, ENV.root, ENV.clock, ENV.seen = template_database, tmp_path, clock, Counter()
    limits = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    run_state_machine_as_test(BookingMachine, settings=limits)
    reached = {'booked', *(status.value for status in FINAL)}
    assert all(ENV.seen[name] > 0 for name in reached), f'the random sequences only reached {dict(ENV.seen)}'
