"""Plotly figures (as plain dicts) and their CSV tables, built from the dashboard data. Pure functions.

Every text a figure shows is in the language in force when it is built: trace names (the legend), axis titles, the
empty state and the hover labels (composed here for each point, so that counts have their plural form and dates and
numbers their locale's format). Date axes keep ISO dates as their values and carry locale-formatted tick labels; the
heat map's weekdays and hours come from the locale. The CSV tables are data: their headers and values stay
machine-readable (ISO dates, status codes).
"""

from __future__ import annotations

import html
from datetime import date, time
from math import ceil
from typing import Any

from babel import numbers

from hms import i18n
from hms.i18n import N_, _, ngettext
from hms.i18n.formats import format_date, format_number, format_percent, format_skeleton, format_time, weekday_names

from ..ui.theme import CHART_INK, STATUS_LABELS

STATUS_COLOURS = {'booked': '#0284c7', 'completed': '#15803d', 'cancelled': '#94a3b8', 'no_show': '#d97706'}
GENDER_COLOURS = {'female': '#db2777', 'male': '#2563eb', 'other': '#7c3aed', 'undisclosed': '#94a3b8'}
GENDER_LABELS = {'female': N_('Female'), 'male': N_('Male'), 'other': N_('Other'), 'undisclosed': N_('Not said')}
# Colour is never the only thing that tells the statuses (or genders) apart: each also has its own pattern inside its
# bars and legend entry (solid, stripes, crosses, dots), and every chart offers its figures as a table.
STATUS_PATTERNS = {'booked': '', 'completed': '/', 'cancelled': 'x', 'no_show': '.'}
GENDER_PATTERNS = {'female': '', 'male': '/', 'other': 'x', 'undisclosed': '.'}
# Text is drawn in CHART_INK; on dark pages theme.CSS recolours it (the same figure serves both modes, and 'auto'
# mode is only known to the browser). Backgrounds stay transparent, grid lines and the heat map's empty cells are
# translucent, and hover labels are white with dark text, so every part reads on light and dark surfaces alike.
INK = CHART_INK
GRID = 'rgba(148, 163, 184, 0.25)'
HEAT = [[0, 'rgba(45, 212, 191, 0.08)'], [0.5, '#2dd4bf'], [1, '#0f766e']]  # teal, the clinic's colour
HOVER = {'bgcolor': '#ffffff', 'bordercolor': '#94a3b8', 'font': {'color': '#0f172a'}}
HOVER_TEXT = '%{hovertext}<extra></extra>'  # the hover label composed for each point (see _hover)
MAX_DATE_TICKS = 8

EMPTY = N_('Nothing to show for this period yet. Try a longer period, or other filters.')

Figure = dict[str, Any]
Table = tuple[list[str], list[list[Any]]]


def _separators() -> str:
    """Plotly's decimal and thousands separators for the current language ('.,' in English, ',.' in German)."""
    locale = i18n.locale()
    return numbers.get_decimal_symbol(locale) + numbers.get_group_symbol(locale)


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        'paper_bgcolor': 'rgba(0,0,0,0)',
        'plot_bgcolor': 'rgba(0,0,0,0)',
        'font': {'color': INK, 'size': 12},
        'separators': _separators(),
        'margin': {'l': 48, 'r': 12, 't': 8, 'b': 40},
        'autosize': True,
        'legend': {'orientation': 'h', 'y': -0.22, 'x': 0},
        'hovermode': 'closest',
        'hoverlabel': HOVER,
        'xaxis': {'gridcolor': GRID, 'zerolinecolor': GRID},
        'yaxis': {'gridcolor': GRID, 'zerolinecolor': GRID},
    }
    layout.update(extra)
    return layout


def _marker(colour: str, pattern: str = '') -> dict[str, Any]:
    """A bar's fill: its colour, with a translucent dark pattern drawn over it (none for '')."""
    marker: dict[str, Any] = {'color': colour}
    if pattern:
        marker['pattern'] = {'shape': pattern, 'fillmode': 'overlay', 'fgcolor': '#0f172a', 'fgopacity': 0.5, 'size': 7}
    return marker


