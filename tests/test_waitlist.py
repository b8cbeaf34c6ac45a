"""The waitlist through the API: joining (exactly one of doctor and department, sane dates, times of day), listing,
leaving one's own entry only; offers listed, accepted into a booking and declined; the jobs' schedule."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from hms.services import refills

from .api_fixtures import People, assert_problem
from .scheduling_fixtures import Clinic
from .test_offers import TUESDAY_10, book, cancel, held, join, run_staged


def entry(clinic: Clinic, **fields: Any) -> dict[str, Any]:
    return {'doctor_id': clinic.doctor.user_id, 'first_day': '2026-03-03', 'last_day': '2026-03-04', **fields}


def test_join_list_and_leave(api: TestClient, people: People, clinic: Clinic) -> None:
    created = api.post('/api/patient/waitlist', json=entry(clinic, times=['evening', 'morning']), headers=people.bob)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body['doctor_name'] == 'Meredith Grey' and body['department_name'] == 'Cardiology'
    assert body['times'] == ['morning', 'evening'] and body['state'] == 'waiting'
    by_department = api.post(
        '/api/patient/waitlist',
        json={'department_id': clinic.department_id, 'first_day': '2026-03-02', 'last_day': '2026-03-20'},
        headers=people.bob,
    )
    assert by_department.status_code == 201 and by_department.json()['doctor_id'] is None
    listed = api.get('/api/patient/waitlist', headers=people.bob).json()
    assert [item['id'] for item in listed] == [body['id'], by_department.json()['id']]
    assert api.get('/api/patient/waitlist', headers=people.ada).json() == []  # Ada sees only her own
    assert api.delete(f'/api/patient/waitlist/{body["id"]}', headers=people.ada).status_code == 404
    assert api.delete(f'/api/patient/waitlist/{body["id"]}', headers=people.bob).status_code == 204
    assert api.delete(f'/api/patient/waitlist/{body["id"]}', headers=people.bob).status_code == 404
    assert [item['id'] for item in api.get('/api/patient/waitlist', headers=people.bob).json()] == [
        by_department.json()['id']
    ]


def test_join_refuses_bad_entries_with_field_errors(api: TestClient, people: People, clinic: Clinic) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({**entry(clinic), 'department_id': clinic.department_id}, 'doctor_id'),  # both
        ({'first_day': '2026-03-03', 'last_day': '2026-03-04'}, 'department_id'),  # neither
        (entry(clinic, doctor_id=999_999), 'doctor_id'),
        (entry(clinic, first_day='2026-03-01'), 'first_day'),  # yesterday
        (entry(clinic, last_day='2026-03-02'), 'last_day'),  # before the first day
        (entry(clinic, last_day='2026-09-30'), 'last_day'),  # half a year
    ]
    for body, field in cases:
        response = api.post('/api/patient/waitlist', json=body, headers=people.bob)
        problem = assert_problem(response, 422)
        assert field in problem.get('errors', {}) or field in str(problem), (body, problem)
    for body in (entry(clinic, times=['night']), entry(clinic, first_day='not a day'), entry(clinic, doctor_id=-1)):
        assert api.post('/api/patient/waitlist', json=body, headers=people.bob).status_code == 422
    assert api.post('/api/patient/waitlist', json=entry(clinic), headers=people.grey).status_code == 403
    assert api.post('/api/patient/waitlist', json=entry(clinic)).status_code == 401


def test_offer_through_the_api(api: TestClient, people: People, clinic: Clinic) -> None:
    run_staged(clinic)
    taken = book(clinic, clinic.patient)
    assert api.post('/api/patient/waitlist', json=entry(clinic), headers=people.bob).status_code == 201
    cancel(clinic, clinic.patient, taken)
    assert run_staged(clinic) == [refills.SLOT_FREED_TASK]
    [offer] = api.get('/api/patient/offers', headers=people.bob).json()
    assert offer['state'] == 'held' and offer['doctor_name'] == 'Meredith Grey'
    assert api.get('/api/patient/offers', headers=people.ada).json() == []
    assert api.post(f'/api/patient/offers/{offer["id"]}/accept', headers=people.ada).status_code == 404
    free = api.get(f'/api/doctors/{clinic.doctor.user_id}/slots', headers=people.ada).json()
    assert TUESDAY_10.isoformat() not in [slot['start'] for slot in free]  # held: not listed as free
    accepted = api.post(f'/api/patient/offers/{offer["id"]}/accept', headers=people.bob)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()['patient_id'] == clinic.other_patient.user_id
    assert_problem(api.post(f'/api/patient/offers/{offer["id"]}/decline', headers=people.bob), 409, 'accepted')
    assert held(clinic) == []


def test_decline_through_the_api(api: TestClient, people: People, clinic: Clinic) -> None:
    run_staged(clinic)
    taken = book(clinic, clinic.patient)
    api.post('/api/patient/waitlist', json=entry(clinic), headers=people.bob)
    cancel(clinic, clinic.patient, taken)
    run_staged(clinic)
    [offer] = api.get('/api/patient/offers', headers=people.bob).json()
    declined = api.post(f'/api/patient/offers/{offer["id"]}/decline', headers=people.bob)
    assert declined.status_code == 200 and declined.json()['state'] == 'declined'
    assert api.post(f'/api/patient/offers/{offer["id"]}/accept', headers=people.bob).status_code == 409


def test_the_beat_runs_the_sweeps() -> None:
    from hms.config import Settings
    from jobs.celery_app import TASK_MODULES
    from jobs.schedule import beat_schedule

    schedule = beat_schedule(Settings(_env_file=None))
    assert schedule['waitlist-sweep']['task'] == 'hms.waitlist_sweep'
    assert schedule['rescue-deadlines']['task'] == 'hms.rescue_deadlines'
    assert {'jobs.waitlist', 'jobs.rescue'} <= set(TASK_MODULES)


# --- The pages (NiceGUI's simulated user; ``user`` first: it runs main.py) -----------------------------------------


async def test_the_waitlist_page_offers_a_freed_time_to_accept(user: Any, clinic: Clinic) -> None:
    from .page_steps import as_patient, eventually, fill, see

    run_staged(clinic)
    taken = book(clinic, clinic.patient)
    await as_patient(user, 'bob@example.com')
    await user.open(f'/patient/doctors/{clinic.doctor.user_id}')
    await see(user, marker='join-waitlist-link')  # the doctor's page offers the waiting list
    await user.open(f'/patient/waitlist?doctor={clinic.doctor.user_id}')
    await see(user, 'No time is offered to you right now.')
    fill(user, '2026-03-04', label='Until')
    user.find(marker='join-waitlist').click()
    await eventually(lambda: _entries_of_bob(clinic), 'Bob on the waiting list')
    await see(user, marker=f'entry-{_entries_of_bob(clinic)[0]}')
    cancel(clinic, clinic.patient, taken)
    run_staged(clinic)
    [offer] = held(clinic)
    await see(user, marker=f'offer-{offer.id}')  # pushed to the open page: no reload
    user.find(marker=f'accept-{offer.id}').click()
    await eventually(lambda: held(clinic) == [], 'the offer accepted')
    await see(user, 'Upcoming')  # the booking, on My appointments


def _entries_of_bob(clinic: Clinic) -> list[int]:
    from hms.services import waitlist

    with clinic.ctx.uow() as uow:
        return [entry.id for entry in waitlist.my_entries(uow, clinic.ctx.settings, clinic.other_patient)]


def test_the_tasks_offer_mail_once_and_the_sweep_is_a_job_run(mail_sink: Any, clinic: Clinic, clock: Any) -> None:
    """The Celery tasks called as the worker calls them: the freed slot offered, its email sent once (a delivery
    claimed by key, shown on the Jobs page), the sweep's expiries recorded as a run of 'waitlist-offers'."""
    from datetime import timedelta

    from sqlalchemy import select

    from hms.db.models import Delivery, JobRun
    from jobs import waitlist as tasks

    run_staged(clinic)
    taken = book(clinic, clinic.patient)
    join(clinic, clinic.other_patient)
    cancel(clinic, clinic.patient, taken)
    with clinic.ctx.uow() as uow:
        from hms.db.models import OutboxMessage

        [row] = uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.task == refills.SLOT_FREED_TASK, OutboxMessage.dispatched_at.is_(None)
            )
        ).all()
        kwargs = dict(row.kwargs)
    offer_id = tasks.slot_freed(**kwargs)
    assert offer_id is not None and tasks.slot_freed(**kwargs) is None  # a second delivery offers nothing more
    assert tasks.offer_email(offer_id=offer_id) == 'sent'
    assert tasks.offer_email(offer_id=offer_id) == 'already sent'
    with clinic.ctx.uow() as uow:
        [delivery] = uow.session.scalars(select(Delivery).where(Delivery.key == f'waitlist-offer:{offer_id}:email'))
        assert delivery.recipient == clinic.other_patient.email and delivery.kind == 'waitlist'
    assert tasks.waitlist_sweep() == {'expired': 0, 'offered': 0}
    clock.advance(timedelta(minutes=31))
    assert tasks.waitlist_sweep() == {'expired': 1, 'offered': 0}
    with clinic.ctx.uow() as uow:
        [run] = uow.session.scalars(select(JobRun).where(JobRun.job == 'waitlist-offers'))
        assert run.status == 'done' and run.detail == {'expired': 1, 'offered': 0}


