"""Background jobs on the real worker: reminders for a day of 5 000 booked appointments (mail to the local SMTP
sink), the monthly report of every doctor, and a CSV export of about 100 000 rows. Wall time and rows per second."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from hms import clock
from hms.context import AppContext
from hms.db.models import Appointment, Delivery
from hms.domain.enums import AppointmentStatus, DeliveryStatus

from .data import Accounts

POLL_S = 0.25
JOB_LIMIT_S = 900.0


async def confirmations_sent(ctx: AppContext, booked: int, since: float, limit_s: float = 120.0) -> None:
    """Wait until the confirmation of each of ``booked`` bookings made since ``since`` (epoch seconds) was sent by the
    worker (or ``limit_s`` passed): a booking's CPU then includes handing its email over and sending it."""
    started_at = datetime.fromtimestamp(since, UTC)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with ctx.uow() as uow:
            sent = uow.session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(
                    Delivery.kind == 'confirmation',
                    Delivery.created_at >= started_at,
                    Delivery.status == DeliveryStatus.SENT,
                )
            )
        if (sent or 0) >= booked:
            return
        await asyncio.sleep(POLL_S)
    print(f'bench: only some of {booked} confirmations were sent within {limit_s:.0f} s', flush=True)


def _row(what: str, rows: int, wall_s: float, **extra: Any) -> dict[str, Any]:
    return {'what': what, 'rows': rows, 'wall_s': wall_s, 'rows_per_s': rows / wall_s if wall_s else None, **extra}


def _empty_day(ctx: AppContext, first: date) -> date:
    """The first day from ``first`` on without any appointment (a reused data folder keeps earlier bench days)."""
    zone = ctx.settings.zone
    day = first
    with ctx.uow() as uow:
        while True:
            start = datetime.combine(day, day_time(0), tzinfo=zone).astimezone(UTC)
            taken = uow.session.scalar(
                select(func.count())
                .select_from(Appointment)
                .where(Appointment.start_at >= start, Appointment.start_at < start + timedelta(days=1))
            )
            if not taken:
                return day
            day += timedelta(days=1)


