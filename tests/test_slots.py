"""The slot grid, including daylight-saving changes (pure functions)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hms.domain.slots import Window, day_slots, local_instant, validate_day

BERLIN = ZoneInfo('Europe/Berlin')


def test_windows_are_cut_into_whole_consultations() -> None:
    slots = day_slots(date(2026, 3, 2), [Window(time(9), time(10, 40))], 30, BERLIN)
    assert [slot.start.astimezone(BERLIN).time() for slot in slots] == [time(9), time(9, 30), time(10)]
    assert all((slot.end - slot.start).total_seconds() == 1800 for slot in slots)


def test_local_opening_hours_hold_across_the_spring_change() -> None:
    before = day_slots(date(2026, 3, 27), [Window(time(9), time(10))], 60, BERLIN)
    after = day_slots(date(2026, 3, 30), [Window(time(9), time(10))], 60, BERLIN)
    assert before[0].start == datetime(2026, 3, 27, 8, tzinfo=UTC)  # CET, UTC+1
    assert after[0].start == datetime(2026, 3, 30, 7, tzinfo=UTC)  # CEST, UTC+2


def test_nonexistent_local_times_are_skipped_on_the_spring_change_night() -> None:
    slots = day_slots(date(2026, 3, 29), [Window(time(1), time(4))], 60, BERLIN)
    assert [slot.start for slot in slots] == [
        datetime(2026, 3, 29, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 1, tzinfo=UTC),
    ]
    assert local_instant(date(2026, 3, 29), time(2, 30), BERLIN) is None


def test_autumn_change_night_keeps_real_durations() -> None:
    slots = day_slots(date(2026, 10, 25), [Window(time(1), time(4))], 60, BERLIN)
    assert len(slots) == 3
    assert all((slot.end - slot.start).total_seconds() == 3600 for slot in slots)
    assert len({slot.start for slot in slots}) == 3


def test_overlapping_windows_are_refused() -> None:
    with pytest.raises(ValueError, match='overlap'):
        validate_day([Window(time(9), time(12)), Window(time(11), time(13))])
    assert validate_day([Window(time(14), time(15)), Window(time(9), time(12))])[0].start == time(9)


def test_a_window_must_start_before_it_ends() -> None:
    with pytest.raises(ValueError, match='start before'):
        Window(time(12), time(9))
