"""The dashboard's address: reading it (what can and cannot be read), writing it back, the range a zoom chose, and the
change arrows; then the page: a pasted address shows its view, a foreign id a notice and the default view, a click's
filter shows as a removable chip, and a live change is computed once for every page of the same filter."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date

import pytest
from nicegui import ui
from nicegui.testing import User

from hms.domain.errors import InvalidInput
from hms.services import stats
from hms.services.stats import StatsQuery
from pages.admin import dashboard, dashboard_live, dashboard_state

from .page_steps import label_text, sign_in_admin
from .scheduling_fixtures import Clinic, insert_appointment, local

TODAY = date(2026, 3, 2)


def test_an_address_names_its_view_and_back() -> None:
    params = {'from': '2026-02-01', 'to': '2026-02-28', 'department': '4', 'doctor': '7', 'status': 'no_show'}
    view, unreadable = dashboard_state.read({**params, 'weekday': '0', 'hour': '9', 'day': '2026-02-02'}, TODAY)
    assert unreadable == []
    assert view.query == StatsQuery(date(2026, 2, 1), date(2026, 2, 28), 4, 7, 'no_show', 0, 9)
    assert view.preset == 'custom' and view.day == date(2026, 2, 2)
    again, _ = dashboard_state.read_search(view.url().removeprefix('/admin'), TODAY)
    assert again == view
    assert dashboard_state.default_view(TODAY).url() == '/admin'  # the default view has the shortest address
    week, _ = dashboard_state.read({'period': 'last7'}, TODAY)
    assert (week.query.first, week.query.last, week.url()) == (date(2026, 2, 24), TODAY, '/admin?period=last7')


@pytest.mark.parametrize(
    ('params', 'named'),
    [
        ({'from': 'soon'}, 'from'),
        ({'from': '2026-03-01', 'to': '2026-02-01'}, 'from'),
        ({'department': 'x'}, 'department'),
        ({'doctor': '-3'}, 'doctor'),
        ({'status': 'lost'}, 'status'),
        ({'weekday': '7'}, 'weekday'),
        ({'hour': '24'}, 'hour'),
        ({'period': 'forever'}, 'period'),
        ({'from': '2020-01-01', 'to': '2026-01-01'}, 'to'),
    ],
)
def test_an_unreadable_address_gives_the_default_view_and_names_the_problem(params: dict, named: str) -> None:
    view, unreadable = dashboard_state.read(params, TODAY)
    assert view == dashboard_state.default_view(TODAY) and named in unreadable
    with pytest.raises(InvalidInput):
        stats.query_from(params, TODAY)


def test_a_listed_day_outside_the_period_is_not_opened() -> None:
    view, unreadable = dashboard_state.read({'period': 'last7', 'day': '2025-01-01'}, TODAY)
    assert view.day is None and unreadable == ['day']


def test_a_range_chosen_on_a_date_axis_covers_the_days_whose_bars_it_holds() -> None:
    assert dashboard.range_period('2026-02-09 14:00:00', '2026-02-12 10:00') == (date(2026, 2, 10), date(2026, 2, 12))
    assert dashboard.range_period('2026-02-10', '2026-02-11') == (date(2026, 2, 10), date(2026, 2, 11))
    assert dashboard.range_period('2026-02-10 02:00', '2026-02-10 05:00') == (date(2026, 2, 10), date(2026, 2, 10))
    assert dashboard.range_period('2026-02-12', '2026-02-10') == (date(2026, 2, 10), date(2026, 2, 12))
    assert dashboard.range_period('yesterday', '2026-02-10') is None


def test_changes_say_up_or_down_in_words_and_colour_by_good_news() -> None:
    assert dashboard.change_text(0.25, True)[:2] == ('▲ 25.0%', 'up 25.0% on the previous period')
    assert dashboard.change_text(0.25, True)[2] == dashboard.GOOD
    assert dashboard.change_text(0.25, False)[2] == dashboard.BAD  # more no-shows: bad news
    assert dashboard.change_text(-0.1, False)[:1] == ('▼ 10.0%',) and dashboard.change_text(-0.1, False)[2] == (
        dashboard.GOOD
    )
    assert dashboard.change_text(None, True) == ('', '', dashboard.theme.SUBTLE)


def test_the_waitlist_refills_read_as_a_share_and_a_median() -> None:
    assert dashboard.refills_text({'freed': 9, 'refilled': 7, 'rate': 0.7778, 'median_minutes': 41.6}) == (
        '7 of 9 (77.8%) · median 42 min'
    )
    assert dashboard.refills_text({'freed': 2, 'refilled': 0, 'rate': 0.0, 'median_minutes': None}) == '0 of 2 (0.0%)'
    assert dashboard.refills_text({'freed': 0, 'refilled': 0, 'rate': None, 'median_minutes': None}) == '–'


# --- the page -------------------------------------------------------------------------------------------------------

PATIENCE = 600  # polls of 0.05 s


def shown_text(user: User, marker: str) -> str:
    """A label's text, '' while it is hidden."""
    try:
        return label_text(user, marker)
    except AssertionError:
        return ''


async def see_label(user: User, marker: str, expected: str) -> None:
    for _ in range(PATIENCE):
        if shown_text(user, marker) == expected:
            return
        await asyncio.sleep(0.05)
    assert label_text(user, marker) == expected


