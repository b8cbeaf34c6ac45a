"""The worker's pool: one process while quiet; a second only when work has waited, stopped after a quiet minute."""

from __future__ import annotations

from types import SimpleNamespace

from jobs.autoscale import GROW_AFTER_SECONDS, IDLE_SECONDS, PatientAutoscaler


def scaler() -> PatientAutoscaler:
    return PatientAutoscaler(SimpleNamespace(num_processes=1), 2, 1)


def test_tasks_sent_together_and_done_at_once_start_no_process() -> None:
    pool = scaler()
    assert pool.decide(held=2, processes=1, now=100.0) == 0  # the beat's sweeps, sent in the same second
    assert pool.decide(held=0, processes=1, now=100.5) == 0  # both done
    assert pool.decide(held=2, processes=1, now=100.0 + GROW_AFTER_SECONDS + 5) == 0  # the next minute: anew


def test_work_that_waited_starts_a_second_process_and_never_more() -> None:
    pool = scaler()
    assert pool.decide(held=3, processes=1, now=10.0) == 0
    assert pool.decide(held=3, processes=1, now=10.0 + GROW_AFTER_SECONDS) == 1  # the maximum is two
    assert pool.decide(held=5, processes=2, now=20.0) == 0
    assert pool.decide(held=5, processes=2, now=20.0 + 2 * GROW_AFTER_SECONDS) == 0


def test_the_second_process_stops_after_a_quiet_minute() -> None:
    pool = scaler()
    assert pool.decide(held=2, processes=2, now=50.0) == 0  # both busy
    assert pool.decide(held=0, processes=2, now=50.0 + IDLE_SECONDS - 1) == 0
    assert pool.decide(held=1, processes=2, now=50.0 + IDLE_SECONDS) == -1
    assert pool.decide(held=0, processes=1, now=50.0 + 10 * IDLE_SECONDS) == 0  # never below one
