"""What one dashboard view shows, and its address: ``/admin?from=…&to=…&department=…&doctor=…&status=…&weekday=…
&hour=…&day=…&compare=1``. Reloading, the back button and a pasted link restore the same view; an address that cannot
be read (or names a department or doctor that does not exist) gives the default view and a notice, never an error.
Pure functions over the service's parameter reading (``hms.services.stats.query_from``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hms.domain.errors import InvalidInput
from hms.services import stats
from hms.services.stats import StatsQuery

PATH = '/admin'
KEYS = (*stats.PARAMETERS, 'day', 'compare')


@dataclass(frozen=True)
class View:
    query: StatsQuery
    preset: str = 'last30'  # a period preset, or 'custom'
    day: date | None = None  # the day whose appointments are listed (drill to detail)
    compare: bool = False  # time series overlay the previous period

    def params(self) -> dict[str, str]:
        params = stats.params_of(self.query, self.preset)
        if self.day is not None:
            params['day'] = self.day.isoformat()
        if self.compare:
            params['compare'] = '1'
        return params

    def url(self) -> str:
        params = self.params()
        return f'{PATH}?{urlencode(params)}' if params else PATH

    def with_filters(self, **changes: Any) -> View:
        """The view with some filters of its query changed (the listed day is closed)."""
        return replace(self, query=replace(self.query, **changes), day=None)

    def with_period(self, first: date, last: date) -> View:
        return replace(self, query=replace(self.query, first=first, last=last), preset='custom', day=None)

    def with_preset(self, preset: str, today: date) -> View:
        if preset not in stats.PRESETS:
            return replace(self, preset='custom')
        named = StatsQuery.preset(preset, today)
        return replace(self, query=replace(self.query, first=named.first, last=named.last), preset=preset, day=None)

    def list_query(self) -> StatsQuery:
        """The filter of the appointment list: the view's, narrowed to the listed day."""
        if self.day is None:
            return self.query
        return replace(self.query, first=self.day, last=self.day)


def default_view(today: date) -> View:
    return View(StatsQuery.preset('last30', today))


def read(params: Mapping[str, str], today: date) -> tuple[View, list[str]]:
    """The view an address names, and the names of what could not be read in it (then: the default view)."""
    unknown = [name for name in params if name not in KEYS]
    try:
        query, preset = stats.query_from(params, today)
    except InvalidInput as problem:
        return default_view(today), sorted(problem.field_errors or {'from': ''}) + unknown
    day: date | None = None
    if params.get('day'):
        try:
            day = date.fromisoformat(params['day'])
        except ValueError:
            return View(query, preset), ['day', *unknown]
        if not query.first <= day <= query.last:
            return View(query, preset), ['day', *unknown]
    compare = params.get('compare') == '1'
    return View(query, preset, day, compare), unknown


def read_search(search: str, today: date) -> tuple[View, list[str]]:
    """``read`` over a ``location.search`` text ('?from=…')."""
    return read(dict(parse_qsl(search.lstrip('?'))), today)