def _is_empty(data: list[dict[str, Any]]) -> bool:
    for trace in data:
        values = trace.get('z') or (trace.get('x') if trace.get('orientation') == 'h' else trace.get('y')) or []
        values = [*values, *(trace.get('customdata') or [])]  # e.g. 0 % booked of 40 published slots is news
        flat = [v for row in values for v in (row if isinstance(row, list) else [row])]
        if any(flat):
            return False
    return True


def is_empty(figure: Figure) -> bool:
    """Whether a figure is in its empty state (no traces: the page shows the empty text as wrapping HTML)."""
    return not figure['data']


def _figure(name: str, data: list[dict[str, Any]], *, select: bool = False, **layout: Any) -> Figure:
    if _is_empty(data):  # an empty state that says what to do, instead of bare axes (or a heat map's solid block)
        data = []
        layout['annotations'] = [
            {
                'text': _(EMPTY),
                'showarrow': False,
                'xref': 'paper',
                'yref': 'paper',
                'x': 0.5,
                'y': 0.5,
                'font': {'size': 13},
            }
        ]
        layout['xaxis'] = {**layout.get('xaxis', {}), 'visible': False}
        layout['yaxis'] = {**layout.get('yaxis', {}), 'visible': False}
        layout['showlegend'] = False
    return {
        'data': data,
        'layout': _layout(**layout),
        'config': {
            'displaylogo': False,
            'responsive': True,
            'toImageButtonOptions': {'format': 'png', 'filename': f'hms-{name}', 'scale': 2},
            # a time axis keeps box select: selecting a range of days sets the period
            'modeBarButtonsToRemove': ['lasso2d'] if select else ['lasso2d', 'select2d'],
        },
    }


def _date_axis(days: list[str], **extra: Any) -> dict[str, Any]:
    """A date axis over ISO ``days`` whose tick labels are written by the locale ('2 Mar', '2. März', '2 mars'), the
    year added when the days span more than one; at most about MAX_DATE_TICKS ticks."""
    axis: dict[str, Any] = {'type': 'date', 'gridcolor': GRID, 'zerolinecolor': GRID, **extra}
    if not days:
        return axis
    parsed = [date.fromisoformat(day) for day in days]
    skeleton = 'MMMd' if parsed[0].year == parsed[-1].year else 'yMMMd'
    ticks = parsed[:: max(1, ceil(len(parsed) / MAX_DATE_TICKS))]
    axis |= {
        'tickmode': 'array',
        'tickvals': [day.isoformat() for day in ticks],
        'ticktext': [format_skeleton(skeleton, day) for day in ticks],
    }
    return axis


def _day_text(day: str) -> str:
    """An ISO date as the hover labels show it: '2 Mar 2026', '02.03.2026', '2 mars 2026'."""
    return format_date(date.fromisoformat(day))


def _status_name(status: str) -> str:
    return _(STATUS_LABELS[status])


def per_day(data: dict[str, Any]) -> Figure:
    """Appointments per day stacked by status; with ``data['previous']`` (and ``overlay``), the previous period's
    daily totals drawn over the same days as a line. A click on a bar lists that day's appointments."""
    series = data['per_day']
    days = series['dates']
    traces = []
    for status, values in series['series'].items():
        name = _status_name(status)
        hover = [
            _('{status} on {date}: {count}', status=name, date=_day_text(day), count=format_number(value))
            for day, value in zip(days, values, strict=True)
        ]
        traces.append(
            {
                'type': 'bar',
                'name': name,
                'x': days,
                'y': values,
                'hovertext': hover,
                'hovertemplate': HOVER_TEXT,
                'marker': _marker(STATUS_COLOURS[status], STATUS_PATTERNS[status]),
                'meta': {'status': status},
            }
        )
    previous = data.get('previous') if data.get('overlay') else None
    if previous and any(any(values) for values in series['series'].values()):
        earlier = previous['per_day']
        totals = [sum(values[index] for values in earlier['series'].values()) for index in range(len(earlier['dates']))]
        totals = (totals + [0] * len(days))[: len(days)]
        hover = [
            _('Previous period, {date}: {count}', date=_day_text(day), count=format_number(total))
            for day, total in zip(earlier['dates'], totals, strict=False)
        ]
        traces.append(
            {
                'type': 'scatter',
                'mode': 'lines+markers',
                'name': _('Previous period (total)'),
                'x': days,
                'y': totals,
                'hovertext': hover,
                'hovertemplate': HOVER_TEXT,
                'line': {'color': INK, 'dash': 'dot', 'width': 2},
                'marker': {'symbol': 'diamond', 'size': 6, 'color': INK},
            }
        )
    return _figure('appointments-per-day', traces, select=True, barmode='stack', xaxis=_date_axis(days))


