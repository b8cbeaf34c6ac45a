"""The month's reports spread over the worker's processes: the coordinator and its helpers walk the recipients from
different places, each report goes to whoever claims it first (once in all), and the coordinator counts in its run the
reports its helpers were still building when it got through the list."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from email.message import EmailMessage

import redis

from hms import context
from hms.services import reports
from hms.services.reports import Month
from jobs import reports as report_tasks

from .scheduling_fixtures import Clinic


def test_each_report_goes_once_to_whoever_claims_it_first(clinic: Clinic) -> None:
    ctx = clinic.ctx
    month = Month.parse('2026-02')
    everyone = [recipient.email for recipient in _recipients(ctx)]
    helper_sent: list[EmailMessage] = []
    told: dict[str, str | None] = {}

    def claiming(key: str) -> Callable[[str | None], None]:
        told[key] = 'claiming'
        return lambda outcome: told.__setitem__(key, outcome)

    helper = reports.send_reports(ctx.uow, ctx.settings, month, helper_sent.append, start=1, claiming=claiming)
    assert [str(email['To']).split('<')[-1].rstrip('>') for email in helper_sent] == everyone[1:] + everyone[:1]
    assert helper.sent == len(everyone) and set(told.values()) == {'sent'}
    coordinator_sent: list[EmailMessage] = []
    again = reports.send_reports(ctx.uow, ctx.settings, month, coordinator_sent.append)
    assert coordinator_sent == [] and again.skipped == len(everyone)  # nothing twice


def _recipients(ctx: context.AppContext) -> list[reports.Recipient]:
    with ctx.uow() as uow:
        return reports.recipients(uow)


def test_the_coordinator_counts_what_its_helpers_finish_and_leaves_others_in_flight(
    clinic: Clinic, redis_url: str
) -> None:
    context.init(clinic.ctx.settings.model_copy(update={'redis_url': redis_url}))
    run_id = 4242
    progress = report_tasks.PROGRESS_KEY.format(run_id=run_id)
    client = redis.Redis.from_url(redis_url)
    client.hset(progress, mapping={'done': 'sent', 'busy': report_tasks.CLAIMING, 'given-up': 'failed'})
    client.hset(progress, 'finished-early', 'sent')  # a helper finished it before the coordinator got there
    keys = ['done', 'busy', 'given-up', 'dead-worker']
    tally = reports.Tally(
        skipped=6, in_flight=4, in_flight_keys=list(keys), skipped_keys=[*keys, 'finished-early', 'sent-last-week']
    )

    def helper_finishes_later() -> None:
        time.sleep(0.5)
        client.hset(progress, 'busy', 'pending:7')

    finisher = threading.Thread(target=helper_finishes_later)
    finisher.start()
    report_tasks.count_helpers_work(run_id, tally, limit_s=30)
    finisher.join()
    assert (tally.sent, tally.failed, tally.pending) == (2, 1, [7])
    assert (tally.in_flight, tally.in_flight_keys) == (1, ['dead-worker'])  # another's claim: for the follow-up
    assert (tally.skipped, tally.skipped_keys) == (2, ['dead-worker', 'sent-last-week'])
    client.close()
