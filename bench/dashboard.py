"""How long the admin dashboard's aggregation takes on the current database (no cache), per filter.

    HMS_DATA_DIR=/path/to/seeded/data .venv/bin/python -m bench.dashboard --runs 5

Prints a markdown table of median and worst times over the runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import func, select

from hms import clock, context
from hms.config import Settings
from hms.db.models import Appointment, User
from hms.domain.enums import Role
from hms.services import stats
from hms.services.principal import Principal
from hms.services.stats import StatsQuery


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    ctx = context.init(settings)
    with ctx.uow() as uow:
        admin = uow.users.first_with_role(Role.ADMIN)
        some_doctor = uow.session.scalar(select(User.id).where(User.role == Role.DOCTOR).order_by(User.id).limit(1))
        appointments = uow.session.scalar(select(func.count()).select_from(Appointment))
    assert admin is not None
    principal = Principal(admin.id, Role.ADMIN, admin.name, admin.email, False)
    today = clock.now().astimezone(settings.zone).date()
    cases = {
        'last 7 days': StatsQuery.preset('last7', today),
        'last 30 days': StatsQuery.preset('last30', today),
        'last 90 days': StatsQuery.preset('last90', today),
        'last 30 days, one doctor': StatsQuery.preset('last30', today, doctor_id=some_doctor),
    }
    print(f'{appointments:,} appointments, {args.runs} runs each, database: {settings.effective_database_url}\n')
    print('| filter | median ms | max ms |')
    print('|---|---:|---:|')
    for name, query in cases.items():
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            with ctx.uow() as uow:
                stats.dashboard(uow, settings, principal, query)
            times.append((time.perf_counter() - started) * 1000)
        print(f'| {name} | {statistics.median(times):.0f} | {max(times):.0f} |')


if __name__ == '__main__':
    main()
