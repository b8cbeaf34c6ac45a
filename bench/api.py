"""API throughput and latency under concurrent clients, each endpoint next to the bare /api/health baseline, and the
booking race (many clients, the same few slots)."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from hms.seed import DEPARTMENTS, LAST_NAMES

from .data import DEMO_PASSWORD, Accounts
from .load import Call, drive, sign_in_many
from .measure import Summary, cpu_per_request
from .profile import Recordings as Recording
from .server import ADMIN_EMAIL, ADMIN_PASSWORD
from .slots import partition, race_targets

BASELINE = 'baseline GET /api/health'
BOOKING = 'booking (distinct free slots)'


@dataclass
class Tokens:
    admin: str
    readers: list[str]  # one signed-in patient per client: search, slots, history


@dataclass(frozen=True)
class RaceResult:
    clients: int
    slots: int
    accepted_per_slot: list[int]
    rejected: int
    server_errors: int
    status_counts: dict[int, int]

    @property
    def ok(self) -> bool:
        return all(count == 1 for count in self.accepted_per_slot) and self.server_errors == 0


class Patients:
    """Hands out patients not used before in this bench run (bookings use a fresh patient each: per-patient limits
    and overlaps never turn a booking away)."""

    def __init__(self, accounts: Accounts, rng: random.Random) -> None:
        self._pool = [email for email, _ in accounts.patients]
        rng.shuffle(self._pool)

    def take(self, count: int) -> list[str]:
        if count > len(self._pool):
            raise RuntimeError(f'not enough demo patients left ({len(self._pool)} for {count})')
        taken, self._pool = self._pool[:count], self._pool[count:]
        return taken


async def sign_in_readers(http: httpx.AsyncClient, patients: Patients, clients: int) -> Tokens:
    admin = (await sign_in_many(http, [ADMIN_EMAIL], ADMIN_PASSWORD))[0]
    readers = await sign_in_many(http, patients.take(clients), DEMO_PASSWORD)
    return Tokens(admin, readers)


def _spread(calls: Sequence[Call], clients: int) -> list[list[Call]]:
    return partition(list(calls), clients)


def read_plans(tokens: Tokens, accounts: Accounts, clients: int, requests: int, rng: random.Random) -> dict[str, Any]:
    """The read scenarios: name -> one list of calls per client (``requests`` calls in all)."""
    terms = [name.lower()[:4] for name in LAST_NAMES] + [name.split()[0] for name, _ in DEPARTMENTS]
    doctor_ids = [doctor_id for _, doctor_id in accounts.doctors]

    def per_client(make: Any) -> list[list[Call]]:
        return [
            [make(index, tokens.readers[index]) for _ in range(max(1, requests // clients))] for index in range(clients)
        ]

    return {
        BASELINE: per_client(lambda i, t: Call('GET', '/api/health')),
        'doctor search': per_client(lambda i, t: Call('GET', f'/api/doctors?q={rng.choice(terms)}', t)),
        'free slots of a doctor': per_client(
            lambda i, t: Call('GET', f'/api/doctors/{rng.choice(doctor_ids)}/slots', t)
        ),
        "patient's history": per_client(lambda i, t: Call('GET', '/api/patient/history', t)),
        'departments': per_client(lambda i, t: Call('GET', '/api/departments', t)),
        'doctors (list)': per_client(lambda i, t: Call('GET', '/api/doctors', t)),
        'admin stats (last 30 days)': per_client(lambda i, t: Call('GET', '/api/admin/stats', tokens.admin)),
    }


async def free_slots(http: httpx.AsyncClient, token: str, doctor_ids: Sequence[int]) -> list[tuple[int, str]]:
    """Every free (doctor, start) within the booking horizon."""
    found: list[tuple[int, str]] = []
    for doctor_id in doctor_ids:
        response = await http.get(f'/api/doctors/{doctor_id}/slots', headers={'Authorization': f'Bearer {token}'})
        response.raise_for_status()
        found.extend((doctor_id, slot['start']) for slot in response.json())
    return found


async def booking_plans(
    http: httpx.AsyncClient,
    tokens: Tokens,
    accounts: Accounts,
    patients: Patients,
    clients: int,
    requests: int,
    rng: random.Random,
    reserve: int,
) -> tuple[list[list[Call]], list[tuple[int, str]]]:
    """Distinct free slots dealt among the clients, each booked by its own fresh patient; the slots left over (at
    least ``reserve`` are kept for the race: a reused data folder runs out of free slots after many runs)."""
    slots = await free_slots(http, tokens.readers[0], [doctor_id for _, doctor_id in accounts.doctors])
    rng.shuffle(slots)
    per_client = max(1, requests // clients)
    dealt = partition(slots[: max(0, len(slots) - reserve)], clients, per_part=per_client)
    used = sum(len(part) for part in dealt)
    booking_tokens = iter(await sign_in_many(http, patients.take(used), DEMO_PASSWORD))
    plans = [
        [
            Call('POST', '/api/appointments', next(booking_tokens), {'doctor_id': d, 'start': s, 'reason': 'Bench'})
            for d, s in part
        ]
        for part in dealt
    ]
    return plans, slots[used:]


async def race(
    http: httpx.AsyncClient, spare_slots: Sequence[tuple[int, str]], patients: Patients, clients: int, slot_count: int
) -> RaceResult:
    """``clients`` patients released at the same moment at ``slot_count`` slots: exactly one booking each."""
    chosen = list(spare_slots[:slot_count])
    if len(chosen) < slot_count:
        raise RuntimeError('not enough free slots left for the booking race')
    tokens = await sign_in_many(http, patients.take(clients), DEMO_PASSWORD)
    targets = race_targets(clients, chosen)
    plans = [
        [Call('POST', '/api/appointments', token, {'doctor_id': d, 'start': s, 'reason': 'Race'}, tag=(d, s))]
        for token, (d, s) in zip(tokens, targets, strict=True)
    ]
    outcome = await drive(http, plans, together=True)
    accepted = Counter(tag for tag, status in outcome.statuses if status == 201)
    statuses = Counter(status for _, status in outcome.statuses)
    return RaceResult(
        clients=clients,
        slots=slot_count,
        accepted_per_slot=[accepted.get(slot, 0) for slot in chosen],
        rejected=sum(count for status, count in statuses.items() if 400 <= status < 500),
        server_errors=sum(count for status, count in statuses.items() if status == 0 or status >= 500),
        status_counts=dict(statuses),
    )


Cpu = Callable[[], dict[str, float]]
Settle = Callable[[int, float], Awaitable[None]]


async def _measured(
    http: httpx.AsyncClient,
    plans: list[list[Call]],
    cpu: Cpu,
    settle: Settle | None = None,
    profile: Callable[[], Recording] | None = None,
) -> Summary:
    """Run the plans; CPU per request of each process, from process totals read before and after. ``settle`` waits,
    inside the timed CPU window, for the work the requests left behind (the confirmations a booking queues)."""
    recording = profile() if profile is not None else None
    before = cpu()
    started = time.time()
    outcome = await drive(http, plans)
    summary = outcome.summary()
    if settle is not None:
        await settle(sum(1 for _, status in outcome.statuses if status == 201), started)
    per_part = cpu_per_request(before, cpu(), summary.requests)
    if recording is not None:
        recording.stop()
    return replace(summary, server_cpu_ms=per_part.get('web', math.nan), cpu_ms=per_part)


def _named(profile: Callable[[str], Recording] | None, name: str) -> Callable[[], Recording] | None:
    return (lambda: profile(name)) if profile is not None else None


async def throughput(
    http: httpx.AsyncClient,
    accounts: Accounts,
    patients: Patients,
    clients: int,
    requests: int,
    rng: random.Random,
    cpu: Cpu,
    reserve: int = 0,
    settle: Settle | None = None,
    bookings_only: bool = False,
    profile: Callable[[str], Recording] | None = None,
) -> tuple[dict[str, Summary], list[tuple[int, str]]]:
    """One round of every scenario (the baseline first); the free slots no booking used, for the race."""
    tokens = await sign_in_readers(http, patients, clients)
    results: dict[str, Summary] = {}
    for name, plans in read_plans(tokens, accounts, clients, requests, rng).items():
        if bookings_only and name != BASELINE:
            continue
        await drive(http, [plan[:1] for plan in plans])  # warm-up: connections, first imports, first cache fill
        results[name] = await _measured(http, plans, cpu, profile=_named(profile, name))
    plans, spare = await booking_plans(http, tokens, accounts, patients, clients, requests, rng, reserve)
    results[BOOKING] = await _measured(http, plans, cpu, settle, profile=_named(profile, BOOKING))
    return results, spare
