"""Waiting and consultation times on the dashboard: the median wait (checked in -> called in) and the median
consultation (called in -> completed) per local day, per doctor and per department, against hand-computed medians,
including the day the clocks go forward in the clinic's zone (Berlin, Sunday 29 March 2026, 02:00 -> 03:00)."""

from __future__ import annotations

from datetime import date

import pytest

from hms.domain.enums import AppointmentStatus
from hms.services import stats
from hms.services.stats import StatsQuery

from .api_fixtures import People, mounted_api
from .scheduling_fixtures import Clinic, local
from .test_boards import visit

DONE, INSIDE = AppointmentStatus.COMPLETED, AppointmentStatus.IN_CONSULTATION
MARCH_2 = StatsQuery(date(2026, 3, 2), date(2026, 3, 2))
DST = StatsQuery(date(2026, 3, 29), date(2026, 3, 30))


def times(clinic: Clinic, query: StatsQuery) -> dict:
    with clinic.ctx.uow() as uow:
        return stats.dashboard(uow, clinic.ctx.settings, clinic.admin, query)['visit_times']


@pytest.fixture
def monday(clinic: Clinic) -> Clinic:
    """Monday 2 March: Grey waits 15, 20, 25 (median 20), consults 20 and 30 (median 25; the third is still inside);
    Shepherd waits 10 and consults 12. A visit called before its recorded arrival, and one never called, count for
    nothing."""
    grey, shepherd = clinic.doctor.user_id, clinic.other_doctor.user_id
    visit(clinic, local(2, 9), status=DONE, arrived=local(2, 8, 50), called=local(2, 9, 5), completed=local(2, 9, 25))
    visit(
        clinic,
        local(2, 9, 30),
        status=DONE,
        arrived=local(2, 9, 20),
        called=local(2, 9, 40),
        completed=local(2, 10, 10),
    )
    visit(clinic, local(2, 10), status=INSIDE, arrived=local(2, 9, 55), called=local(2, 10, 20))
    visit(
        clinic,
        local(2, 9),
        doctor_id=shepherd,
        status=DONE,
        arrived=local(2, 9),
        called=local(2, 9, 10),
        completed=local(2, 9, 22),
    )
    visit(clinic, local(2, 11), doctor_id=grey, status=AppointmentStatus.ARRIVED, arrived=local(2, 10, 50))
    visit(
        clinic, local(2, 11, 30), doctor_id=shepherd, status=INSIDE, arrived=local(2, 11, 40), called=local(2, 11, 35)
    )
    return clinic


def test_medians_per_doctor_and_department(monday: Clinic) -> None:
    found = times(monday, MARCH_2)
    assert found['dates'] == ['2026-03-02']
    by_doctor = {row['doctor']: row for row in found['by_doctor']}
    assert by_doctor['Meredith Grey'] | {'doctor_id': 0} == {
        'doctor_id': 0,
        'doctor': 'Meredith Grey',
        'department': 'Cardiology',
        'median_wait_minutes': 20.0,
        'median_consultation_minutes': 25.0,
        'waits': 3,
        'consultations': 2,
    }
    assert by_doctor['Derek Shepherd']['median_wait_minutes'] == 10.0
    assert by_doctor['Derek Shepherd']['median_consultation_minutes'] == 12.0
    assert by_doctor['Derek Shepherd']['waits'] == 1  # the visit called "before" its arrival is left out
    # The department: waits 10, 15, 20, 25 -> 17.5; consultations 12, 20, 30 -> 20.
    [cardiology] = found['by_department']
    assert (cardiology['median_wait_minutes'], cardiology['median_consultation_minutes']) == (17.5, 20.0)
    assert found['per_day'] == {'wait': [17.5], 'consultation': [20.0]}
    assert [(row['date'], row['doctor'], row['median_wait_minutes']) for row in found['by_doctor_day']] == [
        ('2026-03-02', 'Derek Shepherd', 10.0),
        ('2026-03-02', 'Meredith Grey', 20.0),
    ]
    assert found['by_department_day'] == [{'date': '2026-03-02', 'department': 'Cardiology'} | cardiology]


def test_the_doctor_filter_applies(monday: Clinic) -> None:
    query = StatsQuery(date(2026, 3, 2), date(2026, 3, 2), doctor_id=monday.other_doctor.user_id)
    found = times(monday, query)
    assert [row['doctor'] for row in found['by_doctor']] == ['Derek Shepherd']
    assert found['per_day'] == {'wait': [10.0], 'consultation': [12.0]}


def test_a_period_without_visits_has_no_medians(clinic: Clinic) -> None:
    found = times(clinic, StatsQuery(date(2026, 3, 2), date(2026, 3, 3)))
    assert found['per_day'] == {'wait': [None, None], 'consultation': [None, None]}
    assert found['by_doctor'] == found['by_department'] == found['by_doctor_day'] == []


def test_the_day_the_clocks_go_forward(clinic: Clinic) -> None:
    """29 March: a patient checked in at 01:50 (CET) and called in at 03:10 (CEST) waited 20 minutes, not 80; a visit
    at 23:30 that evening is on the 29th; one at 00:30 on the 30th (22:30 UTC on the 29th) is on the 30th."""
    visit(
        clinic,
        local(29, 1, 45),
        status=DONE,
        arrived=local(29, 1, 50),
        called=local(29, 3, 10),
        completed=local(29, 3, 40),
    )
    visit(
        clinic,
        local(29, 23, 30),
        status=DONE,
        arrived=local(29, 23, 20),
        called=local(29, 23, 30),
        completed=local(29, 23, 50),
    )
    visit(clinic, local(30, 0, 30), status=INSIDE, arrived=local(30, 0, 25), called=local(30, 0, 45))
    found = times(clinic, DST)
    assert found['dates'] == ['2026-03-29', '2026-03-30']
    assert found['per_day'] == {'wait': [15.0, 20.0], 'consultation': [25.0, None]}
    assert [(row['date'], row['waits'], row['consultations']) for row in found['by_doctor_day']] == [
        ('2026-03-29', 2, 2),
        ('2026-03-30', 1, 0),
    ]
    [grey] = found['by_doctor']
    assert (grey['median_wait_minutes'], grey['median_consultation_minutes']) == (20.0, 25.0)


def test_the_api_and_the_chart_carry_the_same_figures(monday: Clinic) -> None:
    from pages.components import charts

    for api in mounted_api():
        people = People(api, monday)
        response = api.get('/api/admin/stats', headers=people.admin, params={'from': '2026-03-02', 'to': '2026-03-02'})
        assert response.status_code == 200, response.text
        data = response.json()
    assert data['visit_times']['by_department'][0]['median_wait_minutes'] == 17.5
    figure = charts.visit_times(data)
    wait, consultation = figure['data']
    assert wait['y'] == ['Derek Shepherd', 'Meredith Grey'] == consultation['y']  # by department, then name
    assert (wait['x'], consultation['x']) == ([10.0, 20.0], [12.0, 25.0])
    header, rows = charts.visit_times_table(data)
    assert header[:4] == ['doctor', 'department', 'median_wait_minutes', 'median_consultation_minutes']
    assert rows == [
        ['Derek Shepherd', 'Cardiology', 10.0, 12.0, 1, 1],
        ['Meredith Grey', 'Cardiology', 20.0, 25.0, 3, 2],
        ['', 'Cardiology', 17.5, 20.0, 4, 3],
    ]