def per_day_table(data: dict[str, Any]) -> Table:
    series = data['per_day']
    statuses = list(series['series'])
    rows = [[day, *(series['series'][s][i] for s in statuses)] for i, day in enumerate(series['dates'])]
    return ['date', *statuses], rows


def by_status(data: dict[str, Any]) -> Figure:
    """The period's appointments per status, one bar each; a click on a bar filters to that status."""
    series = data['per_day']['series']
    traces = []
    for status, values in series.items():
        name = _status_name(status)
        total = sum(values)
        traces.append(
            {
                'type': 'bar',
                'orientation': 'h',
                'name': name,
                'x': [total],
                'y': [name],
                'hovertext': [_('{status}: {count}', status=name, count=format_number(total))],
                'hovertemplate': HOVER_TEXT,
                'marker': _marker(STATUS_COLOURS[status], STATUS_PATTERNS[status]),
                'meta': {'status': status},
            }
        )
    return _figure(
        'appointments-by-status',
        traces,
        showlegend=False,
        yaxis={'autorange': 'reversed', 'automargin': True, 'gridcolor': GRID},
        xaxis={'gridcolor': GRID, 'zerolinecolor': GRID, 'rangemode': 'tozero'},
    )


def by_status_table(data: dict[str, Any]) -> Table:
    series = data['per_day']['series']
    return ['status', 'total'], [[status, sum(values)] for status, values in series.items()]


def plain(text: str) -> str:
    """User text (a doctor's or a department's name) as Plotly shows it literally: Plotly reads labels and hover
    text as a little HTML (``<b>``, ``<a href>``, ``<br>``) and decodes entities, so escaping makes markup text."""
    return html.escape(text, quote=False)


def _stacked_by_status(name: str, rows: list[dict[str, Any]], label: str, *, horizontal: bool) -> Figure:
    """Bars of ``rows`` stacked by status; each trace's ``meta`` names its status and the ids of its bars (a click
    filters the dashboard to that department or doctor)."""
    labels = [plain(row[label]) for row in rows]
    ids = [row.get(f'{label}_id') for row in rows]
    traces = []
    for status, colour in STATUS_COLOURS.items():
        values = [row.get(status, 0) for row in rows]
        status_name = _status_name(status)
        hover = [
            _('{name}, {status}: {count}', name=text, status=status_name, count=format_number(value))
            for text, value in zip(labels, values, strict=True)
        ]
        trace: dict[str, Any] = {
            'type': 'bar',
            'name': status_name,
            'marker': _marker(colour, STATUS_PATTERNS[status]),
            'hovertext': hover,
            'hovertemplate': HOVER_TEXT,
            'meta': {'status': status, 'filter': label, 'ids': ids},
        }
        trace.update({'x': values, 'y': labels, 'orientation': 'h'} if horizontal else {'x': labels, 'y': values})
        traces.append(trace)
    extra: dict[str, Any] = (
        {'yaxis': {'autorange': 'reversed', 'automargin': True, 'gridcolor': GRID}} if horizontal else {}
    )
    return _figure(name, traces, barmode='stack', **extra)


def by_department(data: dict[str, Any]) -> Figure:
    return _stacked_by_status('appointments-by-department', data['by_department'], 'department', horizontal=False)


