"""Leave and closures: no free slots on their days; booked appointments inside them are rescued (the nearest free
times proposed as one-tap links), cancelled with notice only at the deadline; the admin sees their progress.
And the dashboard's refill figure."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from hms.clock import ManualClock
from hms.db.models import Appointment, Notice, OutboxMessage, RescueCase
from hms.domain.enums import AppointmentStatus
from hms.services import action_links, availability, refills, rescue
from hms.services.principal import Principal

from .api_fixtures import People, assert_problem
from .scheduling_fixtures import Clinic, local
from .test_offers import TUESDAY_10, book, cancel

TUESDAY_11 = local(3, 11)
LEAVE = {'first_day': '2026-03-03', 'last_day': '2026-03-03', 'reason': 'Conference'}


def slots_on(clinic: Clinic, doctor: Principal, day: int) -> list[datetime]:
    with clinic.ctx.uow() as uow:
        free = availability.free_slots(uow, clinic.ctx.settings, doctor.user_id)
    return [slot.start for slot in free if slot.start.astimezone(local(1, 0).tzinfo).day == day]


def cases(clinic: Clinic) -> dict[int, RescueCase]:
    with clinic.ctx.uow() as uow:
        return {case.appointment_id: case for case in uow.session.scalars(select(RescueCase))}


def status_of(clinic: Clinic, appointment_id: int) -> AppointmentStatus:
    with clinic.ctx.uow() as uow:
        found = uow.session.get(Appointment, appointment_id)
        assert found is not None
        return AppointmentStatus(found.status)


def test_leave_over_booked_days_rescues_instead_of_cancelling(
    api: TestClient, people: People, clinic: Clinic, clock: ManualClock
) -> None:
    ada = book(clinic, clinic.patient, TUESDAY_10)
    bob = book(clinic, clinic.other_patient, TUESDAY_11)
    assert slots_on(clinic, clinic.doctor, 3)
    created = api.post('/api/doctor/leave', json=LEAVE, headers=people.grey)
    assert created.status_code == 201, created.text
    assert created.json()['stranded'] == 2 and created.json()['reason'] == 'Conference'
    assert slots_on(clinic, clinic.doctor, 3) == []  # the day publishes no free slots
    assert slots_on(clinic, clinic.other_doctor, 3)  # the colleague still works
    assert status_of(clinic, ada) is AppointmentStatus.BOOKED  # not silently cancelled
    found = cases(clinic)
    assert set(found) == {ada, bob} and all(case.state == 'open' for case in found.values())
    assert found[ada].deadline_at == TUESDAY_10  # sooner than 48 hours from now
    assert len(found[ada].proposals) == 3
    proposed = [datetime.fromisoformat(item['start']) for item in found[ada].proposals]
    assert all(start.astimezone(TUESDAY_10.tzinfo).day != 3 for start in proposed)
    with clinic.ctx.uow() as uow:
        notices = uow.session.scalars(select(Notice).where(Notice.user_id == clinic.patient.user_id)).all()
        assert any('not available' in notice.body for notice in notices)
        emails = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.task == rescue.RESCUE_EMAIL_TASK))
        assert sorted(row.kwargs['case_id'] for row in emails) == sorted(case.id for case in found.values())
    listed = api.get('/api/doctor/leave', headers=people.grey).json()
    assert [item['first_day'] for item in listed] == ['2026-03-03']
    assert api.get('/api/doctor/leave', headers=people.shepherd).json() == []

    # Ada takes a proposed time by its one-tap link; Bob does nothing until the deadline.
    settings = clinic.ctx.settings
    with clinic.ctx.uow() as uow:
        message = rescue.rescue_message(uow, settings, found[ada].id)
        assert message is not None
        appointment = uow.session.get(Appointment, ada)
        assert appointment is not None
        links = rescue.rescue_links(settings, found[ada], appointment, rescue.proposals_of(uow, found[ada]))
    for body in (message[1].text, message[1].html):
        assert all(link in body or link.replace('&', '&amp;') in body for link in links)
        assert 'Meredith Grey' in body
    token = links[0].rsplit('/', 1)[1]
    with clinic.ctx.uow() as uow:
        assert action_links.inspect(uow, settings, token).valid
    with clinic.ctx.uow() as uow:
        outcome = action_links.perform(uow, settings, token)
    assert outcome.appointment is not None and outcome.appointment.start == proposed[0]
    assert status_of(clinic, ada) is AppointmentStatus.BOOKED
    with clinic.ctx.uow() as uow:
        assert not action_links.inspect(uow, settings, links[1]).valid  # the appointment changed: superseded
    stranded = {item['appointment_id']: item for item in api.get('/api/admin/stranded', headers=people.admin).json()}
    assert stranded[ada]['state'] == 'rebooked' and stranded[bob]['state'] == 'open'
    assert stranded[bob]['patient_name'] == 'Bob Builder' and stranded[bob]['cause'] == 'leave'
    assert api.get('/api/admin/stranded', headers=people.grey).status_code == 403

    clock.set(TUESDAY_10 + timedelta(minutes=1))  # Bob's deadline (his visit's start, Ada's old one) passed
    with clinic.ctx.uow() as uow:
        assert rescue.cancel_overdue(uow, settings) == (0, 0)  # Ada's case is closed; Bob's deadline is 11:00
    clock.set(TUESDAY_11)
    with clinic.ctx.uow() as uow:
        assert rescue.cancel_overdue(uow, settings) == (1, 0)
    assert status_of(clinic, bob) is AppointmentStatus.CANCELLED
    assert cases(clinic)[bob].state == 'cancelled'
    with clinic.ctx.uow() as uow:
        told = uow.session.scalars(select(Notice).where(Notice.user_id == clinic.other_patient.user_id)).all()
        assert any('no new time was chosen' in notice.body for notice in told)


def test_withdrawing_a_leave_ends_its_rescue(api: TestClient, people: People, clinic: Clinic) -> None:
    ada = book(clinic, clinic.patient, TUESDAY_10)
    leave_id = api.post('/api/doctor/leave', json=LEAVE, headers=people.grey).json()['id']
    assert api.delete(f'/api/doctor/leave/{leave_id}', headers=people.shepherd).status_code == 404  # not his
    assert api.delete(f'/api/doctor/leave/{leave_id}', headers=people.grey).status_code == 204
    assert cases(clinic)[ada].state == 'withdrawn'
    assert status_of(clinic, ada) is AppointmentStatus.BOOKED
    assert slots_on(clinic, clinic.doctor, 3)
    assert api.get('/api/doctor/leave', headers=people.grey).json() == []


def test_admin_enters_leave_and_closures(api: TestClient, people: People, clinic: Clinic) -> None:
    leave = api.post(f'/api/admin/doctors/{clinic.other_doctor.user_id}/leave', json=LEAVE, headers=people.admin)
    assert leave.status_code == 201 and leave.json()['doctor_name'] == 'Derek Shepherd'
    assert slots_on(clinic, clinic.other_doctor, 3) == [] and slots_on(clinic, clinic.doctor, 3)
    assert [item['id'] for item in api.get('/api/admin/leave', headers=people.admin).json()] == [leave.json()['id']]
    assert api.post('/api/admin/doctors/999999/leave', json=LEAVE, headers=people.admin).status_code == 404
    assert (
        api.post(f'/api/admin/doctors/{clinic.doctor.user_id}/leave', json=LEAVE, headers=people.grey).status_code
        == 403
    )
    ada = book(clinic, clinic.patient, local(4, 10))
    closure = api.post(
        '/api/admin/closures',
        json={'first_day': '2026-03-04', 'last_day': '2026-03-05', 'reason': 'Holiday'},
        headers=people.admin,
    )
    assert closure.status_code == 201 and closure.json()['stranded'] == 1
    assert slots_on(clinic, clinic.doctor, 4) == [] and slots_on(clinic, clinic.other_doctor, 5) == []
    assert cases(clinic)[ada].closure_id == closure.json()['id']
    listed = api.get('/api/admin/closures', headers=people.admin).json()
    assert [item['reason'] for item in listed] == ['Holiday']
    assert api.post('/api/admin/closures', json=LEAVE, headers=people.grey).status_code == 403
    assert api.delete(f'/api/admin/closures/{closure.json()["id"]}', headers=people.admin).status_code == 204
    assert slots_on(clinic, clinic.doctor, 4) and cases(clinic)[ada].state == 'withdrawn'
    assert api.delete(f'/api/admin/leave/{leave.json()["id"]}', headers=people.admin).status_code == 204


def test_leave_dates_are_checked(api: TestClient, people: People) -> None:
    for body, field in (
        ({**LEAVE, 'first_day': '2026-03-01'}, 'first_day'),
        ({**LEAVE, 'last_day': '2026-03-02'}, 'last_day'),
        ({**LEAVE, 'last_day': '2028-03-02'}, 'last_day'),
    ):
        problem = assert_problem(api.post('/api/doctor/leave', json=body, headers=people.grey), 422)
        assert field in str(problem)
    assert api.post('/api/doctor/leave', json={**LEAVE, 'reason': 'x' * 301}, headers=people.grey).status_code == 422
    assert api.post('/api/doctor/leave', json=LEAVE, headers=people.ada).status_code == 403


def test_refill_summary_counts_freed_slots_booked_again(
    api: TestClient, people: People, clinic: Clinic, clock: ManualClock
) -> None:
    from .test_offers import run_staged

    run_staged(clinic)
    first = book(clinic, clinic.patient, TUESDAY_10)
    book(clinic, clinic.patient, TUESDAY_11)
    cancel(clinic, clinic.patient, first)
    run_staged(clinic)  # recorded as freed (nobody waits: no offer)
    clock.advance(timedelta(minutes=12))
    book(clinic, clinic.other_patient, TUESDAY_10)
    start, end = local(1, 0), local(9, 0)
    with clinic.ctx.uow() as uow:
        summary = refills.refill_summary(uow, start, end)
    assert (summary.freed, summary.refilled, summary.median_minutes, summary.rate) == (1, 1, 12.0, 1.0)
    stats = api.get('/api/admin/stats', params={'from': '2026-03-01', 'to': '2026-03-09'}, headers=people.admin)
    assert stats.status_code == 200, stats.text
    assert stats.json()['refills'] == {'freed': 1, 'refilled': 1, 'rate': 1.0, 'median_minutes': 12.0}


# --- The pages (NiceGUI's simulated user; ``user`` first: it runs main.py) -----------------------------------------


async def test_the_doctor_enters_leave_on_the_availability_page(user: object, clinic: Clinic) -> None:
    from nicegui.testing import User

    from .page_steps import as_doctor, eventually, fill, see

    assert isinstance(user, User)
    book(clinic, clinic.patient, TUESDAY_10)
    await as_doctor(user, clinic)
    await user.open('/doctor/availability')
    await see(user, 'No leave entered.')
    fill(user, '2026-03-03', marker='leave-first')
    fill(user, '2026-03-03', marker='leave-last')
    fill(user, 'Conference', marker='leave-reason')
    user.find(marker='leave-add').click()
    await eventually(lambda: list(cases(clinic)), 'the leave entered and its appointment rescued')
    await see(user, 'Conference', marker='leave-list')
    await see(user, 'its patient is asked to choose a new time', retries=20)
    assert slots_on(clinic, clinic.doctor, 3) == []


async def test_the_admin_sees_closures_leave_and_stranded(user: object, clinic: Clinic) -> None:
    from nicegui.testing import User

    from .page_steps import as_admin, eventually, fill, rows, see

    assert isinstance(user, User)
    book(clinic, clinic.patient, TUESDAY_10)
    await as_admin(user)
    await user.open('/admin/leave')
    await see(user, 'No closures ahead.')
    await see(user, 'No appointment is stranded by a leave or closure.')
    fill(user, '2026-03-03', marker='closure-first')
    fill(user, '2026-03-03', marker='closure-last')
    fill(user, 'Holiday', marker='closure-reason')
    user.find(marker='closure-add').click()
    await eventually(lambda: list(cases(clinic)), 'the closure entered')
    await user.open('/admin/leave')
    await see(user, 'Holiday', marker='closure-list')
    [row] = rows(user, 'stranded-table')
    assert row['patient'] == clinic.patient.name and row['state'] == 'Waiting for the patient'


def test_the_rescue_tasks_mail_once_and_cancel_at_the_deadline(
    mail_sink: object, clinic: Clinic, clock: ManualClock
) -> None:
    from hms.db.models import JobRun
    from hms.domain.waitlist import LeaveIn
    from hms.services import leave
    from jobs import rescue as tasks

    ada = book(clinic, clinic.patient, TUESDAY_10)
    with clinic.ctx.uow() as uow:
        leave.add_leave(uow, clinic.ctx.settings, clinic.doctor, LeaveIn.model_validate(LEAVE))
    case_id = cases(clinic)[ada].id
    assert tasks.rescue_email(case_id=case_id) == 'sent'
    assert tasks.rescue_email(case_id=case_id) == 'already sent'
    assert tasks.rescue_deadlines() == {'cancelled': 0, 'closed': 0}
    clock.set(TUESDAY_10)
    assert tasks.rescue_deadlines() == {'cancelled': 1, 'closed': 0}
    assert status_of(clinic, ada) is AppointmentStatus.CANCELLED
    assert tasks.rescue_email(case_id=case_id) == 'nothing to send'
    with clinic.ctx.uow() as uow:
        [run] = uow.session.scalars(select(JobRun).where(JobRun.job == 'rescue-deadlines'))
        assert run.sent == 1
