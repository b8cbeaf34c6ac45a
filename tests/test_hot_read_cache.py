"""Read-through caching of the hot reads (departments, doctors, one doctor, free slots) over a real Redis: a second
read is a hit with the same body, every change that affects a read expires it, moving time never shows a past slot,
nothing personal is shared, and a Redis outage only costs speed (logged once).

``redis_url`` (or ``dead_redis``) comes first in each signature, so that the context the ``clinic`` fixture builds
uses it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from nicegui.testing import User

from hms.cache import PREFIX, Cache, Codec
from hms.clock import ManualClock
from hms.events import Event, RedisPublisher
from hms.runtime.redis_server import EmbeddedRedis
from hms.services import availability, departments, doctors
from hms.services.views import DepartmentView, SlotView

from .api_fixtures import Headers, People
from .page_steps import see, sign_in_admin
from .redis_server import embedded_redis
from .scheduling_fixtures import WORKING_WEEK, Clinic, local

DEAD_URL = 'unix:///tmp/hms-no-such-redis.sock'


def read(api: TestClient, path: str, headers: Headers, **params: str) -> tuple[Any, str | None]:
    response = api.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json(), response.headers.get('x-cache')


def hit_after_miss(api: TestClient, path: str, headers: Headers, **params: str) -> Any:
    """Read twice: a miss that fills the cache, then a hit with the very same body."""
    first, state = read(api, path, headers, **params)
    assert state == 'MISS', path
    again, state = read(api, path, headers, **params)
    assert state == 'HIT' and again == first, path
    return first


def book(api: TestClient, headers: Headers, doctor_id: int, start: datetime) -> dict[str, Any]:
    response = api.post('/api/appointments', headers=headers, json={'doctor_id': doctor_id, 'start': start.isoformat()})
    assert response.status_code == 201, response.text
    return response.json()


def starts(slots: list[dict[str, Any]]) -> list[str]:
    return [slot['start'] for slot in slots]


# --- Departments --------------------------------------------------------------------------------------------------


def test_the_department_list_is_cached_until_a_department_or_doctor_changes(
    redis_url: str, api: TestClient, people: People
) -> None:
    listed = hit_after_miss(api, '/api/departments', people.ada)
    assert [(d['name'], d['doctor_count']) for d in listed] == [('Cardiology', 2)]
    assert read(api, '/api/departments', people.grey) == (listed, 'HIT')  # the same list for every role

    created = api.post('/api/admin/departments', headers=people.admin, json={'name': 'Neurology', 'description': ''})
    assert created.status_code == 201, created.text
    fresh, state = read(api, '/api/departments', people.ada)
    assert state == 'MISS' and [d['name'] for d in fresh] == ['Cardiology', 'Neurology']

    neuro = created.json()['id']
    renamed = api.patch(f'/api/admin/departments/{neuro}', headers=people.admin, json={'name': 'Neurosurgery'})
    assert renamed.status_code == 200, renamed.text
    hit_after_miss(api, '/api/departments', people.ada)  # the rename expired it ...
    assert [d['name'] for d in read(api, '/api/departments', people.ada)[0]] == ['Cardiology', 'Neurosurgery']

    moved = api.patch(
        f'/api/admin/doctors/{people.clinic.other_doctor.user_id}', headers=people.admin, json={'department_id': neuro}
    )
    assert moved.status_code == 200, moved.text
    fresh, state = read(api, '/api/departments', people.bob)
    assert state == 'MISS' and [d['doctor_count'] for d in fresh] == [1, 1]
    api.patch(
        f'/api/admin/doctors/{people.clinic.other_doctor.user_id}',
        headers=people.admin,
        json={'department_id': people.clinic.department_id},
    )
    assert api.delete(f'/api/admin/departments/{neuro}', headers=people.admin).status_code == 204
    fresh, state = read(api, '/api/departments', people.ada)
    assert state == 'MISS' and [d['name'] for d in fresh] == ['Cardiology']


# --- Doctors: the list, search and one profile --------------------------------------------------------------------


def test_doctor_list_search_and_profile_are_cached_and_follow_every_edit(
    redis_url: str, api: TestClient, people: People
) -> None:
    grey = people.clinic.doctor.user_id
    profile_path = f'/api/doctors/{grey}'
    assert [d['name'] for d in hit_after_miss(api, '/api/doctors', people.ada)] == ['Derek Shepherd', 'Meredith Grey']
    assert [d['name'] for d in hit_after_miss(api, '/api/doctors', people.ada, q='grey')] == ['Meredith Grey']
    assert read(api, '/api/doctors', people.ada, q='shep')[1] == 'MISS'  # each search its own entry
    assert hit_after_miss(api, profile_path, people.ada)['name'] == 'Meredith Grey'

    renamed = api.patch(f'/api/admin/doctors/{grey}', headers=people.admin, json={'name': 'Meredith Grey-Sloan'})
    assert renamed.status_code == 200, renamed.text
    found, state = read(api, '/api/doctors', people.ada, q='grey')
    assert state == 'MISS' and [d['name'] for d in found] == ['Meredith Grey-Sloan']
    profile, state = read(api, profile_path, people.ada)
    assert state == 'MISS' and profile['name'] == 'Meredith Grey-Sloan'

    department = people.clinic.department_id
    assert api.patch(f'/api/admin/departments/{department}', headers=people.admin, json={'name': 'Heart'}).is_success
    found, state = read(api, '/api/doctors', people.ada)
    assert state == 'MISS' and {d['department_name'] for d in found} == {'Heart'}
    assert read(api, profile_path, people.ada)[0]['department_name'] == 'Heart'

    assert api.delete(f'/api/admin/doctors/{grey}', headers=people.admin).status_code == 200
    # The administrator's search with deactivated doctors is its own entry: patients never see those doctors.
    admin_view = api.get('/api/admin/doctors', headers=people.admin, params={'include_inactive': 'true'}).json()
    assert {d['name']: d['is_active'] for d in admin_view} == {'Derek Shepherd': True, 'Meredith Grey-Sloan': False}
    found, state = read(api, '/api/doctors', people.ada)
    assert state == 'MISS' and [d['name'] for d in found] == ['Derek Shepherd']
    assert read(api, '/api/doctors', people.ada, q='grey')[0] == []
    for _ in range(2):  # a 404 is never cached
        gone = api.get(profile_path, headers=people.ada)
        assert gone.status_code == 404 and gone.headers.get('x-cache') is None

    assert api.post(f'/api/admin/users/{grey}/reactivate', headers=people.admin).status_code == 200
    assert [d['name'] for d in read(api, '/api/doctors', people.ada, q='grey')[0]] == ['Meredith Grey-Sloan']
    assert read(api, profile_path, people.ada)[0]['name'] == 'Meredith Grey-Sloan'


def test_a_new_doctor_appears_in_the_cached_list(redis_url: str, api: TestClient, people: People) -> None:
    hit_after_miss(api, '/api/doctors', people.ada)
    new = {
        'name': 'Cristina Yang',
        'email': 'yang@clinic.test',
        'department_id': people.clinic.department_id,
        'consultation_minutes': 30,
        'experience_years': 8,
        'qualifications': 'MD',
        'bio': 'Surgeon',
    }
    assert api.post('/api/admin/doctors', headers=people.admin, json=new).status_code == 201
    found, state = read(api, '/api/doctors', people.ada)
    assert state == 'MISS' and 'Cristina Yang' in [d['name'] for d in found]


# --- Free slots ---------------------------------------------------------------------------------------------------


def test_free_slots_follow_bookings_moves_and_cancellations_for_everyone(
    redis_url: str, api: TestClient, people: People
) -> None:
    grey = people.clinic.doctor.user_id
    path = f'/api/doctors/{grey}/slots'
    day = {'from': '2026-03-03', 'to': '2026-03-03'}
    tuesday_9, tuesday_11 = '2026-03-03T09:00:00+01:00', '2026-03-03T11:00:00+01:00'
    slots = hit_after_miss(api, path, people.ada, **day)
    assert len(slots) == 14 and tuesday_9 in starts(slots)
    assert read(api, path, people.bob, **day) == (slots, 'HIT')  # free slots are the same for everyone

    appointment = book(api, people.ada, grey, local(3, 9))
    seen_by_bob, state = read(api, path, people.bob, **day)
    assert state == 'MISS' and tuesday_9 not in starts(seen_by_bob) and len(seen_by_bob) == 13
    assert read(api, path, people.ada, **day) == (seen_by_bob, 'HIT')

    moved = api.patch(f'/api/appointments/{appointment["id"]}', headers=people.ada, json={'start': tuesday_11})
    assert moved.status_code == 200, moved.text
    after_move, state = read(api, path, people.bob, **day)
    assert state == 'MISS' and tuesday_9 in starts(after_move) and tuesday_11 not in starts(after_move)

    cancelled = api.post(f'/api/appointments/{appointment["id"]}/cancel', headers=people.ada, json={})
    assert cancelled.status_code == 200, cancelled.text
    assert read(api, path, people.bob, **day) == (slots, 'MISS')  # the cancelled slot is free again


def test_free_slots_follow_availability_changes(redis_url: str, api: TestClient, people: People) -> None:
    path = f'/api/doctors/{people.clinic.doctor.user_id}/slots'
    day = {'from': '2026-03-04', 'to': '2026-03-04'}
    assert len(hit_after_miss(api, path, people.ada, **day)) == 14
    day_off = {'weekly': WORKING_WEEK['weekly'], 'overrides': [{'date': '2026-03-04', 'windows': []}]}
    assert api.put('/api/doctor/availability', headers=people.grey, json=day_off).status_code == 200
    assert read(api, path, people.ada, **day) == ([], 'MISS')
    # The doctor search for that day expires too (it depends on free slots).
    names = [d['name'] for d in read(api, '/api/doctors', people.ada, date='2026-03-04')[0]]
    assert names == ['Derek Shepherd']
    mornings = {'weekly': [{'weekday': 2, 'start': '09:00', 'end': '10:00'}], 'overrides': []}
    assert api.put('/api/doctor/availability', headers=people.grey, json=mornings).status_code == 200
    assert starts(read(api, path, people.ada, **day)[0]) == ['2026-03-04T09:00:00+01:00', '2026-03-04T09:30:00+01:00']
    assert read(api, '/api/doctors', people.ada, date='2026-03-04')[1] == 'MISS'


def test_completing_a_visit_or_a_no_show_expires_the_slots(
    redis_url: str, api: TestClient, people: People, clock: ManualClock
) -> None:
    grey = people.clinic.doctor.user_id
    path = f'/api/doctors/{grey}/slots'
    day = {'from': '2026-03-02', 'to': '2026-03-02'}
    first = book(api, people.ada, grey, local(2, 9))
    second = book(api, people.bob, grey, local(2, 9, 30))
    clock.set(local(2, 9, 35))  # both have started; slots from 10:35 on are bookable
    people.relogin()
    slots = hit_after_miss(api, path, people.ada, **day)
    assert starts(slots)[0] == '2026-03-02T11:00:00+01:00'

    visit = {'diagnosis': 'Cold', 'treatment': 'Rest', 'prescription': [], 'tests': '', 'notes': ''}
    done = api.post(f'/api/doctor/appointments/{first["id"]}/complete', headers=people.grey, json=visit)
    assert done.status_code == 200, done.text
    assert read(api, path, people.ada, **day) == (slots, 'MISS')  # expired; a completed visit still holds its time
    clock.set(local(2, 9, 46))  # a no-show only after the grace period (HMS_NO_SHOW_GRACE_MINUTES, 15)
    people.relogin()
    assert read(api, path, people.ada, **day) == (slots, 'HIT')  # still from 11:00 on
    assert api.post(f'/api/doctor/appointments/{second["id"]}/no-show', headers=people.grey).status_code == 200
    assert read(api, path, people.ada, **day) == (slots, 'MISS')


def test_moving_time_never_shows_a_slot_that_is_no_longer_bookable(
    redis_url: str, api: TestClient, people: People, clock: ManualClock
) -> None:
    grey = people.clinic.doctor.user_id
    path = f'/api/doctors/{grey}/slots'
    today = {'from': '2026-03-02', 'to': '2026-03-02'}
    slots = hit_after_miss(api, path, people.ada, **today)  # 08:00 with an hour's notice: 09:00 is the first
    assert starts(slots)[0] == '2026-03-02T09:00:00+01:00'
    assert read(api, path, people.ada, **today) == (slots, 'HIT')  # still exactly true at 08:00

    clock.set(local(2, 8, 1))  # the 09:00 slot is now inside the notice period
    later, state = read(api, path, people.ada, **today)
    assert state == 'MISS' and starts(later) == starts(slots)[1:]
    clock.set(local(2, 8, 20))  # nothing new became unbookable: the entry is still good
    assert read(api, path, people.ada, **today) == (later, 'HIT')

    clock.set(local(2, 15, 31))  # the last slot of the day (16:30) is within the notice period
    people.relogin()  # (sessions end after 30 idle minutes)
    assert read(api, path, people.ada, **today) == ([], 'MISS')

    # The whole horizon (no dates): the next morning, today's date moves the horizon on a day.
    horizon = hit_after_miss(api, path, people.ada)
    clock.set(local(3, 7))
    people.relogin()
    moved_on, state = read(api, path, people.ada)
    assert state == 'MISS' and moved_on[0]['start'] == '2026-03-03T09:00:00+01:00'
    assert moved_on[-1]['start'] > horizon[-1]['start']  # a new day entered the booking horizon
    now = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert all(datetime.fromisoformat(slot['start']) >= now + timedelta(hours=1) for slot in moved_on)


def test_the_search_for_a_free_day_lasts_only_while_its_slots_are_bookable(
    redis_url: str, api: TestClient, people: People, clock: ManualClock
) -> None:
    monday = {'date': '2026-03-02'}
    assert len(hit_after_miss(api, '/api/doctors', people.ada, **monday)) == 2
    clock.set(local(2, 8, 1))  # each doctor's 09:00 slot passed the notice: recomputed (both still have slots)
    assert len(hit_after_miss(api, '/api/doctors', people.ada, **monday)) == 2
    clock.set(local(2, 15, 31))  # no bookable slot left today
    people.relogin()
    assert read(api, '/api/doctors', people.ada, **monday) == ([], 'MISS')


def test_booking_everything_of_a_day_drops_the_doctor_from_that_days_search(
    redis_url: str, api: TestClient, people: People, clock: ManualClock
) -> None:
    grey = people.clinic.doctor.user_id
    clock.set(local(2, 15))  # two slots left today: 16:00 and 16:30
    people.relogin()
    assert len(hit_after_miss(api, '/api/doctors', people.ada, date='2026-03-02')) == 2
    book(api, people.ada, grey, local(2, 16))
    book(api, people.bob, grey, local(2, 16, 30))
    names = [d['name'] for d in read(api, '/api/doctors', people.ada, date='2026-03-02')[0]]
    assert names == ['Derek Shepherd']


# --- Nothing personal is shared -----------------------------------------------------------------------------------


def test_cached_values_are_shared_reads_only_and_hold_nothing_personal(
    redis_url: str, api: TestClient, people: People
) -> None:
    grey = people.clinic.doctor.user_id
    booked = book(api, people.ada, grey, local(3, 9))
    for headers in (people.ada, people.bob, people.grey, people.admin):
        read(api, '/api/departments', headers)
        read(api, '/api/doctors', headers, q='Meredith')
        read(api, f'/api/doctors/{grey}', headers)
        read(api, f'/api/doctors/{grey}/slots', headers)
    client = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in client.scan_iter(f'{PREFIX}*')]
    stored = b' '.join(client.get(key) or b'' for key in keys).decode()
    client.close()
    assert {key.split(':')[2].split('.')[0] for key in keys} == {'departments', 'doctors', 'doctor', 'slots'}
    assert len(keys) == 4  # one entry per read, whoever asked
    assert not any('Meredith' in key for key in keys)  # search words are hashed, never stored in keys
    for personal in ('ada@example.com', 'Ada Lovelace', 'bob@example.com', 'Bob Builder', 'Check-up', 'Cough'):
        assert personal not in stored
    # Per-user reads are not cached at all: each patient sees only their own appointments.
    mine = api.get('/api/appointments', headers=people.ada)
    assert 'x-cache' not in mine.headers and [a['id'] for a in mine.json()] == [booked['id']]
    assert api.get('/api/appointments', headers=people.bob).json() == []


def test_an_uncommitted_change_is_never_cached(redis_url: str, clinic: Clinic) -> None:
    ctx = clinic.ctx
    with ctx.uow() as uow:
        department = uow.departments.get(clinic.department_id)
        assert department is not None
        department.name = 'Not saved'
        assert departments.list_departments_cached(uow) == (
            [DepartmentView(clinic.department_id, 'Not saved', 'Hearts', 2)],
            False,
        )
    with ctx.uow() as uow:
        names = [d.name for d in departments.list_departments(uow)]
        assert names == ['Cardiology'] and departments.list_departments_cached(uow)[1] is True


# --- Serialization, pages, counters -------------------------------------------------------------------------------


def test_cached_views_round_trip_exactly(redis_url: str, clinic: Clinic) -> None:
    ctx = clinic.ctx
    with ctx.uow() as uow:
        computed, hit = availability.free_slots_cached(uow, ctx.settings, clinic.doctor.user_id)
        profile = doctors.get_doctor_cached(uow, clinic.doctor.user_id)
    with ctx.uow() as uow:
        cached, again = availability.free_slots_cached(uow, ctx.settings, clinic.doctor.user_id)
        assert doctors.get_doctor_cached(uow, clinic.doctor.user_id) == (profile[0], True)
    assert (hit, again) == (False, True) and cached == computed and len(cached) == 70
    assert all(slot.start.tzinfo is UTC and slot.end.tzinfo is UTC for slot in cached)
    berlin = datetime(2026, 3, 2, 9, tzinfo=UTC).astimezone(ctx.settings.zone)
    codec = Codec(list[SlotView])
    [back] = codec.loads(codec.dumps([SlotView(start=berlin, end=berlin + timedelta(minutes=30))]))
    assert back.start == berlin and back.start.utcoffset() == timedelta(hours=1)


def test_an_entry_written_in_another_shape_is_recomputed(redis_url: str, clinic: Clinic) -> None:
    ctx = clinic.ctx
    with ctx.uow() as uow:
        departments.list_departments(uow)
    client = redis.Redis.from_url(redis_url)
    [key] = list(client.scan_iter(f'{PREFIX}departments*'))
    client.set(key, b'\n[{"id": "not a number"}]')
    client.close()
    with ctx.uow() as uow:
        found, hit = departments.list_departments_cached(uow)
    assert hit is False and [d.name for d in found] == ['Cardiology']


def test_counts_per_cached_read_on_the_jobs_api(redis_url: str, api: TestClient, people: People) -> None:
    hit_after_miss(api, '/api/departments', people.ada)
    hit_after_miss(api, f'/api/doctors/{people.clinic.doctor.user_id}/slots', people.ada)
    assert api.get('/api/admin/stats', headers=people.admin).headers['x-cache'] == 'MISS'
    overview = api.get('/api/admin/jobs', headers=people.admin)
    assert overview.status_code == 200, overview.text
    counts = overview.json()['cache']
    assert counts['available'] is True and counts['hits'] >= 2 and counts['misses'] >= 3
    by_name = people.clinic.ctx.cache.stats()['by_name']
    assert by_name['departments']['hits'] >= 1 and by_name['slots']['hits'] >= 1
    assert by_name['dashboard']['misses'] >= 1


# --- Redis down ---------------------------------------------------------------------------------------------------


@pytest.fixture
def own_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedRedis]:
    """A Redis of this test's own (stopping the session's would break the other tests), the HMS_REDIS_URL."""
    with embedded_redis('hms-c-') as server:
        monkeypatch.setenv('HMS_REDIS_URL', server.url)
        yield server


def test_redis_going_down_degrades_to_direct_reads_logged_once(
    own_redis: EmbeddedRedis, api: TestClient, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    grey = people.clinic.doctor.user_id
    reads = ['/api/departments', '/api/doctors', f'/api/doctors/{grey}', f'/api/doctors/{grey}/slots']
    before = {path: hit_after_miss(api, path, people.ada) for path in reads}
    own_redis.stop()
    with caplog.at_level(logging.WARNING, logger='hms.cache'):
        for _ in range(3):
            for path in reads:
                assert read(api, path, people.bob) == (before[path], 'MISS')  # straight from the database
    warnings = [r for r in caplog.records if r.name == 'hms.cache' and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and 'unreachable' in warnings[0].getMessage()
    assert people.clinic.ctx.cache.stats()['available'] is False


@pytest.fixture
def dead_redis(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv('HMS_REDIS_URL', DEAD_URL)
    return DEAD_URL


def test_an_unreachable_redis_url_still_answers_every_read(
    dead_redis: str, api: TestClient, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    grey = people.clinic.doctor.user_id
    with caplog.at_level(logging.WARNING, logger='hms.cache'):
        for _ in range(2):
            assert read(api, '/api/departments', people.ada)[1] == 'MISS'
            assert read(api, f'/api/doctors/{grey}/slots', people.ada)[1] == 'MISS'
            assert [d['name'] for d in read(api, '/api/doctors', people.ada, q='grey')[0]] == ['Meredith Grey']
    assert len([r for r in caplog.records if r.name == 'hms.cache' and r.levelno == logging.WARNING]) <= 1


def test_without_redis_nothing_is_cached_and_the_cache_says_so(api: TestClient, people: People) -> None:
    for _ in range(2):
        assert read(api, '/api/departments', people.ada)[1] == 'MISS'
    assert Cache(None).stats()['available'] is False


# --- The admin Jobs page ------------------------------------------------------------------------------------------


async def test_the_jobs_page_shows_hits_and_misses_per_cached_read(redis_url: str, user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        departments.list_departments(uow)  # the booking page reads these through the same services
    with clinic.ctx.uow() as uow:
        departments.list_departments(uow)
        availability.free_slots(uow, clinic.ctx.settings, clinic.doctor.user_id)
    await sign_in_admin(user)
    await user.open('/admin/jobs')
    await see(user, 'Cache: ')
    await see(user, 'slots 0/1')  # hits/misses per cached read
    await see(user, 'departments ')


def test_a_change_made_while_redis_was_down_still_expires_older_entries(
    own_redis: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr('hms.events.RETRY_AFTER_SECONDS', 0.0)  # retry at once instead of after 30 s
    cache, publisher = Cache(own_redis.url), RedisPublisher(own_redis.url)
    values = iter(['before', 'after'])
    assert cache.get_or_compute('doctors', lambda: next(values), namespaces=('doctor',)) == ('before', False)
    own_redis.stop()
    publisher.publish([Event('doctor.updated')])  # a rename while Redis is down: the counter cannot be raised
    own_redis.start()  # back, with the entry from before the rename still stored
    publisher.publish([Event('appointment.booked')])  # the next change that gets through raises the owed counter too
    assert cache.get_or_compute('doctors', lambda: next(values), namespaces=('doctor',)) == ('after', False)


def test_the_api_description_names_the_x_cache_header(api: TestClient) -> None:
    paths = api.get('/api/openapi.json').json()['paths']
    for path in ('/departments', '/doctors', '/doctors/{doctor_id}', '/doctors/{doctor_id}/slots'):
        header = paths[path]['get']['responses']['200']['headers']['X-Cache']
        assert header['schema']['enum'] == ['HIT', 'MISS'], path


def test_the_administrators_lists_are_cached_too(redis_url: str, api: TestClient, people: People) -> None:
    public = hit_after_miss(api, '/api/departments', people.ada)
    assert read(api, '/api/admin/departments', people.admin) == (public, 'HIT')  # the same list: one shared entry
    everyone = hit_after_miss(api, '/api/admin/doctors', people.admin, include_inactive='true')
    assert {d['email'] for d in everyone} == {'grey@clinic.test', 'shepherd@clinic.test'}
    assert read(api, '/api/admin/doctors', people.admin)[1] == 'MISS'  # without deactivated doctors: its own entry


def test_a_restarted_process_never_reads_what_was_cached_before_it_started(redis_url: str) -> None:
    values = iter(['before the restart', 'after a seed or restore'])
    before = Cache(redis_url)
    assert before.get_or_compute('departments', lambda: next(values), namespaces=('department',))[1] is False
    assert before.get_or_compute('departments', lambda: next(values), namespaces=('department',))[1] is True
    # Data changed offline (no events), then the app starts again: its first read recomputes.
    again = Cache(redis_url)
    assert again.get_or_compute('departments', lambda: next(values), namespaces=('department',)) == (
        'after a seed or restore',
        False,
    )


def test_a_patient_changing_birth_date_expires_the_cached_dashboard(
    redis_url: str, api: TestClient, people: People
) -> None:
    visit = {'diagnosis': 'Cold', 'treatment': 'Rest', 'prescription': [], 'tests': '', 'notes': ''}
    appointment = book(api, people.ada, people.clinic.doctor.user_id, local(2, 9))
    done = api.post(f'/api/doctor/appointments/{appointment["id"]}/complete', headers=people.grey, json=visit)
    assert done.status_code == 200, done.text

    def seen() -> tuple[dict[tuple[str, str], int], str]:
        response = api.get('/api/admin/stats', headers=people.admin)
        assert response.status_code == 200, response.text
        counts = {(row['age_band'], row['gender']): row['count'] for row in response.json()['demographics']}
        return {band: count for band, count in counts.items() if count}, response.headers['x-cache']

    before, _ = seen()
    assert seen() == (before, 'HIT')
    assert api.patch('/api/patient/profile', headers=people.ada, json={'name': 'Ada King'}).status_code == 200
    assert seen() == (before, 'HIT')  # a new name changes no figure: the entry stays
    assert api.patch('/api/patient/profile', headers=people.ada, json={'dob': '1950-05-01'}).status_code == 200
    after, state = seen()
    assert state == 'MISS' and after != before and sum(after.values()) == 1 and ('65+', 'female') in after


def test_a_change_for_one_doctor_leaves_the_other_doctors_slots_cached(
    redis_url: str, api: TestClient, people: People
) -> None:
    grey, shepherd = people.clinic.doctor.user_id, people.clinic.other_doctor.user_id
    greys, shepherds = f'/api/doctors/{grey}/slots', f'/api/doctors/{shepherd}/slots'
    hit_after_miss(api, greys, people.ada)
    theirs = hit_after_miss(api, shepherds, people.ada)
    book(api, people.ada, grey, local(3, 9))
    assert read(api, greys, people.bob)[1] == 'MISS'
    assert read(api, shepherds, people.bob) == (theirs, 'HIT')
    hit_after_miss(api, f'/api/doctors/{shepherd}', people.ada)
    assert api.patch(f'/api/admin/doctors/{grey}', headers=people.admin, json={'bio': 'New'}).status_code == 200
    assert read(api, f'/api/doctors/{shepherd}', people.ada)[1] == 'HIT'
    assert read(api, f'/api/doctors/{grey}', people.ada)[1] == 'MISS'
    # A change that names no doctor may concern any of them: every doctor's slots are read again.
    RedisPublisher(redis_url).publish([Event('availability.updated')])
    assert read(api, shepherds, people.bob) == (theirs, 'MISS')


def test_events_raise_their_namespace_and_their_doctors_counter() -> None:
    assert Event('appointment.booked', {'doctor_id': 5}).generations == {'appointment', 'appointment@doctor:5'}
    assert Event('availability.updated').generations == {'availability', 'availability@doctor:any'}
    assert Event('department.created', {'department_id': 2}).generations == {'department', 'department@doctor:any'}