def by_doctor(data: dict[str, Any]) -> Figure:
    return _stacked_by_status('appointments-by-doctor', data['by_doctor'], 'doctor', horizontal=True)


def _status_table(rows: list[dict[str, Any]], label: str) -> Table:
    columns = [label, *STATUS_COLOURS, 'total']
    return columns, [[row.get(column, 0) for column in columns] for row in rows]


def by_department_table(data: dict[str, Any]) -> Table:
    return _status_table(data['by_department'], 'department')


def by_doctor_table(data: dict[str, Any]) -> Table:
    return _status_table(data['by_doctor'], 'doctor')


def _utilisation_hover(row: dict[str, Any]) -> str:
    return ngettext(
        '{doctor}: {share} ({booked} of {n} slot)',
        '{doctor}: {share} ({booked} of {n} slots)',
        row['published'],
        doctor=plain(row['doctor']),
        share=format_percent(row['share'] or 0, digits=1),
        booked=format_number(row['booked']),
    )


def utilisation(data: dict[str, Any]) -> Figure:
    rows = data['utilisation']
    trace = {
        'type': 'bar',
        'orientation': 'h',
        'name': _('Booked share'),
        'x': [round((row['share'] or 0) * 100, 1) for row in rows],
        'y': [plain(row['doctor']) for row in rows],
        'customdata': [[row['booked'], row['published']] for row in rows],
        'hovertext': [_utilisation_hover(row) for row in rows],
        'hovertemplate': HOVER_TEXT,
        'marker': {'color': '#0f766e'},
        'meta': {'filter': 'doctor', 'ids': [row.get('doctor_id') for row in rows]},
    }
    return _figure(
        'doctor-utilisation',
        [trace],
        showlegend=False,
        xaxis={'title': {'text': _('Share of published slots booked (%)')}, 'range': [0, 100], 'gridcolor': GRID},
        yaxis={'autorange': 'reversed', 'automargin': True, 'gridcolor': GRID},
    )


def utilisation_table(data: dict[str, Any]) -> Table:
    return ['doctor', 'booked', 'published', 'share'], [
        [row['doctor'], row['booked'], row['published'], row['share']] for row in data['utilisation']
    ]


def _weekly(
    name: str, label: str, weeks: list[str], counts: list[int], colour: str, hover: list[str], **layout: Any
) -> Figure:
    """One bar a week (``weeks``: the ISO dates of their Mondays), without a legend; ``hover`` labels each bar."""
    trace = {
        'type': 'bar',
        'name': label,
        'x': weeks,
        'y': counts,
        'marker': {'color': colour},
        'hovertext': hover,
        'hovertemplate': HOVER_TEXT,
    }
    return _figure(name, [trace], showlegend=False, xaxis=_date_axis(weeks), **layout)


def registrations(data: dict[str, Any]) -> Figure:
    series = data['registrations']
    weeks, counts = series['weeks'], series['counts']
    hover = [
        ngettext('Week of {week}: {n} new patient', 'Week of {week}: {n} new patients', count, week=_day_text(week))
        for week, count in zip(weeks, counts, strict=True)
    ]
    return _weekly('registrations-per-week', _('New patients'), weeks, counts, '#7c3aed', hover)


def registrations_table(data: dict[str, Any]) -> Table:
    series = data['registrations']
    return ['week_starting', 'new_patients'], [
        list(pair) for pair in zip(series['weeks'], series['counts'], strict=True)
    ]


