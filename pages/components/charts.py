"""Plotly figures (as plain dicts) and their CSV tables, built from the dashboard data. Pure functions."""

from __future__ import annotations

from typing import Any

from ..ui.theme import CHART_INK, STATUS_LABELS

STATUS_COLOURS = {'booked': '#0284c7', 'completed': '#15803d', 'cancelled': '#94a3b8', 'no_show': '#d97706'}
GENDER_COLOURS = {'female': '#db2777', 'male': '#2563eb', 'other': '#7c3aed', 'undisclosed': '#94a3b8'}
GENDER_LABELS = {'female': 'Female', 'male': 'Male', 'other': 'Other', 'undisclosed': 'Not said'}
# Text is drawn in CHART_INK; on dark pages theme.CSS recolours it (the same figure serves both modes, and 'auto'
# mode is only known to the browser). Backgrounds stay transparent, grid lines and the heat map's empty cells are
# translucent, and hover labels are white with dark text, so every part reads on light and dark surfaces alike.
INK = CHART_INK
GRID = 'rgba(148, 163, 184, 0.25)'
HEAT = [[0, 'rgba(45, 212, 191, 0.08)'], [0.5, '#2dd4bf'], [1, '#0f766e']]  # teal, the clinic's colour
HOVER = {'bgcolor': '#ffffff', 'bordercolor': '#94a3b8', 'font': {'color': '#0f172a'}}

EMPTY = 'Nothing to show for this period yet. Try a longer period, or other filters.'

Figure = dict[str, Any]
Table = tuple[list[str], list[list[Any]]]


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        'paper_bgcolor': 'rgba(0,0,0,0)',
        'plot_bgcolor': 'rgba(0,0,0,0)',
        'font': {'color': INK, 'size': 12},
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


def _is_empty(data: list[dict[str, Any]]) -> bool:
    for trace in data:
        values = trace.get('z') or (trace.get('x') if trace.get('orientation') == 'h' else trace.get('y')) or []
        values = [*values, *(trace.get('customdata') or [])]  # e.g. 0 % booked of 40 published slots is news
        flat = [v for row in values for v in (row if isinstance(row, list) else [row])]
        if any(flat):
            return False
    return True


def _figure(name: str, data: list[dict[str, Any]], **layout: Any) -> Figure:
    if _is_empty(data):  # an empty state that says what to do, instead of bare axes
        layout['annotations'] = [
            {
                'text': EMPTY,
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
            'modeBarButtonsToRemove': ['lasso2d', 'select2d'],
        },
    }


def per_day(data: dict[str, Any]) -> Figure:
    series = data['per_day']
    traces = [
        {
            'type': 'bar',
            'name': STATUS_LABELS[status],
            'x': series['dates'],
            'y': values,
            'marker': {'color': STATUS_COLOURS[status]},
        }
        for status, values in series['series'].items()
    ]
    return _figure('appointments-per-day', traces, barmode='stack')


def per_day_table(data: dict[str, Any]) -> Table:
    series = data['per_day']
    statuses = list(series['series'])
    rows = [[day, *(series['series'][s][i] for s in statuses)] for i, day in enumerate(series['dates'])]
    return ['date', *statuses], rows


def _stacked_by_status(name: str, rows: list[dict[str, Any]], label: str, *, horizontal: bool) -> Figure:
    labels = [row[label] for row in rows]
    traces = []
    for status, colour in STATUS_COLOURS.items():
        values = [row.get(status, 0) for row in rows]
        trace: dict[str, Any] = {'type': 'bar', 'name': STATUS_LABELS[status], 'marker': {'color': colour}}
        trace.update({'x': values, 'y': labels, 'orientation': 'h'} if horizontal else {'x': labels, 'y': values})
        traces.append(trace)
    extra = {'yaxis': {'autorange': 'reversed', 'automargin': True, 'gridcolor': GRID}} if horizontal else {}
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


def utilisation(data: dict[str, Any]) -> Figure:
    rows = data['utilisation']
    trace = {
        'type': 'bar',
        'orientation': 'h',
        'name': 'Booked share',
        'x': [round((row['share'] or 0) * 100, 1) for row in rows],
        'y': [row['doctor'] for row in rows],
        'customdata': [[row['booked'], row['published']] for row in rows],
        'hovertemplate': '%{y}: %{x}% (%{customdata[0]} of %{customdata[1]} slots)<extra></extra>',
        'marker': {'color': '#0f766e'},
    }
    return _figure(
        'doctor-utilisation',
        [trace],
        showlegend=False,
        xaxis={'title': {'text': '% of published slots booked'}, 'range': [0, 100], 'gridcolor': GRID},
        yaxis={'autorange': 'reversed', 'automargin': True, 'gridcolor': GRID},
    )


def utilisation_table(data: dict[str, Any]) -> Table:
    return ['doctor', 'booked', 'published', 'share'], [
        [row['doctor'], row['booked'], row['published'], row['share']] for row in data['utilisation']
    ]


def _weekly(
    name: str, label: str, weeks: list[str], counts: list[int], colour: str, unit: str, **layout: Any
) -> Figure:
    """One bar a week, without a legend; the hover reads 'Week of 2026-03-02: 4{unit}'."""
    trace = {
        'type': 'bar',
        'name': label,
        'x': weeks,
        'y': counts,
        'marker': {'color': colour},
        'hovertemplate': f'Week of %{{x}}: %{{y}}{unit}<extra></extra>',
    }
    return _figure(name, [trace], showlegend=False, **layout)


def registrations(data: dict[str, Any]) -> Figure:
    series = data['registrations']
    return _weekly('registrations-per-week', 'New patients', series['weeks'], series['counts'], '#7c3aed', '')


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
    trace = {
        'type': 'heatmap',
        'x': [f'{hour:02d}:00' for hour in hours],
        'y': grid['weekdays'],
        'z': [[row[hour] for hour in hours] for row in grid['z']],
        'colorscale': HEAT,
        'hovertemplate': '%{y} %{x}: %{z} appointments<extra></extra>',
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
    traces = [
        {
            'type': 'bar',
            'name': GENDER_LABELS[gender],
            'x': bands,
            'marker': {'color': colour},
            'y': [next(r['count'] for r in rows if r['age_band'] == band and r['gender'] == gender) for band in bands],
        }
        for gender, colour in GENDER_COLOURS.items()
    ]
    return _figure('patients-seen-by-age-and-gender', traces, barmode='group')


def demographics_table(data: dict[str, Any]) -> Table:
    return ['age_band', 'gender', 'patients'], [[r['age_band'], r['gender'], r['count']] for r in data['demographics']]


def visits_per_week(numbers: dict[str, Any]) -> Figure:
    margin = {'l': 32, 'r': 8, 't': 8, 'b': 32}
    weeks, counts = numbers['weeks'], numbers['visits_per_week']
    return _weekly('my-visits-per-week', 'Visits', weeks, counts, '#15803d', ' visits', margin=margin)


# (title, figure builder, table builder, file stem) for every dashboard chart, in page order
CHARTS = [
    ('Appointments per day', per_day, per_day_table, 'appointments-per-day'),
    ('By department', by_department, by_department_table, 'appointments-by-department'),
    ('By doctor', by_doctor, by_doctor_table, 'appointments-by-doctor'),
    ('Doctor utilisation', utilisation, utilisation_table, 'doctor-utilisation'),
    ('New patients per week', registrations, registrations_table, 'registrations-per-week'),
    ('Busiest hours of the week', heatmap, heatmap_table, 'busiest-hours'),
    ('Age and gender of patients seen', demographics, demographics_table, 'patients-seen'),
]