def test_the_offer_link_through_the_api(api: TestClient, clinic: Clinic) -> None:
    """GET reads the offer and changes nothing (mail scanners); POST books it; a second POST is refused."""
    from hms.services import offers

    run_staged(clinic)
    taken = book(clinic, clinic.patient)
    join(clinic, clinic.other_patient)
    cancel(clinic, clinic.patient, taken)
    run_staged(clinic)
    [offer] = held(clinic)
    token = offers.offer_link(clinic.ctx.settings, offer).rsplit('/', 1)[1]
    for _ in range(2):
        read = api.get(f'/api/links/{token}')
        assert read.status_code == 200, read.text
        assert read.json()['action'] == 'offer' and read.json()['valid'] is True
    assert held(clinic) != []  # reading held nothing up
    used = api.post(f'/api/links/{token}')
    assert used.status_code in (200, 201), used.text
    assert held(clinic) == []
    assert api.post(f'/api/links/{token}').status_code == 409
    assert api.get(f'/api/links/{token}').json()['valid'] is False


async def test_a_page_left_while_its_offers_were_read_draws_nothing(monkeypatch: Any) -> None:
    """A live change read the offers while the patient left the page: nothing is drawn on the gone page (NiceGUI
    would raise 'The client this element belongs to has been deleted')."""
    from types import SimpleNamespace

    from pages.patient import waitlist as waitlist_page

    class LeavingBox:  # there when the reload starts, gone once the offers are read
        is_deleted = False
        reads = 0

        @property
        def client(self) -> Any:
            if LeavingBox.reads:
                raise RuntimeError('The client this element belongs to has been deleted.')
            return SimpleNamespace(is_deleted=False)

    async def read(service: Any, *args: Any) -> list[Any]:
        LeavingBox.reads += 1
        return []

    monkeypatch.setattr(waitlist_page, 'call', read)
    page = waitlist_page._WaitlistPage.__new__(waitlist_page._WaitlistPage)
    page.offers_box, page.principal, page.reloading = LeavingBox(), None, True  # type: ignore[assignment]
    drawn: list[str] = []
    monkeypatch.setattr(page, '_show_offers', lambda found: drawn.append('offers'), raising=False)
    await page.reload()
    assert LeavingBox.reads == 2 and drawn == [] and page.reloading is False