def heatmap(data: dict[str, Any]) -> Figure:
    grid = data['heatmap']
    busy_hours = [hour for hour in grid['hours'] if any(row[hour] for row in grid['z'])]
    first, last = (min(busy_hours), max(busy_hours)) if busy_hours else (8, 18)
    hours = list(range(min(first, 8), max(last, 18) + 1))
    hour_labels = [format_time(time(hour)) for hour in hours]
    weekdays = weekday_names('abbreviated')[: len(grid['z'])]  # the rows run Monday to Sunday
    z = [[row[hour] for hour in hours] for row in grid['z']]
    hover = [
        [
            ngettext('{day} {time}: {n} appointment', '{day} {time}: {n} appointments', count, day=day, time=label)
            for label, count in zip(hour_labels, counts, strict=True)
        ]
        for day, counts in zip(weekdays, z, strict=True)
    ]
    trace = {
        'type': 'heatmap',
        'x': hour_labels,
        'y': weekdays,
        'z': z,
        'zmin': 0,
        'colorscale': HEAT,
        'colorbar': {'thickness': 10, 'tickformat': 'd'},
        'hovertext': hover,
        'hovertemplate': HOVER_TEXT,
        'meta': {'hours': hours},  # a click on a cell filters to its weekday (the row) and hour
    }
    return _figure('busiest-hours', [trace], yaxis={'autorange': 'reversed', 'gridcolor': GRID})


def heatmap_table(data: dict[str, Any]) -> Table:
    grid = data['heatmap']
    return ['weekday', *[f'{hour:02d}:00' for hour in grid['hours']]], [
        [weekday, *row] for weekday, row in zip(grid['weekdays'], grid['z'], strict=True)
    ]


def demographics(data: dict[str, Any]) -> Figure:
    rows = data['demographics']
    bands = list(dict.fromkeys(row['age_band'] for row in rows))
    traces = []
    for gender, colour in GENDER_COLOURS.items():
        name = _(GENDER_LABELS[gender])
        counts = [next(r['count'] for r in rows if r['age_band'] == band and r['gender'] == gender) for band in bands]
        hover = [
            ngettext('{gender}, {band}: {n} patient', '{gender}, {band}: {n} patients', count, gender=name, band=band)
            for band, count in zip(bands, counts, strict=True)
        ]
        traces.append(
            {
                'type': 'bar',
                'name': name,
                'x': bands,
                'marker': _marker(colour, GENDER_PATTERNS[gender]),
                'y': counts,
                'hovertext': hover,
                'hovertemplate': HOVER_TEXT,
            }
        )
    return _figure('patients-seen-by-age-and-gender', traces, barmode='group')


def demographics_table(data: dict[str, Any]) -> Table:
    return ['age_band', 'gender', 'patients'], [[r['age_band'], r['gender'], r['count']] for r in data['demographics']]


def visits_per_week(numbers: dict[str, Any]) -> Figure:
    weeks, counts = numbers['weeks'], numbers['visits_per_week']
    hover = [
        ngettext('Week of {week}: {n} visit', 'Week of {week}: {n} visits', count, week=_day_text(week))
        for week, count in zip(weeks, counts, strict=True)
    ]
    margin = {'l': 32, 'r': 8, 't': 8, 'b': 32}
    return _weekly('my-visits-per-week', _('Visits'), weeks, counts, '#15803d', hover, margin=margin)


WAIT_COLOUR, CONSULTATION_COLOUR = '#b45309', '#0f766e'  # amber 700 and teal 700: AA on white, told apart by hue


def _minutes_text(value: float | None) -> str:
    return _('no data') if value is None else _('{n} min', n=format_number(value))


def visit_times(data: dict[str, Any]) -> Figure:
    """Median wait and median consultation per doctor over the period, in minutes, side by side."""
    rows = data['visit_times']['by_doctor']
    labels = [plain(row['doctor']) for row in rows]
    traces = []
    for key, name, colour in (
        ('median_wait_minutes', _('Median wait'), WAIT_COLOUR),
        ('median_consultation_minutes', _('Median consultation'), CONSULTATION_COLOUR),
    ):
        values = [row[key] for row in rows]
        hover = [
            _('{name}, {figure}: {minutes}', name=label, figure=name, minutes=_minutes_text(value))
            for label, value in zip(labels, values, strict=True)
        ]
        traces.append(
            {
                'type': 'bar',
                'orientation': 'h',
                'name': name,
                'x': values,
                'y': labels,
                'hovertext': hover,
                'hovertemplate': HOVER_TEXT,
                'marker': _marker(colour, '' if key == 'median_wait_minutes' else '/'),  # not by hue alone
            }
        )
    return _figure(
        'waiting-and-consultation-times',
        traces,
        barmode='group',
        xaxis={'title': {'text': _('Minutes')}, 'gridcolor': GRID, 'zerolinecolor': GRID, 'rangemode': 'tozero'},
        yaxis={'autorange': 'reversed', 'automargin': True, 'gridcolor': GRID},
    )


