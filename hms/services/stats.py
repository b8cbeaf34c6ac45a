"""The statistics dashboard: figures and chart series from database aggregations, shaped with pandas.

Everything returned is plain JSON-ready data, so it can be cached in Redis, served by the API and drawn by the page.
Definitions: cancellation rate = cancelled / all appointments in the period; no-show rate = no-shows / (completed +
no-shows); utilisation = non-cancelled bookings / published slots (today's availability template and overrides
applied to every date of the period).

The period helpers (``buckets_frame``, ``per_day_series``, ``status_rates``, ``published_slots``) are public: the
monthly report (hms.services.reports) computes its figures with them, so that both agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import pandas as pd
else:

    class _Pandas:
        """pandas (with NumPy, ~43 MB) is loaded by the first figures computed, not by every process at start."""

        def __getattr__(self, name: str) -> Any:
            import pandas

            return getattr(pandas, name)

    pd = _Pandas()

from hms import clock
from hms.cache import Cache
from hms.config import Settings
from hms.db.stats import Scope, StatsRepository
from hms.db.uow import UnitOfWork
from hms.domain.enums import AppointmentStatus, Gender, Role
from hms.domain.errors import InvalidInput
from hms.domain.slots import Window, day_slots
from hms.i18n import N_, _, current_language, ngettext
from hms.i18n.formats import weekday_names

from . import measures, refills
from .principal import Principal, require_role

# The statuses the figures count by. A visit under way (checked in, in consultation) is still an open booking there:
# the series and tables keep their four statuses, and today's visits move to completed when they are.
STATUSES = ['booked', 'completed', 'cancelled', 'no_show']
_COUNTED_AS = {status: status.value for status in AppointmentStatus} | {
    AppointmentStatus.ARRIVED: 'booked',
    AppointmentStatus.IN_CONSULTATION: 'booked',
}


def counted_as(status: str) -> str:
    """The status a stored appointment status is counted under in the figures."""
    return _COUNTED_AS[AppointmentStatus(status)]


AGE_BANDS = [(0, 17, '0–17'), (18, 34, '18–34'), (35, 49, '35–49'), (50, 64, '50–64'), (65, 200, '65+')]
TOP_DOCTORS = 10
MAX_PERIOD_DAYS = 731
Preset = Literal['last7', 'last30', 'last90', 'month']


@dataclass(frozen=True)
class StatsQuery:
    first: date
    last: date
    department_id: int | None = None
    doctor_id: int | None = None
    status: str | None = None  # one of STATUSES (a visit under way counts as booked)
    weekday: int | None = None  # 0 = Monday, in the clinic's zone
    hour: int | None = None  # 0-23, in the clinic's zone

    @classmethod
    def preset(cls, name: Preset, today: date, **filters: Any) -> StatsQuery:
        if name == 'month':
            return cls(today.replace(day=1), today, **filters)
        days = {'last7': 7, 'last30': 30, 'last90': 90}[name]
        return cls(today - timedelta(days=days - 1), today, **filters)

    def key(self) -> str:
        """A cache key part naming exactly this filter."""
        extra = [self.status, self.weekday, self.hour]
        tail = '' if extra == [None, None, None] else ':' + ':'.join('-' if v is None else str(v) for v in extra)
        return f'{self.first}:{self.last}:{self.department_id or "-"}:{self.doctor_id or "-"}{tail}'

    def previous(self) -> StatsQuery:
        """The same filter over the period of the same length just before this one."""
        length = (self.last - self.first).days + 1
        return replace(self, first=self.first - timedelta(days=length), last=self.first - timedelta(days=1))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), 'first': self.first.isoformat(), 'last': self.last.isoformat()}


PRESETS: tuple[Preset, ...] = ('last7', 'last30', 'last90', 'month')
# The query parameters of a dashboard view, in the page's address and in GET /api/admin/stats alike
PARAMETERS = ('period', 'from', 'to', 'department', 'doctor', 'status', 'weekday', 'hour')


def _whole(value: str | None, field: str, low: int, high: int) -> int | None:
    if value is None or value == '':
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise InvalidInput(_('Not a valid filter.'), field_errors={field: _('Not a valid value.')})
    return int(value)


def query_from(params: Mapping[str, str], today: date) -> tuple[StatsQuery, str]:
    """The filter a view's query parameters name, and its period preset ('custom' for from/to): ``period`` (last7,
    last30, last90, month; default last30), or ``from``/``to`` (ISO dates; either alone: 30 days from/to it),
    ``department``, ``doctor`` (ids), ``status`` (booked, completed, cancelled, no_show), ``weekday`` (0 = Monday)
    and ``hour`` (0-23, the clinic's zone). Anything unreadable: InvalidInput naming the parameter."""
    first_text, last_text = params.get('from') or None, params.get('to') or None
    if first_text or last_text:
        try:
            last = date.fromisoformat(last_text) if last_text else None
            first = date.fromisoformat(first_text) if first_text else None
        except ValueError:
            raise InvalidInput(_('Not a valid date.'), field_errors={'from': _('Not a date.')}) from None
        if first is None:
            assert last is not None
            first = last - timedelta(days=29)
        last = last or min(first + timedelta(days=29), max(today, first))
        preset = 'custom'
    else:
        preset = params.get('period') or 'last30'
        if preset not in PRESETS:
            raise InvalidInput(_('Unknown period.'), field_errors={'period': _('Unknown period.')})
        named = StatsQuery.preset(preset, today)
        first, last = named.first, named.last
    status = params.get('status') or None
    query = StatsQuery(
        first,
        last,
        department_id=_whole(params.get('department'), 'department', 1, 2**62),
        doctor_id=_whole(params.get('doctor'), 'doctor', 1, 2**62),
        status=status,
        weekday=_whole(params.get('weekday'), 'weekday', 0, 6),
        hour=_whole(params.get('hour'), 'hour', 0, 23),
    )
    validate(query)
    return query, preset


def params_of(query: StatsQuery, preset: str) -> dict[str, str]:
    """The query parameters naming ``query`` (the inverse of ``query_from``): a preset by name, else its dates."""
    params: dict[str, str] = (
        {'period': preset} if preset in PRESETS else {'from': str(query.first), 'to': str(query.last)}
    )
    for name, value in (
        ('department', query.department_id),
        ('doctor', query.doctor_id),
        ('status', query.status),
        ('weekday', query.weekday),
        ('hour', query.hour),
    ):
        if value is not None:
            params[name] = str(value)
    if params.get('period') == 'last30':
        del params['period']  # the default view has the shortest address
    return params


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def stored_statuses(status: str | None) -> tuple[str, ...]:
    """The stored statuses a figure status stands for ('booked' holds the visits under way)."""
    if status is None:
        return ()
    return tuple(stored.value for stored, counted in _COUNTED_AS.items() if counted == status)


def _scope(query: StatsQuery, zone: ZoneInfo) -> Scope:
    return Scope(
        start=_local_midnight(query.first, zone),
        end=_local_midnight(query.last + timedelta(days=1), zone),
        department_id=query.department_id,
        doctor_id=query.doctor_id,
        statuses=stored_statuses(query.status),
        windows=measures.local_windows(query.first, query.last, zone, weekday=query.weekday, hour=query.hour),
    )


def buckets_frame(rows: list[tuple[str, Any, int]], zone: ZoneInfo) -> pd.DataFrame:
    """The quarter-hour rows of ``StatsRepository.appointments_by_quarter_hour`` as a frame (bucket, status, count,
    local: the bucket in the clinic's zone)."""
    frame = pd.DataFrame(rows, columns=['bucket', 'status', 'count'])
    if frame.empty:
        return frame.assign(local=pd.Series(dtype='datetime64[ns, UTC]'))
    frame['status'] = frame['status'].map(counted_as)
    frame['local'] = pd.to_datetime(frame['bucket'], format='%Y-%m-%d %H:%M', utc=True).dt.tz_convert(zone)
    return frame


def per_day_series(frame: pd.DataFrame, first: date, last: date) -> dict[str, Any]:
    """Every date from first to last, and per status one count for each of them."""
    days = pd.date_range(first, last, freq='D').date
    if frame.empty:
        table = pd.DataFrame(0, index=days, columns=STATUSES)
    else:
        table = (
            frame.assign(day=frame['local'].dt.date)
            .pivot_table(index='day', columns='status', values='count', aggfunc='sum', fill_value=0)
            .reindex(index=days, columns=STATUSES, fill_value=0)
        )
    return {
        'dates': [day.isoformat() for day in days],
        'series': {status: [int(value) for value in table[status]] for status in STATUSES},
    }


def _heatmap(frame: pd.DataFrame) -> dict[str, Any]:
    grid = [[0] * 24 for _weekday in range(7)]
    if not frame.empty:
        held = frame[frame['status'] != AppointmentStatus.CANCELLED.value]
        grouped = held.groupby([held['local'].dt.day_of_week, held['local'].dt.hour])['count'].sum()
        for (weekday, hour), value in grouped.items():
            grid[int(weekday)][int(hour)] = int(value)
    return {'weekdays': weekday_names('abbreviated'), 'hours': list(range(24)), 'z': grid}


def status_rates(frame: pd.DataFrame) -> dict[str, Any]:
    """The period's counts per status, its cancellation rate and its no-show rate."""
    totals = frame.groupby('status')['count'].sum() if not frame.empty else pd.Series(dtype=int)
    count = {status: int(totals.get(status, 0)) for status in STATUSES}
    everything = sum(count.values())
    due = count['completed'] + count['no_show']
    return {
        'appointments_period': everything,
        'completed': count['completed'],
        'cancelled': count['cancelled'],
        'no_shows': count['no_show'],
        'cancellation_rate': round(count['cancelled'] / everything, 4) if everything else None,
        'no_show_rate': round(count['no_show'] / due, 4) if due else None,
    }


def _by_doctor(
    rows: list[tuple[int, Any, int]], doctors: dict[int, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    frame = pd.DataFrame(rows, columns=['doctor_id', 'status', 'count'])
    if frame.empty:
        return [], []
    frame['status'] = frame['status'].map(counted_as)
    frame['department_id'] = frame['doctor_id'].map(lambda key: doctors.get(key, {}).get('department_id', 0))
    table = frame.pivot_table(index='doctor_id', columns='status', values='count', aggfunc='sum', fill_value=0)
    table = table.reindex(columns=STATUSES, fill_value=0)
    table['total'] = table.sum(axis=1)
    names = {key: doctors.get(key, {}).get('name', f'#{key}') for key in table.index}
    table = table.assign(name=[names[key] for key in table.index])
    table = table.sort_values(['total', 'name'], ascending=[False, True], kind='stable').drop(columns='name')
    by_doctor = [
        {'doctor': names[key], 'doctor_id': int(key), **{name: int(value) for name, value in row.items()}}
        for key, row in table.iloc[:TOP_DOCTORS].iterrows()
    ]
    if len(table) > TOP_DOCTORS:
        others = len(table) - TOP_DOCTORS
        rest = table.iloc[TOP_DOCTORS:].sum()
        label = ngettext('Other ({n} doctor)', 'Other ({n} doctors)', others)
        by_doctor.append({'doctor': label, 'doctor_id': None, **{name: int(value) for name, value in rest.items()}})
    departments = frame.pivot_table(
        index='department_id', columns='status', values='count', aggfunc='sum', fill_value=0
    )
    departments = departments.reindex(columns=STATUSES, fill_value=0)
    departments['total'] = departments.sum(axis=1)
    titles = {doctor['department_id']: doctor['department'] for doctor in doctors.values()}
    departments = departments.assign(name=[titles.get(key, '?') for key in departments.index])
    departments = departments.sort_values(['total', 'name'], ascending=[False, True], kind='stable')
    by_department = [
        {
            'department': titles.get(key, '?'),
            'department_id': int(key) or None,
            **{name: int(value) for name, value in row.drop('name').items()},
        }
        for key, row in departments.iterrows()
    ]
    return by_department, by_doctor


def _day_shape(day: date, zone: ZoneInfo) -> tuple[Any, Any]:
    """The UTC offsets at the start and the end of a local day: equal except on daylight-saving change days."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start.utcoffset(), datetime.combine(day, time(23, 59), tzinfo=zone).utcoffset()


_slot_counts: dict[tuple[Any, ...], int] = {}


def _slot_count(windows: tuple[Window, ...], minutes: int, shape: tuple[Any, Any], day: date, zone: ZoneInfo) -> int:
    """How many slots the windows hold on a day; every ordinary day of the same shape holds the same number."""
    if shape[0] != shape[1]:  # a daylight-saving change day: count it for real
        return len(day_slots(day, list(windows), minutes, zone))
    key = (windows, minutes, str(zone), shape)
    if key not in _slot_counts:
        if len(_slot_counts) > 10_000:
            _slot_counts.clear()
        _slot_counts[key] = len(day_slots(day, list(windows), minutes, zone))
    return _slot_counts[key]


def published_slots(
    repo: StatsRepository, doctors: dict[int, dict[str, Any]], first: date, last: date, zone: ZoneInfo
) -> dict[int, int]:
    """The slots each doctor (``doctors``: id -> at least {'minutes': consultation length}) publishes from first to
    last: the current weekly template, with the date overrides of the period applied."""
    ids = list(doctors)
    weekly: dict[int, dict[int, list[Window]]] = defaultdict(lambda: defaultdict(list))
    for doctor_id, weekday, start, end in repo.weekly_windows(ids):
        weekly[doctor_id][weekday].append(Window(start, end))
    overrides: dict[tuple[int, date], list[Window]] = defaultdict(list)
    for doctor_id, day, start, end in repo.override_windows(ids, first, last):
        windows = overrides[(doctor_id, day)]  # creates the entry: a day off when there are no windows
        if start is not None and end is not None:
            windows.append(Window(start, end))
    period = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    days = [(day, _day_shape(day, zone)) for day in period]  # once per day, not once per doctor and day
    published: dict[int, int] = {}
    for doctor_id, doctor in doctors.items():
        minutes = doctor['minutes']
        week = {weekday: tuple(sorted(windows)) for weekday, windows in weekly[doctor_id].items()}
        per_kind: dict[tuple[int, Any], int] = {}  # (weekday, day shape) -> slots: ordinary days counted once
        total = 0
        for day, shape in days:
            override = overrides.get((doctor_id, day))
            if override is not None:
                total += _slot_count(tuple(sorted(override)), minutes, shape, day, zone) if override else 0
                continue
            usual = week.get(day.weekday())
            if not usual:
                continue
            if shape[0] != shape[1]:  # a daylight-saving change day is counted for itself
                total += _slot_count(usual, minutes, shape, day, zone)
                continue
            kind = (day.weekday(), shape)
            if kind not in per_kind:
                per_kind[kind] = _slot_count(usual, minutes, shape, day, zone)
            total += per_kind[kind]
        published[doctor_id] = total
    return published


def _utilisation(
    rows: list[tuple[int, Any, int]], doctors: dict[int, dict[str, Any]], published: dict[int, int]
) -> list[dict[str, Any]]:
    booked: dict[int, int] = defaultdict(int)
    for doctor_id, status, count in rows:
        if AppointmentStatus(status) is not AppointmentStatus.CANCELLED:
            booked[doctor_id] += int(count)
    result = [
        {
            'doctor': doctor['name'],
            'doctor_id': doctor_id,
            'booked': booked[doctor_id],
            'published': published.get(doctor_id, 0),
            'share': round(booked[doctor_id] / published[doctor_id], 4) if published.get(doctor_id) else None,
        }
        for doctor_id, doctor in doctors.items()
        if doctor['active'] or booked[doctor_id]
    ]
    return sorted(result, key=lambda item: (-(item['share'] or 0), item['doctor']))


def _registrations(rows: list[tuple[str, int]], first: date, last: date, zone: ZoneInfo) -> dict[str, Any]:
    weeks = pd.date_range(first - timedelta(days=first.weekday()), last, freq='7D').date
    counts = dict.fromkeys(weeks, 0)
    if rows:
        frame = pd.DataFrame(rows, columns=['bucket', 'count'])
        local = pd.to_datetime(frame['bucket'], format='%Y-%m-%d %H:%M', utc=True).dt.tz_convert(zone).dt.date
        for day, count in zip(local, frame['count'], strict=True):
            monday = day - timedelta(days=day.weekday())
            counts[monday] = counts.get(monday, 0) + int(count)
    return {'weeks': [week.isoformat() for week in counts], 'counts': list(counts.values())}


def _demographics(rows: list[tuple[Any, int, int]], today: date) -> list[dict[str, Any]]:
    tally: dict[tuple[str, str], int] = defaultdict(int)
    for gender, birth_year, count in rows:
        age = today.year - int(birth_year)
        band = next(label for low, high, label in AGE_BANDS if low <= age <= high)
        tally[(band, Gender(gender).value)] += int(count)
    return [
        {'age_band': label, 'gender': gender.value, 'count': tally.get((label, gender.value), 0)}
        for _low, _high, label in AGE_BANDS
        for gender in Gender
    ]


def _figures_by(frame: pd.DataFrame, keys: str | list[str]) -> dict[Any, dict[str, Any]]:
    """Median wait and consultation and how many of each, per group of ``keys`` (in the keys' order): one grouped
    pass instead of a Series per group (the dashboard's most expensive figure otherwise)."""
    grouped = frame.groupby(keys, sort=True)[['wait', 'consultation']]
    medians, counts = grouped.median(), grouped.count()
    return {
        key: {
            'median_wait_minutes': round(float(wait), 1) if waits else None,
            'median_consultation_minutes': round(float(consultation), 1) if consultations else None,
            'waits': int(waits),
            'consultations': int(consultations),
        }
        for key, wait, consultation, waits, consultations in zip(
            medians.index, medians['wait'], medians['consultation'], counts['wait'], counts['consultation'], strict=True
        )
    }


def visit_times(
    rows: list[tuple[int, datetime, float | None, float | None]],
    doctors: dict[int, dict[str, Any]],
    first: date,
    last: date,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """Median wait (checked in -> called in) and median consultation (called in -> completed), in minutes: per local
    day of the visit over the period, and per doctor and per department, for the period and per day. ``rows``: the
    ``StatsRepository.visit_times`` rows; a time missing or running backwards counts for nothing."""
    days = [day.isoformat() for day in pd.date_range(first, last, freq='D').date]
    frame = pd.DataFrame(rows, columns=['doctor_id', 'start', 'wait', 'consultation'])
    if frame.empty:
        return {
            'dates': days,
            'per_day': {'wait': [None] * len(days), 'consultation': [None] * len(days)},
            'by_doctor': [],
            'by_department': [],
            'by_doctor_day': [],
            'by_department_day': [],
        }
    wait, consultation = frame['wait'].astype(float), frame['consultation'].astype(float)
    frame = frame.assign(
        day=pd.to_datetime(frame['start'], utc=True).dt.tz_convert(zone).dt.date.map(date.isoformat),
        wait=wait.where(wait >= 0),
        consultation=consultation.where(consultation >= 0),
        department=frame['doctor_id'].map(lambda key: doctors.get(key, {}).get('department', '?')),
    )
    per_day = _figures_by(frame, 'day')

    def names(doctor_id: Any) -> dict[str, str]:
        doctor = doctors.get(doctor_id, {})
        return {'doctor': doctor.get('name', f'#{doctor_id}'), 'department': doctor.get('department', '?')}

    return {
        'dates': days,
        'per_day': {
            'wait': [per_day[day]['median_wait_minutes'] if day in per_day else None for day in days],
            'consultation': [per_day[day]['median_consultation_minutes'] if day in per_day else None for day in days],
        },
        'by_doctor': sorted(
            (
                {'doctor_id': int(key)} | names(key) | figures
                for key, figures in _figures_by(frame, 'doctor_id').items()
            ),
            key=lambda row: (row['department'], row['doctor']),
        ),
        'by_department': [
            {'department': str(name)} | figures for name, figures in _figures_by(frame, 'department').items()
        ],
        'by_doctor_day': sorted(
            (
                {'date': day, 'doctor_id': int(key)} | names(key) | figures
                for (day, key), figures in _figures_by(frame, ['day', 'doctor_id']).items()
            ),
            key=lambda row: (row['date'], row['department'], row['doctor']),
        ),
        'by_department_day': [
            {'date': day, 'department': str(name)} | figures
            for (day, name), figures in _figures_by(frame, ['day', 'department']).items()
        ],
    }


def validate(query: StatsQuery) -> None:
    if query.first > query.last:
        raise InvalidInput(_('The period must start before it ends.'), field_errors={'from': _('After the end date.')})
    if (query.last - query.first).days > MAX_PERIOD_DAYS:
        raise InvalidInput(_('Choose a period of at most two years.'), field_errors={'to': _('Period too long.')})
    if query.status is not None and query.status not in STATUSES:
        raise InvalidInput(_('Unknown status.'), field_errors={'status': _('Unknown status.')})
    if query.weekday is not None and not 0 <= query.weekday <= 6:
        raise InvalidInput(_('Unknown weekday.'), field_errors={'weekday': _('From 0 (Monday) to 6 (Sunday).')})
    if query.hour is not None and not 0 <= query.hour <= 23:
        raise InvalidInput(_('Unknown hour.'), field_errors={'hour': _('From 0 to 23.')})


def check_ids(uow: UnitOfWork, query: StatsQuery) -> None:
    """A department or doctor id of the filter that names none: InvalidInput naming the field (never a 500)."""
    repo = StatsRepository(uow.session)
    if query.department_id is not None and not repo.department_exists(query.department_id):
        raise InvalidInput(_('No such department.'), field_errors={'department': _('No such department.')})
    if query.doctor_id is not None and not repo.doctor_exists(query.doctor_id):
        raise InvalidInput(_('No such doctor.'), field_errors={'doctor': _('No such doctor.')})


COMPARED_PARTS = ('query', 'headline', 'per_day', 'measures')  # what a previous period is read for


def dashboard(
    uow: UnitOfWork, settings: Settings, actor: Principal, query: StatsQuery, *, compared_only: bool = False
) -> dict[str, Any]:
    """Every figure and series of the admin dashboard for one filter (``compared_only``: the parts compared with
    another period, ``COMPARED_PARTS``)."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to read clinic statistics.'))
    validate(query)
    zone = settings.zone
    repo = StatsRepository(uow.session)
    scope = _scope(query, zone)
    today = clock.now().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    doctors = {
        doctor_id: {
            'name': name,
            'department_id': department_id,
            'department': department,
            'active': active,
            'minutes': minutes,
        }
        for doctor_id, name, department_id, department, active, minutes in repo.doctors(scope)
    }
    frame = buckets_frame(list(repo.appointments_by_quarter_hour(scope)), zone)
    doctor_rows = list(repo.appointments_by_doctor(scope))
    booked: dict[int, int] = defaultdict(int)
    for doctor_id, status, count in doctor_rows:
        if AppointmentStatus(status) is not AppointmentStatus.CANCELLED:
            booked[doctor_id] += int(count)
    steer = measures.measures(
        repo,
        scope,
        query.first,
        query.last,
        zone,
        doctors=doctors,
        booked=booked,
        cutoff=timedelta(hours=settings.cancel_cutoff_hours),
        today=today,
        weekday=query.weekday,
        hour=query.hour,
    )
    headline = {
        'doctors_active': sum(1 for doctor in doctors.values() if doctor['active']),
        'patients': repo.patient_count(),
        'appointments_today': repo.count_between(
            scope, _local_midnight(today, zone), _local_midnight(today + timedelta(days=1), zone)
        ),
        'appointments_week': repo.count_between(
            scope, _local_midnight(monday, zone), _local_midnight(monday + timedelta(days=7), zone)
        ),
        'appointments_total': repo.count_all(scope),
        **status_rates(frame),
    }
    compared = {
        'query': query.as_dict(),
        'generated_at': clock.now().isoformat(),
        'headline': headline,
        'per_day': per_day_series(frame, query.first, query.last),
        'measures': steer,
    }
    if compared_only:
        return compared
    by_department, by_doctor = _by_doctor(doctor_rows, doctors)
    published = published_slots(repo, doctors, query.first, query.last, zone)
    return {
        **compared,
        'by_department': by_department,
        'by_doctor': by_doctor,
        'utilisation': _utilisation(doctor_rows, doctors, published),
        'registrations': _registrations(
            list(repo.registrations_by_day(scope.start, scope.end)), query.first, query.last, zone
        ),
        'heatmap': _heatmap(frame),
        'demographics': _demographics(list(repo.patients_seen(scope)), today),
        'visit_times': visit_times(list(repo.visit_times(scope)), doctors, query.first, query.last, zone),
        'refills': refills.refill_figure(uow, scope.start, scope.end),  # freed slots booked again, how fast
    }


STATS_NAMESPACES = ('appointment', 'availability', 'doctor', 'department', 'patient')


def dashboard_cached(
    cache: Cache,
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    actor: Principal,
    query: StatsQuery,
    *,
    compare: bool = False,
) -> tuple[dict[str, Any], bool]:
    """The dashboard through the Redis cache (keyed by filter, expired by any relevant change); with a hit flag.
    ``compare``: also the previous period of the same length (``previous``) and the headline's and the measures'
    relative changes against it (``change``: key -> fraction, None where the previous figure was 0 or missing)."""
    # Before the cache: it holds clinic-wide data.
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to read clinic statistics.'))
    validate(query)
    today = clock.now().astimezone(settings.zone).date()

    def read(wanted: StatsQuery, *, compared_only: bool = False) -> tuple[dict[str, Any], bool]:
        def compute() -> dict[str, Any]:
            with uow_factory() as uow:
                check_ids(uow, wanted)
                return dashboard(uow, settings, actor, wanted, compared_only=compared_only)

        # The weekday names and the 'Other (n doctors)' row are in the reader's language: one entry per language.
        parts = ':compared' if compared_only else ''
        scope = f'{settings.timezone}:{today}:{wanted.key()}:{current_language()}{parts}'
        return cache.get_or_compute('dashboard', compute, namespaces=STATS_NAMESPACES, scope=scope)

    data, hit = read(query)
    if not compare:
        return data, hit
    before, _hit = read(query.previous(), compared_only=True)  # the charts of the previous period are never shown
    previous = {key: before[key] for key in COMPARED_PARTS}
    return {**data, 'previous': previous, 'change': changes(data, before)}, hit


COMPARED = ('appointments_period', 'completed', 'cancelled', 'no_shows', 'cancellation_rate', 'no_show_rate')
COMPARED_MEASURES = tuple(measures.DEFINITIONS)


def changes(now: dict[str, Any], before: dict[str, Any]) -> dict[str, float | None]:
    """Relative change of each compared headline figure and measure against the previous period (0.25: 25 % up)."""

    def change(current: Any, earlier: Any) -> float | None:
        if current is None or earlier is None or earlier == 0:
            return None
        return round(float(current - earlier) / float(earlier), 4)

    result = {key: change(now['headline'].get(key), before['headline'].get(key)) for key in COMPARED}
    for key in COMPARED_MEASURES:
        result[key] = change(now['measures'].get(key), before['measures'].get(key))
    return result


def appointment_list(
    uow: UnitOfWork, settings: Settings, actor: Principal, query: StatsQuery, *, page: int = 1, per_page: int = 25
) -> dict[str, Any]:
    """The appointments behind a figure: every filter of ``query`` applied (period, department, doctor, status,
    weekday, hour), by start time, one page at a time (``page`` from 1)."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to read clinic statistics.'))
    validate(query)
    check_ids(uow, query)
    per_page = max(1, min(per_page, 100))
    page = max(1, page)
    rows, total = StatsRepository(uow.session).appointment_page(
        _scope(query, settings.zone), limit=per_page, offset=(page - 1) * per_page
    )
    return {
        'query': query.as_dict(),
        'page': page,
        'per_page': per_page,
        'total': total,
        'items': [
            {
                'id': key,
                'start_at': start.isoformat(),
                'status': counted_as(status),
                'patient_id': patient_id,
                'patient': patient,
                'doctor_id': doctor_id,
                'doctor': doctor,
            }
            for key, start, status, patient_id, patient, doctor_id, doctor in rows
        ],
    }


def doctor_numbers(uow: UnitOfWork, settings: Settings, actor: Principal) -> dict[str, Any]:
    """The acting doctor's month so far and visits per week over the last 13 weeks."""
    require_role(actor, Role.DOCTOR, refusal=N_('Your role does not allow you to read your numbers.'))
    zone = settings.zone
    today = clock.now().astimezone(zone).date()
    repo = StatsRepository(uow.session)
    month = StatsQuery(today.replace(day=1), today, doctor_id=actor.user_id)
    month_frame = buckets_frame(list(repo.appointments_by_quarter_hour(_scope(month, zone))), zone)
    rates = status_rates(month_frame)
    due = rates['completed'] + rates['no_shows']
    first_week = today - timedelta(days=today.weekday()) - timedelta(weeks=12)
    weeks = StatsQuery(first_week, today, doctor_id=actor.user_id)
    frame = buckets_frame(list(repo.appointments_by_quarter_hour(_scope(weeks, zone))), zone)
    per_week = dict.fromkeys([first_week + timedelta(weeks=n) for n in range(13)], 0)
    if not frame.empty:
        done = frame[frame['status'] == AppointmentStatus.COMPLETED.value]
        for day, count in zip(done['local'].dt.date, done['count'], strict=True):
            per_week[day - timedelta(days=day.weekday())] += int(count)
    return {
        'month_visits': rates['completed'],
        'completion_rate': round(rates['completed'] / due, 4) if due else None,
        'no_show_rate': rates['no_show_rate'],
        'weeks': [week.isoformat() for week in per_week],
        'visits_per_week': list(per_week.values()),
    }