async def test_a_pasted_address_shows_its_view_with_chips(user: User, clinic: Clinic) -> None:
    insert_appointment(clinic, clinic.doctor.user_id, clinic.patient.user_id, local(2, 10))
    insert_appointment(clinic, clinic.other_doctor.user_id, clinic.patient.user_id, local(2, 11))
    await sign_in_admin(user)
    await user.open(f'/admin?period=last7&doctor={clinic.other_doctor.user_id}&status=completed')
    await see_label(user, 'figure-completed', '1')
    chips = [chip.text for chip in user.find(marker='filter-chip').elements if isinstance(chip, ui.chip)]
    assert sorted(chips) == ['Doctor: Derek Shepherd (Cardiology)', 'Status: Completed']
    assert user.find(marker='reset-filters').elements
    user.find(marker='reset-filters').click()
    await see_label(user, 'figure-completed', '2')


async def test_a_foreign_id_in_the_address_gives_a_notice_and_the_default_view(user: User, clinic: Clinic) -> None:
    await sign_in_admin(user)
    await user.open('/admin?department=987654&period=last7')
    for _ in range(PATIENCE):
        if shown_text(user, 'dashboard-notice'):
            break
        await asyncio.sleep(0.05)
    assert 'department' in label_text(user, 'dashboard-notice')
    assert 'could not be read' in label_text(user, 'dashboard-notice')
    await see_label(user, 'figure-appointments_period', '0')


async def until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait (without asserting a duration) until ``condition`` holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, 'the dashboard broadcast never settled'
        await asyncio.sleep(0.05)


async def test_a_live_change_is_computed_once_per_filter_set(user: User, clinic: Clinic) -> None:
    await sign_in_admin(user)
    await see_label(user, 'figure-appointments_today', '0')
    broadcast = dashboard_live.broadcast(dashboard.figures_of)
    await broadcast.refresh()  # pages of earlier tests (other databases) are signed out and dropped
    assert len(broadcast.followers) == 1
    page = next(iter(broadcast.followers))

    class Twin:  # a second open page of the same filter and language: it must not cost a second computation
        token, language = page.token, page.language
        pushed = 0

        def live_query(self):
            return page.live_query()

        def push(self, data, figures) -> None:
            Twin.pushed += 1

        def signed_out(self) -> None:
            pass

    twin = Twin()
    broadcast.follow(twin)
    assert len(broadcast.followers) == 2, broadcast.followers
    insert_appointment(clinic, clinic.doctor.user_id, clinic.patient.user_id, local(2, 11))
    # A burst that events started before this point (the page's own, on a loaded machine) ends first; from here on no
    # event-driven burst runs beside the refresh counted below.
    await until(lambda: not broadcast.pending and broadcast.refreshing == 0)
    broadcast.pending, broadcast.pending_since = True, time.monotonic()
    broadcast.pending_loop = asyncio.get_running_loop()
    before, pushes, twin_pushes = broadcast.computed, page.pushes, Twin.pushed
    await broadcast.refresh()
    assert broadcast.computed == before + 1 and Twin.pushed == twin_pushes + 1 and page.pushes == pushes + 1
    broadcast.pending = False
    await see_label(user, 'figure-appointments_today', '1')
    per_day = page.views['appointments-per-day']
    by_status = page.views['appointments-by-status']
    assert per_day.sends['data'] >= 1 or per_day.sends['full'] >= 1
    sent = dict(by_status.sends)
    await broadcast.refresh()  # nothing changed: nothing is sent again
    assert by_status.sends == sent


async def test_a_slow_older_choice_does_not_replace_a_newer_one(
    user: User, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_appointment(clinic, clinic.doctor.user_id, clinic.patient.user_id, local(2, 10))
    await sign_in_admin(user)
    await see_label(user, 'figure-completed', '1')
    real_load, gate, held = dashboard_live.load, asyncio.Event(), []

    async def load(principal, query: StatsQuery):  # the first read after the period changed waits for the gate
        if query.doctor_id is None and not held:
            held.append(query)
            await gate.wait()
            found = await real_load(principal, query)
            held.append(query)
            return found
        return await real_load(principal, query)

    monkeypatch.setattr(dashboard_live, 'load', load)
    user.find(marker='filter-period').elements.pop().set_value('last7')
    await until(lambda: bool(held))
    user.find(marker='filter-doctor').elements.pop().set_value(clinic.other_doctor.user_id)
    await see_label(user, 'figure-completed', '0')  # the newer choice (last 7 days of the other doctor) is shown
    gate.set()
    await until(lambda: len(held) == 2)  # the older read has ended
    await asyncio.sleep(0.2)  # its page task goes on from there without waiting for anything: it drew nothing
    assert label_text(user, 'figure-completed') == '0'
    page = next(follower for follower in dashboard_live.broadcast(dashboard.figures_of).followers)
    assert page.view.query.doctor_id == clinic.other_doctor.user_id and page.view.preset == 'last7'


async def test_a_live_update_read_for_a_filter_left_meanwhile_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = StatsQuery(date(2026, 3, 1), date(2026, 3, 2)), StatsQuery(date(2026, 2, 1), date(2026, 3, 2))

    class Page:
        token, language = 'session', 'en'

        def __init__(self) -> None:
            self.query, self.pushed = first, []

        def live_query(self):
            return self.query, False

        def push(self, data, figures) -> None:
            self.pushed.append(data)

        def signed_out(self) -> None:
            raise AssertionError('the session is valid')

    page = Page()

    async def load(principal, query: StatsQuery):
        page.query = second  # the admin chose another period while the figures of the first were read
        return {'query': query.key()}

    async def sessions(tokens):
        return dict.fromkeys(tokens, object())

    broadcast = dashboard_live.Broadcast(lambda data, overlay: {})
    broadcast._unsubscribe = lambda: None  # no event hub: the refresh is started by hand
    monkeypatch.setattr(broadcast, '_sessions', sessions)
    monkeypatch.setattr(dashboard_live, 'load', load)
    broadcast.follow(page)
    await broadcast.refresh()
    assert page.pushed == []
    await broadcast.refresh()
    assert page.pushed == [{'query': second.key()}]
