"""The booking service alone, in this process (SQLite in this thread, no web stack, no broker): CPU per booking and a
pyinstrument profile of it. Books free slots of every doctor, one after another, for changing patients.

    cp -r /path/to/seeded/data /tmp/book-copy     # the bookings stay: profile a copy
    HMS_DATA_DIR=/tmp/book-copy .venv/bin/python -m bench.booking_profile --bookings 300
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import datetime

from pyinstrument import Profiler
from sqlalchemy import select

from hms import context
from hms.config import Settings
from hms.db.models import User
from hms.domain.enums import Role
from hms.domain.errors import DomainError
from hms.domain.scheduling import BookingIn
from hms.services import appointments, availability
from hms.services.principal import Principal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--bookings', type=int, default=300)
    args = parser.parse_args()
    ctx = context.init(Settings())
    with ctx.uow() as uow:
        doctors = list(uow.session.scalars(select(User.id).where(User.role == Role.DOCTOR).order_by(User.id)))
        patients = list(uow.session.scalars(select(User.id).where(User.role == Role.PATIENT).order_by(User.id)))
        plan: list[tuple[int, datetime]] = [
            (doctor, slot.start) for doctor in doctors for slot in availability.free_slots(uow, ctx.settings, doctor)
        ]
    count = min(args.bookings, len(plan))

    def book(number: int) -> str:
        doctor, start = plan[number]
        patient = patients[(number * 7) % len(patients)]
        actor = Principal(patient, Role.PATIENT, 'Patient', f'{patient}@example.com', False)
        with ctx.uow() as uow:
            try:
                appointments.book(uow, ctx.settings, actor, BookingIn(doctor_id=doctor, start=start, reason=''))
            except DomainError as refused:
                return type(refused).__name__
        return 'booked'

    book(0)  # warm: statement caches, connections
    profiler = Profiler(interval=0.0002)
    started = time.process_time()
    profiler.start()
    outcomes = Counter(book(number) for number in range(1, count))
    profiler.stop()
    cpu_ms = (time.process_time() - started) * 1000 / max(count - 1, 1)
    print(profiler.output_text(unicode=False, color=False))
    print(f'{count - 1} bookings, {dict(outcomes)}; CPU per booking (with the profiler): {cpu_ms:.1f} ms')


if __name__ == '__main__':
    main()
