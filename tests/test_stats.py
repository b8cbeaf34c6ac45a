"""Dashboard aggregations on fixed data, against hand-computed expectations."""

from __future__ import annotations

from datetime import date

import pytest

from hms.domain.enums import AppointmentStatus
from hms.domain.errors import InvalidInput, NotAllowed
from hms.domain.scheduling import DepartmentIn, DoctorIn
from hms.services import departments, doctors, stats
from hms.services.stats import StatsQuery

from .scheduling_fixtures import Clinic, local
from .scheduling_fixtures import insert_appointment as add

WEEK = StatsQuery(date(2026, 2, 23), date(2026, 3, 1))


@pytest.fixture
def house(clinic: Clinic) -> int:
    with clinic.ctx.uow() as uow:
        dermatology = departments.create_department(uow, clinic.admin, DepartmentIn(name='Dermatology'))
    with clinic.ctx.uow() as uow:
        return doctors.add_doctor(
            uow, clinic.admin, DoctorIn(name='Gregory House', email='house@clinic.test', department_id=dermatology.id)
        ).doctor.id


@pytest.fixture
def data(clinic: Clinic, house: int) -> Clinic:
    grey, shepherd = clinic.doctor.user_id, clinic.other_doctor.user_id
    ada, bob = clinic.patient.user_id, clinic.other_patient.user_id
    add(clinic, grey, ada, local(23, 9, month=2), AppointmentStatus.COMPLETED)
    add(clinic, grey, bob, local(23, 9, 30, month=2), AppointmentStatus.COMPLETED)
    add(clinic, grey, ada, local(24, 10, month=2), AppointmentStatus.CANCELLED)
    add(clinic, grey, bob, local(25, 14, month=2), AppointmentStatus.NO_SHOW)
    add(clinic, shepherd, ada, local(24, 10, month=2), AppointmentStatus.COMPLETED)
    add(clinic, house, bob, local(26, 11, month=2), AppointmentStatus.COMPLETED)
    add(clinic, grey, ada, local(2, 11), AppointmentStatus.BOOKED)  # today, outside the week under study
    return clinic


def dashboard(clinic: Clinic, query: StatsQuery = WEEK) -> dict:
    with clinic.ctx.uow() as uow:
        return stats.dashboard(uow, clinic.ctx.settings, clinic.admin, query)


def test_headline_figures(data: Clinic) -> None:
    headline = dashboard(data)['headline']
    assert headline == {
        'doctors_active': 3,
        'patients': 2,
        'appointments_today': 1,
        'appointments_week': 1,
        'appointments_total': 7,
        'appointments_period': 6,
        'completed': 4,
        'cancelled': 1,
        'no_shows': 1,
        'cancellation_rate': round(1 / 6, 4),
        'no_show_rate': round(1 / 5, 4),
    }


def test_appointments_per_day_stacked_by_status(data: Clinic) -> None:
    per_day = dashboard(data)['per_day']
    assert per_day['dates'] == [f'2026-02-{day}' for day in range(23, 29)] + ['2026-03-01']
    assert per_day['series'] == {
        'booked': [0, 0, 0, 0, 0, 0, 0],
        'completed': [2, 1, 0, 1, 0, 0, 0],
        'cancelled': [0, 1, 0, 0, 0, 0, 0],
        'no_show': [0, 0, 1, 0, 0, 0, 0],
    }


def test_by_department_and_doctor(data: Clinic) -> None:
    result = dashboard(data)
    rows = [
        (d['department'], d['total'], d['completed'], d['cancelled'], d['no_show']) for d in result['by_department']
    ]

    assert rows == [('Cardiology', 5, 3, 1, 1), ('Dermatology', 1, 1, 0, 0)]
    assert [(d['doctor'], d['total']) for d in result['by_doctor']] == [
        ('Meredith Grey', 4),
        ('Derek Shepherd', 1),
        ('Gregory House', 1),
    ]


