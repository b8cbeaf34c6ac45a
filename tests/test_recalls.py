"""Recalls from the next-visit dates doctors record: the desk's list (due, overdue, booked), the recall email (HTML
and text, nothing clinical) and the daily run that sends each reminder exactly once, also across a worker that died
after claiming one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from nicegui.testing import User
from sqlalchemy import select

from hms import context
from hms.clock import ManualClock
from hms.context import AppContext
from hms.db.models import Delivery, Treatment
from hms.domain.enums import AppointmentStatus, Channel, DeliveryStatus
from hms.domain.errors import InvalidInput, NotAllowed
from hms.services import deliveries, job_runs, recalls
from hms.services.recalls import State
from jobs import recalls as recall_jobs
from jobs.schedule import beat_schedule

from .api_fixtures import People, assert_problem, login
from .factories import RECEPTION_PASSWORD, make_receptionist
from .page_steps import see, switch_to
from .peers import Mailbox
from .scheduling_fixtures import Clinic, insert_appointment, local

DIAGNOSIS = 'Hypertension, stage 2'  # never in the list or the message
MONDAY = '2026-03-02'


@dataclass
class Recalls:
    due: int  # Ada with Grey: due on 10 March (within 14 days)
    overdue: int  # Bob with Grey: due on 25 February, nothing booked
    booked: int  # Ada with Shepherd: due on 5 March, booked for 4 March
    later: int  # Bob with Shepherd: due on 30 April (not yet)


def visit_with_recall(clinic: Clinic, doctor_id: int, patient_id: int, day: int, month: int, due: date) -> int:
    appointment_id = insert_appointment(
        clinic, doctor_id, patient_id, local(day, 9, month=month), AppointmentStatus.COMPLETED, diagnosis=DIAGNOSIS
    )
    with clinic.ctx.uow() as uow:
        treatment = uow.session.scalar(select(Treatment).where(Treatment.appointment_id == appointment_id))
        assert treatment is not None
        treatment.next_visit_date = due
        uow.commit()
        return treatment.id


@pytest.fixture
def recall_clinic(clinic: Clinic) -> Recalls:
    grey, shepherd = clinic.doctor.user_id, clinic.other_doctor.user_id
    ada, bob = clinic.patient.user_id, clinic.other_patient.user_id
    made = Recalls(
        due=visit_with_recall(clinic, grey, ada, 10, 2, date(2026, 3, 10)),
        overdue=visit_with_recall(clinic, grey, bob, 4, 2, date(2026, 2, 25)),
        booked=visit_with_recall(clinic, shepherd, ada, 5, 2, date(2026, 3, 5)),
        later=visit_with_recall(clinic, shepherd, bob, 20, 2, date(2026, 4, 30)),
    )
    insert_appointment(clinic, shepherd, ada, local(4, 9), AppointmentStatus.BOOKED)
    return made


def listed(clinic: Clinic, state: str) -> list[int]:
    with clinic.ctx.uow() as uow:
        return [r.treatment_id for r in recalls.recall_list(uow, clinic.ctx.settings, clinic.admin, state)]


def test_the_desk_list_says_due_overdue_and_booked(clinic: Clinic, recall_clinic: Recalls) -> None:
    assert listed(clinic, 'due') == [recall_clinic.due]
    assert listed(clinic, 'overdue') == [recall_clinic.overdue]
    assert listed(clinic, 'booked') == [recall_clinic.booked]
    with clinic.ctx.uow() as uow:
        for actor in (clinic.patient, clinic.doctor):
            with pytest.raises(NotAllowed):
                recalls.recall_list(uow, clinic.ctx.settings, actor, 'due')
        with pytest.raises(InvalidInput):
            recalls.recall_list(uow, clinic.ctx.settings, clinic.admin, 'soon')
    # the window is HMS_RECALL_DAYS_BEFORE: wider, the later recall is due too
    wider = clinic.ctx.settings.model_copy(update={'recall_days_before': 60})
    with clinic.ctx.uow() as uow:
        due = recalls.recall_list(uow, wider, clinic.admin, 'due')
    assert [r.treatment_id for r in due] == [recall_clinic.due, recall_clinic.later]
    assert [r.state for r in due] == [State.DUE, State.DUE]


def test_the_api_lists_recalls_for_the_desk_only(
    clinic: Clinic, recall_clinic: Recalls, api: TestClient, people: People
) -> None:
    desk = make_receptionist(clinic.ctx, clinic.admin)
    headers = login(api, desk.email, RECEPTION_PASSWORD)
    due = api.get('/api/reception/recalls', headers=headers).json()
    assert [(r['treatment_id'], r['due_on'], r['state'], r['doctor_name']) for r in due] == [
        (recall_clinic.due, '2026-03-10', 'due', 'Meredith Grey')
    ]
    assert DIAGNOSIS not in str(due)
    overdue = api.get('/api/reception/recalls', headers=people.admin, params={'state': 'overdue'}).json()
    assert [r['patient_name'] for r in overdue] == ['Bob Builder']
    assert_problem(api.get('/api/reception/recalls', headers=headers, params={'state': 'soon'}), 422)
    assert api.get('/api/reception/recalls', headers=people.grey).status_code == 403
    assert api.get('/api/reception/recalls', headers=people.ada).status_code == 403


def test_the_recall_email_names_the_doctor_the_date_and_a_booking_link(clinic: Clinic, recall_clinic: Recalls) -> None:
    settings = clinic.ctx.settings.model_copy(update={'public_url': 'https://clinic.example'})
    with clinic.ctx.uow() as uow:
        message = recalls.compose(uow, settings, recall_clinic.due, date(2026, 3, 10))
        assert recalls.compose(uow, settings, recall_clinic.booked, date(2026, 3, 5)) is None  # booked already
    assert message is not None
    link = f'https://clinic.example/patient/doctors/{clinic.doctor.user_id}'
    for body in (message.text, message.html):
        assert 'Meredith Grey would like to see you again: your follow-up is due on Tue 10 Mar 2026.' in body
        assert DIAGNOSIS not in body
    assert f'Choose a time that suits you: {link}' in message.text
    assert f'<a href="{link}">Book your follow-up</a>' in message.html
    assert message.subject == 'Time to book your follow-up at Riverside Clinic'
    assert message.to_email == 'ada@example.com'


# --- the daily run ------------------------------------------------------------------------------------------------


@pytest.fixture
def mailing(clinic: Clinic, mailbox: Mailbox) -> Iterator[AppContext]:
    """The clinic's context mailing through the test's SMTP server: the task's worker context."""
    update = {'smtp_host': '127.0.0.1', 'smtp_port': mailbox.port, 'smtp_starttls': False}
    yield context.init(clinic.ctx.settings.model_copy(update=update))