def visit_times_table(data: dict[str, Any]) -> Table:
    """The chart's figures: per doctor, then per department as a whole (no doctor), the medians over the period and
    how many visits each stands on (the API has them per day too)."""
    times = data['visit_times']
    columns = ['doctor', 'department', 'median_wait_minutes', 'median_consultation_minutes', 'waits', 'consultations']
    doctors = [[row.get(column, '') for column in columns] for row in times['by_doctor']]
    departments = [[row.get(column, '') for column in columns] for row in times['by_department']]
    return columns, doctors + departments


def visits_per_week_table(numbers: dict[str, Any]) -> Table:
    return ['week_starting', 'visits'], [
        list(pair) for pair in zip(numbers['weeks'], numbers['visits_per_week'], strict=True)
    ]


# The headers of the tables as the page shows them (the CSV files keep the machine-readable names).
COLUMN_LABELS = {
    'date': N_('Date'),
    'status': N_('Status'),
    'department': N_('Department'),
    'doctor': N_('Doctor'),
    'total': N_('Total'),
    'published': N_('Published slots'),
    'share': N_('Booked share'),
    'week_starting': N_('Week starting'),
    'new_patients': N_('New patients'),
    'visits': N_('Visits'),
    'weekday': N_('Weekday'),
    'age_band': N_('Age band'),
    'gender': N_('Gender'),
    'patients': N_('Patients'),
    'median_wait_minutes': N_('Median wait (minutes)'),
    'median_consultation_minutes': N_('Median consultation (minutes)'),
    'waits': N_('Waits'),
    'consultations': N_('Consultations'),
}


def readable(table: Table) -> Table:
    """A chart's table as a page shows it, with the same figures: headers and values in the page's language (dates,
    numbers, shares, statuses and genders), user text as it is (the page escapes it)."""
    header, rows = table
    return [_column(name) for name in header], [
        [_cell(name, value) for name, value in zip(header, row, strict=True)] for row in rows
    ]


def _column(name: str) -> str:
    if name in STATUS_LABELS:
        return _(STATUS_LABELS[name])
    if name in COLUMN_LABELS:
        return _(COLUMN_LABELS[name])
    if len(name) == 5 and name.endswith(':00') and name[:2].isdigit():  # an hour of the busiest-hours table
        return format_time(time(int(name[:2])))
    return name


def _cell(name: str, value: Any) -> str:
    if value is None:
        return '–'
    if name == 'share':
        return format_percent(value, digits=1)
    if name == 'status' and value in STATUS_LABELS:
        return _(STATUS_LABELS[value])
    if name == 'gender':
        return _(GENDER_LABELS[value]) if value in GENDER_LABELS else str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    if name in ('date', 'week_starting'):
        return _day_text(str(value))
    return str(value)


# (title, figure builder, table builder, file stem) for every dashboard chart, in page order; the titles are marked
# for translation here and translated where they are shown (``_(title)``)
CHARTS = [
    (N_('Appointments per day'), per_day, per_day_table, 'appointments-per-day'),
    (N_('By status'), by_status, by_status_table, 'appointments-by-status'),
    (N_('By department'), by_department, by_department_table, 'appointments-by-department'),
    (N_('By doctor'), by_doctor, by_doctor_table, 'appointments-by-doctor'),
    (N_('Doctor utilisation'), utilisation, utilisation_table, 'doctor-utilisation'),
    (N_('New patients per week'), registrations, registrations_table, 'registrations-per-week'),
    (N_('Busiest hours of the week'), heatmap, heatmap_table, 'busiest-hours'),
    (N_('Age and gender of patients seen'), demographics, demographics_table, 'patients-seen'),
    (N_('Waiting and consultation times'), visit_times, visit_times_table, 'visit-times'),
]
