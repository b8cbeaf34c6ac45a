"""Repositories of scheduling: departments, doctors, patients, availability, appointments and notices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased, joinedload

from hms.domain.criteria import AppointmentFilter, AppointmentSort, DepartmentSort, DoctorSort, PatientSort
from hms.domain.enums import AppointmentStatus, Role

from .models import (
    Appointment,
    DateOverride,
    Department,
    DoctorProfile,
    Notice,
    OverrideWindow,
    PatientProfile,
    User,
    WeeklyWindow,
)

# A patient's appointments that hold their time: booked, or under way on the day (checked in, in consultation).
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.IN_CONSULTATION)


def _like(text: str) -> str:
    escaped = text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
    return f'%{escaped.lower()}%'


class DepartmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, department_id: int) -> Department | None:
        return self.session.get(Department, department_id)

    def by_name(self, name: str) -> Department | None:
        return self.session.scalar(select(Department).where(func.lower(Department.name) == name.strip().lower()))

    def add(self, department: Department) -> Department:
        self.session.add(department)
        self.session.flush()
        return department

    def remove(self, department: Department) -> None:
        self.session.delete(department)
        self.session.flush()

    def with_doctor_counts(self) -> list[tuple[Department, int]]:
        count = func.count(DoctorProfile.user_id)
        rows = self.session.execute(
            select(Department, count)
            .outerjoin(DoctorProfile, DoctorProfile.department_id == Department.id)
            .group_by(Department.id)
            .order_by(func.lower(Department.name))
        ).all()
        return [(department, int(number)) for department, number in rows]

    def page(
        self, text: str | None, *, limit: int, offset: int, sort: DepartmentSort, descending: bool
    ) -> tuple[list[tuple[Department, int]], int]:
        """Departments whose name or description contains ``text``, with their doctor counts, a page at a time."""
        query = select(Department)
        if text:
            pattern = _like(text)
            query = query.where(
                or_(
                    func.lower(Department.name).like(pattern, escape='\\'),
                    func.lower(func.coalesce(Department.description, '')).like(pattern, escape='\\'),
                )
            )
        total = int(self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        count = func.count(DoctorProfile.user_id)
        key: Any = count if sort is DepartmentSort.DOCTORS else func.lower(Department.name)
        rows = self.session.execute(
            query.add_columns(count)
            .outerjoin(DoctorProfile, DoctorProfile.department_id == Department.id)
            .group_by(Department.id)
            .order_by(key.desc() if descending else key.asc(), Department.id.desc() if descending else Department.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return [(department, int(number)) for department, number in rows], total

    def doctor_count(self, department_id: int) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(DoctorProfile).where(DoctorProfile.department_id == department_id)
            )
            or 0
        )


class DoctorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, doctor_id: int) -> DoctorProfile | None:
        return self.session.scalar(
            select(DoctorProfile)
            .options(joinedload(DoctorProfile.user), joinedload(DoctorProfile.department))
            .where(DoctorProfile.user_id == doctor_id)
        )

    def lock(self, doctor_id: int) -> None:
        """Serialise bookings of one doctor (row lock on PostgreSQL, the write lock on SQLite).

        The no-op write sets a column no foreign key points at: "SET user_id = user_id" made SQLite check every
        appointment of the doctor for the key (no index serves it), 250 ms per booking at a million appointments."""
        self.session.execute(
            update(DoctorProfile)
            .where(DoctorProfile.user_id == doctor_id)
            .values(consultation_minutes=DoctorProfile.consultation_minutes)
            .execution_options(synchronize_session=False)
        )

    def department_names(self, doctor_ids: set[int]) -> dict[int, str]:
        if not doctor_ids:
            return {}
        rows = self.session.execute(
            select(DoctorProfile.user_id, Department.name)
            .join(Department, Department.id == DoctorProfile.department_id)
            .where(DoctorProfile.user_id.in_(doctor_ids))
        ).all()
        return {doctor_id: name for doctor_id, name in rows}

    def add(self, profile: DoctorProfile) -> DoctorProfile:
        self.session.add(profile)
        self.session.flush()
        return profile

    def search(
        self,
        *,
        text: str | None = None,
        department_id: int | None = None,
        department_text: str | None = None,
        include_inactive: bool = False,
        limit: int = 200,
    ) -> Sequence[DoctorProfile]:
        query = self._filtered(text, department_id, department_text, include_inactive)
        return self.session.scalars(query.order_by(func.lower(User.name)).limit(limit)).all()

    def page(
        self, text: str | None, *, include_inactive: bool, limit: int, offset: int, sort: DoctorSort, descending: bool
    ) -> tuple[Sequence[DoctorProfile], int]:
        """Doctors by name or department (as ``search``), a page at a time in the order of one ``DoctorSort``."""
        query = self._filtered(text, None, None, include_inactive)
        total = int(self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        key: Any = {
            DoctorSort.NAME: func.lower(User.name),
            DoctorSort.DEPARTMENT: func.lower(Department.name),
            DoctorSort.EXPERIENCE: DoctorProfile.experience_years,
            DoctorSort.MINUTES: DoctorProfile.consultation_minutes,
            DoctorSort.STATUS: User.is_active,
        }[sort]
        rows = self.session.scalars(
            query.order_by(key.desc() if descending else key.asc(), User.id.desc() if descending else User.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return rows, total

    def _filtered(
        self, text: str | None, department_id: int | None, department_text: str | None, include_inactive: bool
    ) -> Select[DoctorProfile]:
        query = (
            select(DoctorProfile)
            .join(User, User.id == DoctorProfile.user_id)
            .join(Department, Department.id == DoctorProfile.department_id)
            .options(joinedload(DoctorProfile.user), joinedload(DoctorProfile.department))
        )
        if not include_inactive:
            query = query.where(User.is_active.is_(True))
        if text:
            pattern = _like(text)
            query = query.where(
                or_(
                    func.lower(User.name).like(pattern, escape='\\'),
                    func.lower(Department.name).like(pattern, escape='\\'),
                )
            )
        if department_id is not None:
            query = query.where(DoctorProfile.department_id == department_id)
        if department_text:
            query = query.where(func.lower(Department.name).like(_like(department_text), escape='\\'))
        return query


@dataclass(frozen=True)
class PatientRow:
    user: User
    profile: PatientProfile


class PatientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, patient_id: int) -> PatientProfile | None:
        return self.session.scalar(
            select(PatientProfile).options(joinedload(PatientProfile.user)).where(PatientProfile.user_id == patient_id)
        )

    def lock(self, patient_id: int) -> None:
        """Serialise a patient's bookings: a no-op write takes the row lock (PostgreSQL) or the write lock (SQLite).

        Like the doctor's lock, it writes a column no foreign key points at, so SQLite checks no child rows."""
        self.session.execute(
            update(PatientProfile)
            .where(PatientProfile.user_id == patient_id)
            .values(date_of_birth=PatientProfile.date_of_birth)
            .execution_options(synchronize_session=False)
        )

    def search(
        self,
        text: str | None,
        *,
        limit: int,
        offset: int,
        sort: PatientSort = PatientSort.NAME,
        descending: bool = False,
    ) -> tuple[Sequence[PatientProfile], int]:
        query = select(PatientProfile).join(User, User.id == PatientProfile.user_id)
        if text:
            pattern = _like(text.strip())
            digits = ''.join(ch for ch in text if ch.isdigit())
            conditions = [
                func.lower(User.name).like(pattern, escape='\\'),
                func.lower(User.email).like(pattern, escape='\\'),
                cast(User.id, String).like(pattern, escape='\\'),
                PatientProfile.phone.like(pattern, escape='\\'),
            ]
            if len(digits) >= 3:  # phone numbers are typed with or without spaces and dashes
                normalised = func.replace(func.replace(func.replace(PatientProfile.phone, ' ', ''), '-', ''), '.', '')
                conditions.append(normalised.like(f'%{digits}%'))
            query = query.where(or_(*conditions))
        total = int(self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        key = {
            PatientSort.NAME: func.lower(User.name),
            PatientSort.ID: User.id,
            PatientSort.EMAIL: func.lower(User.email),
            PatientSort.STATUS: User.is_active,
        }[sort]
        rows = self.session.scalars(
            query.options(joinedload(PatientProfile.user))
            .order_by(key.desc() if descending else key.asc(), User.id.desc() if descending else User.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return rows, total


class AvailabilityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def weekly(self, doctor_id: int) -> Sequence[WeeklyWindow]:
        return self.session.scalars(
            select(WeeklyWindow)
            .where(WeeklyWindow.doctor_id == doctor_id)
            .order_by(WeeklyWindow.weekday, WeeklyWindow.start_time)
        ).all()

    def overrides(self, doctor_id: int, first: date, last: date) -> Sequence[DateOverride]:
        return (
            self.session.scalars(
                select(DateOverride)
                .options(joinedload(DateOverride.windows))
                .where(DateOverride.doctor_id == doctor_id, DateOverride.date >= first, DateOverride.date <= last)
                .order_by(DateOverride.date)
            )
            .unique()
            .all()
        )

    def replace_weekly(self, doctor_id: int, windows: list[WeeklyWindow]) -> None:
        self.session.execute(delete(WeeklyWindow).where(WeeklyWindow.doctor_id == doctor_id))
        self.session.add_all(windows)

    def delete_overrides_from(self, doctor_id: int, first: date) -> None:
        ids = select(DateOverride.id).where(DateOverride.doctor_id == doctor_id, DateOverride.date >= first)
        self.session.execute(delete(OverrideWindow).where(OverrideWindow.override_id.in_(ids)))
        self.session.execute(
            delete(DateOverride).where(DateOverride.doctor_id == doctor_id, DateOverride.date >= first)
        )

    def delete_overrides_on(self, doctor_id: int, days: Sequence[date]) -> None:
        ids = select(DateOverride.id).where(DateOverride.doctor_id == doctor_id, DateOverride.date.in_(days))
        self.session.execute(delete(OverrideWindow).where(OverrideWindow.override_id.in_(ids)))
        self.session.execute(
            delete(DateOverride).where(DateOverride.doctor_id == doctor_id, DateOverride.date.in_(days))
        )

    def add_override(self, override: DateOverride) -> None:
        self.session.add(override)


class AppointmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, appointment_id: int) -> Appointment | None:
        return self.session.get(Appointment, appointment_id)

    def lock(self, appointment_id: int) -> Appointment | None:
        """Take the appointment's row lock (PostgreSQL) or the write lock (SQLite) and read it afresh: a change
        decided on what this returns cannot be overtaken by another one until the transaction ends.

        The no-op write locks on both databases; ``sequence`` is a column no foreign key points at, so SQLite checks
        no child rows. ``populate_existing`` replaces whatever the session read before the lock was taken."""
        self.session.execute(
            update(Appointment)
            .where(Appointment.id == appointment_id)
            .values(sequence=Appointment.sequence)
            .execution_options(synchronize_session=False)
        )
        return self.session.scalar(
            select(Appointment).where(Appointment.id == appointment_id).execution_options(populate_existing=True)
        )

    def add(self, appointment: Appointment) -> Appointment:
        self.session.add(appointment)
        self.session.flush()
        return appointment

    def _filtered(self, criteria: AppointmentFilter) -> Select[Appointment]:
        query = select(Appointment)
        if criteria.start_from is not None:
            query = query.where(Appointment.start_at >= criteria.start_from)
        if criteria.start_to is not None:
            query = query.where(Appointment.start_at < criteria.start_to)
        if criteria.doctor_id is not None:
            query = query.where(Appointment.doctor_id == criteria.doctor_id)
        if criteria.patient_id is not None:
            query = query.where(Appointment.patient_id == criteria.patient_id)
        if criteria.department_id is not None:
            query = query.join(DoctorProfile, DoctorProfile.user_id == Appointment.doctor_id).where(
                DoctorProfile.department_id == criteria.department_id
            )
        if criteria.statuses:
            query = query.where(Appointment.status.in_(criteria.statuses))
        return query

    def find(
        self,
        criteria: AppointmentFilter,
        *,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
        sort: AppointmentSort = AppointmentSort.WHEN,
    ) -> Sequence[Appointment]:
        """Ordered by ``sort`` (descending when ``newest_first``), then by time and id."""
        query = self._filtered(criteria)
        key: Any = Appointment.start_at
        if sort in (AppointmentSort.DOCTOR, AppointmentSort.PATIENT):
            person = aliased(User)
            joined = Appointment.doctor_id if sort is AppointmentSort.DOCTOR else Appointment.patient_id
            query, key = query.join(person, person.id == joined), func.lower(person.name)
        elif sort is AppointmentSort.DEPARTMENT:
            if criteria.department_id is None:  # otherwise the filter has joined the doctor's profile already
                query = query.join(DoctorProfile, DoctorProfile.user_id == Appointment.doctor_id)
            query = query.join(Department, Department.id == DoctorProfile.department_id)
            key = func.lower(Department.name)
        elif sort is AppointmentSort.STATUS:
            key = Appointment.status
        if newest_first:
            query = query.order_by(key.desc(), Appointment.start_at.desc(), Appointment.id)
        else:
            query = query.order_by(key.asc(), Appointment.start_at.asc(), Appointment.id)
        query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return self.session.scalars(query).all()

    def count(self, criteria: AppointmentFilter) -> int:
        return int(self.session.scalar(select(func.count()).select_from(self._filtered(criteria).subquery())) or 0)

    def overlapping_for_patient(self, patient_id: int, start: datetime, end: datetime, exclude_id: int | None) -> bool:
        query = select(Appointment.id).where(
            Appointment.patient_id == patient_id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at < end,
            Appointment.end_at > start,
        )
        if exclude_id is not None:
            query = query.where(Appointment.id != exclude_id)
        return self.session.scalar(query.limit(1)) is not None

    def overlapping_for_doctor(self, doctor_id: int, start: datetime, end: datetime, exclude_id: int | None) -> bool:
        # Bounded below on start_at so the (doctor_id, start_at) index does the work; no visit lasts a day.
        query = select(Appointment.id).where(
            Appointment.doctor_id == doctor_id,
            Appointment.status != AppointmentStatus.CANCELLED,
            Appointment.start_at >= start - timedelta(days=1),
            Appointment.start_at < end,
            Appointment.end_at > start,
        )
        if exclude_id is not None:
            query = query.where(Appointment.id != exclude_id)
        return self.session.scalar(query.limit(1)) is not None

    def tickets_given(self, doctor_id: int, start: datetime, end: datetime) -> int:
        """How many of the doctor's appointments starting in [start, end) hold a waiting-room ticket."""
        query = select(func.count(Appointment.id)).where(
            Appointment.doctor_id == doctor_id,
            Appointment.start_at >= start,
            Appointment.start_at < end,
            Appointment.ticket.is_not(None),
        )
        return int(self.session.scalar(query) or 0)

    def next_arrived(self, doctor_id: int, start: datetime, end: datetime) -> Appointment | None:
        """The doctor's first checked-in appointment starting in [start, end): by appointment time, then arrival."""
        query = (
            select(Appointment)
            .where(
                Appointment.doctor_id == doctor_id,
                Appointment.status == AppointmentStatus.ARRIVED,
                Appointment.start_at >= start,
                Appointment.start_at < end,
            )
            .order_by(Appointment.start_at, Appointment.arrived_at, Appointment.id)
            .limit(1)
        )
        return self.session.scalar(query)

    def taken_starts(self, doctor_id: int, start: datetime, end: datetime) -> set[datetime]:
        return set(
            self.session.scalars(
                select(Appointment.start_at).where(
                    Appointment.doctor_id == doctor_id,
                    Appointment.status != AppointmentStatus.CANCELLED,
                    Appointment.start_at >= start,
                    Appointment.start_at < end,
                )
            )
        )

    def busy_doctors(self, doctor_ids: Sequence[int], start: datetime, end: datetime) -> dict[int, set[datetime]]:
        rows = self.session.execute(
            select(Appointment.doctor_id, Appointment.start_at).where(
                Appointment.doctor_id.in_(doctor_ids),
                Appointment.status != AppointmentStatus.CANCELLED,
                Appointment.start_at >= start,
                Appointment.start_at < end,
            )
        ).all()
        taken: dict[int, set[datetime]] = {}
        for doctor_id, start_at in rows:
            taken.setdefault(doctor_id, set()).add(start_at)
        return taken


class NoticeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, notice: Notice) -> None:
        self.session.add(notice)

    def for_user(self, user_id: int, limit: int = 50) -> Sequence[Notice]:
        return self.session.scalars(
            select(Notice)
            .where(Notice.user_id == user_id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        ).all()

    def mark_read(self, user_id: int, at: datetime) -> None:
        self.session.execute(
            update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None)).values(read_at=at)
        )


def people_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()
    return {user_id: name for user_id, name in rows}


def role_of(session: Session, user_id: int) -> Role | None:
    return session.scalar(select(User.role).where(User.id == user_id))


def birth_dates(session: Session, user_ids: set[int]) -> dict[int, date]:
    if not user_ids:
        return {}
    rows = session.execute(
        select(PatientProfile.user_id, PatientProfile.date_of_birth).where(PatientProfile.user_id.in_(user_ids))
    ).all()
    return {user_id: born for user_id, born in rows}