def book_day(ctx: AppContext, accounts: Accounts, count: int) -> date:
    """``count`` booked appointments on one otherwise empty day two months ahead (outside the booking horizon, so
    they change no free slot the other benchmarks read), spread over the doctors and patients by bulk insert."""
    zone = ctx.settings.zone
    day = _empty_day(ctx, clock.now().astimezone(zone).date() + timedelta(days=60))
    doctors = [doctor_id for _, doctor_id in accounts.doctors]
    patients = [patient_id for _, patient_id in accounts.patients]
    per_doctor = -(-count // len(doctors))
    step = max(1, min(15, 1440 // per_doctor))  # minutes between one doctor's appointments
    midnight = datetime.combine(day, day_time(0), tzinfo=zone).astimezone(UTC)
    now = clock.now()
    rows = []
    for index in range(count):
        doctor, slot = doctors[index % len(doctors)], index // len(doctors)
        start = midnight + timedelta(minutes=slot * step)
        rows.append(
            {
                'doctor_id': doctor,
                'patient_id': patients[index % len(patients)],
                'start_at': start,
                'end_at': start + timedelta(minutes=step),
                'status': AppointmentStatus.BOOKED,
                'reason': '',
                'created_at': now,
                'updated_at': now,
                'booked_by_id': patients[index % len(patients)],
                'sequence': 0,
            }
        )
    with ctx.uow() as uow:
        uow.session.execute(insert(Appointment), rows)
        uow.commit()
    return day


def _finished_reminders(ctx: AppContext, day: date) -> tuple[int, int]:
    with ctx.uow() as uow:
        rows = uow.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.key.like(f'reminder:{day.isoformat()}:%'))
            .group_by(Delivery.status)
        ).all()
    counts = {DeliveryStatus(status): count for status, count in rows}
    return counts.get(DeliveryStatus.SENT, 0), counts.get(DeliveryStatus.FAILED, 0)


def reminders(ctx: AppContext, accounts: Accounts, count: int) -> dict[str, Any]:
    """Book ``count`` appointments on a free day, start hms.daily_reminders for it on the worker, and wait until every
    reminder was sent (or failed for good)."""
    from jobs.celery_app import create_celery

    day = book_day(ctx, accounts, count)
    celery = create_celery(ctx.settings)
    started = time.perf_counter()
    celery.send_task('hms.daily_reminders', kwargs={'day': day.isoformat()})
    sent = failed = 0
    while time.perf_counter() - started < JOB_LIMIT_S:
        sent, failed = _finished_reminders(ctx, day)
        if sent + failed >= count:
            break
        time.sleep(POLL_S)
    wall = time.perf_counter() - started
    celery.close()
    return _row(f'reminders for one day ({count:,} booked)', sent, wall, failed=failed, complete=sent + failed >= count)


async def _poll(http: httpx.AsyncClient, path: str, headers: dict[str, str], done: set[str]) -> dict[str, Any]:
    deadline = time.perf_counter() + JOB_LIMIT_S
    while True:
        response = await http.get(path, headers=headers)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if body['status'] in done or time.perf_counter() > deadline:
            return body
        await asyncio.sleep(POLL_S)


async def monthly_report(http: httpx.AsyncClient, admin_token: str, today: date) -> dict[str, Any]:
    """'Run now' of the previous month's reports (rerun: every doctor and the admin get one again)."""
    headers = {'Authorization': f'Bearer {admin_token}'}
    month = (today.replace(day=1) - timedelta(days=1)).strftime('%Y-%m')
    started = time.perf_counter()
    response = await http.post(f'/api/admin/jobs/monthly-reports/run?month={month}&rerun=true', headers=headers)
    response.raise_for_status()
    run = await _poll(http, f'/api/admin/jobs/runs/{response.json()["id"]}', headers, {'done', 'failed'})
    wall = time.perf_counter() - started
    return _row(
        f'monthly reports {month} (HTML + PDF, one per doctor + admin)',
        run['sent'],
        wall,
        failed=run['failed'],
        status=run['status'],
    )


def export_period(ctx: AppContext, wanted: int, today: date) -> tuple[date, date, int]:
    """The most recent period, ending today, that holds at least ``wanted`` appointments (or all of them)."""
    zone = ctx.settings.zone
    with ctx.uow() as uow:
        first_start = uow.session.scalar(select(func.min(Appointment.start_at)))
        earliest = first_start.astimezone(zone).date() if first_start else today
        days = 7
        while True:
            first = max(earliest, today - timedelta(days=days - 1))
            start = datetime.combine(first, day_time(0), tzinfo=zone).astimezone(UTC)
            end = datetime.combine(today + timedelta(days=1), day_time(0), tzinfo=zone).astimezone(UTC)
            found = (
                uow.session.scalar(
                    select(func.count())
                    .select_from(Appointment)
                    .where(Appointment.start_at >= start, Appointment.start_at < end)
                )
                or 0
            )
            if found >= wanted or first == earliest:
                return first, today, found
            days = int(days * max(1.1, min(4.0, wanted / max(found, 1))))


async def export(http: httpx.AsyncClient, ctx: AppContext, admin_token: str, wanted: int, today: date) -> dict:
    """POST /api/exports of the appointments of a period with about ``wanted`` rows; until the worker is done."""
    headers = {'Authorization': f'Bearer {admin_token}'}
    first, last, _ = export_period(ctx, wanted, today)
    started = time.perf_counter()
    response = await http.post(
        '/api/exports',
        json={'kind': 'appointments', 'from': first.isoformat(), 'to': last.isoformat()},
        headers=headers,
    )
    response.raise_for_status()
    body = await _poll(http, f'/api/exports/{response.json()["id"]}', headers, {'done', 'failed'})
    wall = time.perf_counter() - started
    return _row(f'CSV export of appointments {first}..{last}', body.get('rows') or 0, wall, status=body['status'])