def test_top_doctors_with_the_rest_grouped(data: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats, 'TOP_DOCTORS', 1)
    by_doctor = dashboard(data)['by_doctor']
    assert [(d['doctor'], d['total']) for d in by_doctor] == [('Meredith Grey', 4), ('Other (2 doctors)', 2)]


def test_utilisation_is_booked_over_published_slots(data: Clinic) -> None:
    utilisation = {row['doctor']: row for row in dashboard(data)['utilisation']}
    assert (utilisation['Meredith Grey']['booked'], utilisation['Meredith Grey']['published']) == (3, 70)
    assert utilisation['Meredith Grey']['share'] == round(3 / 70, 4)
    assert utilisation['Derek Shepherd']['share'] == round(1 / 70, 4)
    assert (utilisation['Gregory House']['published'], utilisation['Gregory House']['share']) == (0, None)


def test_busiest_hours_heat_map_in_local_time(data: Clinic) -> None:
    z = dashboard(data)['heatmap']['z']
    assert z[0][9] == 2  # Monday 09:00 and 09:30, local time
    assert z[1][10] == 1  # Tuesday: the cancelled one is not counted
    assert (z[2][14], z[3][11]) == (1, 1)
    assert sum(map(sum, z)) == 5


def test_age_and_gender_of_patients_seen(data: Clinic) -> None:
    mix = {(row['age_band'], row['gender']): row['count'] for row in dashboard(data)['demographics']}
    assert mix[('35–49', 'female')] == 2
    assert sum(mix.values()) == 2


def test_registrations_per_week(data: Clinic) -> None:
    registrations = dashboard(data, StatsQuery(date(2026, 2, 23), date(2026, 3, 2)))['registrations']
    assert registrations == {'weeks': ['2026-02-23', '2026-03-02'], 'counts': [0, 2]}


def test_filters_apply_to_every_series(data: Clinic, house: int) -> None:
    dermatology = dashboard(data, StatsQuery(WEEK.first, WEEK.last, department_id=_department_of(data, house)))
    assert dermatology['headline']['appointments_period'] == 1
    assert [d['doctor'] for d in dermatology['by_doctor']] == ['Gregory House']
    assert sum(dermatology['per_day']['series']['completed']) == 1
    shepherd = dashboard(data, StatsQuery(WEEK.first, WEEK.last, doctor_id=data.other_doctor.user_id))
    assert shepherd['headline']['appointments_period'] == 1 and shepherd['headline']['doctors_active'] == 1
    assert [row['doctor'] for row in shepherd['utilisation']] == ['Derek Shepherd']


def _department_of(clinic: Clinic, doctor_id: int) -> int:
    with clinic.ctx.uow() as uow:
        return doctors.get_doctor(uow, doctor_id).department_id


def test_presets_and_validation(clinic: Clinic) -> None:
    today = date(2026, 3, 18)
    assert StatsQuery.preset('last7', today) == StatsQuery(date(2026, 3, 12), today)
    assert StatsQuery.preset('month', today).first == date(2026, 3, 1)
    with pytest.raises(InvalidInput):
        dashboard(clinic, StatsQuery(date(2026, 3, 2), date(2026, 3, 1)))
    with clinic.ctx.uow() as uow, pytest.raises(NotAllowed):
        stats.dashboard(uow, clinic.ctx.settings, clinic.doctor, WEEK)


def test_empty_period_is_all_zeros(clinic: Clinic) -> None:
    result = dashboard(clinic, StatsQuery(date(2025, 1, 6), date(2025, 1, 12)))
    assert result['headline']['appointments_period'] == 0 and result['headline']['no_show_rate'] is None
    assert result['by_doctor'] == [] and sum(result['per_day']['series']['completed']) == 0


def test_doctor_numbers(data: Clinic) -> None:
    with data.ctx.uow() as uow:
        numbers = stats.doctor_numbers(uow, data.ctx.settings, data.doctor)
    assert numbers['month_visits'] == 0  # March has only today's booked visit so far
    assert len(numbers['weeks']) == 13 and numbers['weeks'][-1] == '2026-03-02'
    assert numbers['visits_per_week'][-2] == 2  # the week of 23 February: two completed visits