def recall_deliveries(ctx: AppContext) -> list[tuple[str, DeliveryStatus]]:
    with ctx.uow() as uow:
        rows = uow.session.scalars(select(Delivery).where(Delivery.kind == recalls.KIND)).all()
        return [(row.key, DeliveryStatus(row.status)) for row in rows]


def test_the_run_sends_each_recall_once_across_runs_and_a_dead_worker(
    recall_clinic: Recalls, mailing: AppContext, mailbox: Mailbox, clock: ManualClock
) -> None:
    # A worker claimed the recall, then died before sending it (its claim stays pending).
    key = recalls.recall_key(recall_clinic.due, date(2026, 3, 10))
    with mailing.uow() as uow:
        assert deliveries.claim(
            uow, key, kind=recalls.KIND, channel=Channel.EMAIL, recipient='ada@example.com', subject='Recall'
        )
    first = recall_jobs.recall_run.apply(kwargs={'day': MONDAY}).get()
    assert (first['sent'], first['skipped']) == (0, 1)  # fresh: it may still be being sent
    assert mailbox.received() == []
    clock.advance(deliveries.STALE_CLAIM + timedelta(minutes=1))  # nobody sends it: abandoned
    second = recall_jobs.recall_run.apply(kwargs={'day': MONDAY}).get()
    assert (second['sent'], second['skipped']) == (1, 0)
    for _ in range(2):  # the worker restarted, beat runs again, the next day too
        again = recall_jobs.recall_run.apply(kwargs={'day': MONDAY}).get()
        assert (again['sent'], again['skipped']) == (0, 1)
    assert recall_jobs.recall_run.apply(kwargs={'day': '2026-03-03'}).get()['sent'] == 0
    [sent] = mailbox.received()
    assert str(sent['To']) == 'Ada Lovelace <ada@example.com>'
    assert str(sent['Subject']) == 'Time to book your follow-up at Riverside Clinic'
    assert recall_deliveries(mailing) == [(key, DeliveryStatus.SENT)]
    with mailing.uow() as uow:
        runs = job_runs.recent_runs(uow, recalls.JOB)
    assert len(runs) == 5 and {run.status for run in runs} == {'done'}
    assert sorted(run.sent for run in runs) == [0, 0, 0, 0, 1]


def test_the_run_is_on_the_beat_schedule_and_the_jobs_page(clinic: Clinic) -> None:
    entry = beat_schedule(clinic.ctx.settings)['recalls']
    assert entry['task'] == recall_jobs.RECALLS_TASK
    assert recalls.JOB in job_runs.JOBS


async def test_the_desk_page_lists_recalls_by_state(user: User, clinic: Clinic, recall_clinic: Recalls) -> None:
    desk = make_receptionist(clinic.ctx, clinic.admin)
    await switch_to(user, desk.email, RECEPTION_PASSWORD, 'Today at the desk')
    await user.open('/reception/recalls')
    await see(user, marker=f'recall-{recall_clinic.due}')
    await see(user, 'Follow-up due on Tue 10 Mar 2026')
    await see(user, 'Ada Lovelace')
    with user:
        choice = next(iter(user.find(marker='recall-state').elements))
        choice.value = 'overdue'
    await see(user, marker=f'recall-{recall_clinic.overdue}')
    await see(user, 'Bob Builder')
    assert user.client is not None
    texts = ' '.join(str(getattr(e, 'text', '')) for e in user.client.layout.descendants())
    assert DIAGNOSIS not in texts
