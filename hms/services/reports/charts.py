"""The report's charts, drawn with matplotlib (Agg, no display) as PNG images, labelled in the language in force.

Names and diagnoses on a chart are what users typed: they are drawn as written, never parsed as mathtext ('$x$')."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

from hms.i18n import N_, _, current_language
from hms.notify import moments

from .month import Month

COLOURS = {'completed': '#0f766e', 'no_show': '#b45309', 'cancelled': '#94a3b8'}
STATUS_LABELS = (('completed', N_('Completed')), ('no_show', N_('No-show')), ('cancelled', N_('Cancelled')))


def _new_figure(width: float = 7.0, height: float = 2.8, *, constrained: bool = True) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout='constrained' if constrained else None)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> bytes:
    from matplotlib.text import Text

    for text in figure.findobj(Text):  # every text as written: '$x$' in a name is not mathtext (per object: threads)
        text.set_parse_math(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', metadata={'Software': None})
    return buffer.getvalue()


def per_day_chart(per_day: dict[str, list[int]], month: Month) -> bytes:
    """Appointments per day of the month, stacked by status. Its labels are short (counts, days), so fixed margins
    replace the constrained layout, which drew the figure twice. Every report of a month has the same axes, ticks and
    legend: they are built once per thread, month and language, and each report only sets its bars' heights (a
    third of a report's time went to building the figure)."""
    key = (month.key, len(per_day['completed']), current_language())
    template: _PerDay | None = getattr(_TEMPLATES, 'per_day', None)
    if template is None or template.key != key:
        template = _TEMPLATES.per_day = _per_day_template(key, month)
    bottom = [0] * len(template.bars['completed'])
    for status, _label in STATUS_LABELS:
        for bar, base, value in zip(template.bars[status], bottom, per_day[status], strict=True):
            bar.set_y(base)
            bar.set_height(value)
        bottom = [a + b for a, b in zip(bottom, per_day[status], strict=True)]
    template.axes.set_ylim(0, max(*bottom, 1) * 1.25)  # room for the legend
    return _png(template.figure)


@dataclass
class _PerDay:
    key: tuple[str, int, str]
    figure: Any
    axes: Any
    bars: dict[str, list[Any]]


_TEMPLATES = threading.local()  # a figure is never drawn by two threads at once


def _per_day_template(key: tuple[str, int, str], month: Month) -> _PerDay:
    figure = _new_figure(constrained=False)
    figure.subplots_adjust(left=0.08, right=0.96, top=0.97, bottom=0.22)
    axes = figure.add_subplot()
    days = list(range(1, key[1] + 1))
    bars = {}
    for status, label in STATUS_LABELS:
        bars[status] = list(axes.bar(days, [0] * len(days), color=COLOURS[status], label=_(label), width=0.8))
    axes.set_xlim(0.4, len(days) + 0.6)
    ticks = [day for day in days if day == 1 or day % 5 == 0]
    axes.set_xticks(ticks, [moments.short_day(month.first.replace(day=day)) for day in ticks])
    axes.set_xlabel(_('Day of {month}', month=month.label))
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc='upper right', fontsize=8, frameon=False, ncols=3)
    axes.spines[['top', 'right']].set_visible(False)
    return _PerDay(key, figure, axes, bars)


def bar_chart(labels: list[str], values: list[int], xlabel: str) -> bytes:
    """Horizontal bars, the first label on top; long labels shortened. The figure of a number of bars is built once
    per thread (and axis label); each chart sets its bars' lengths and its labels."""
    key = (len(values), xlabel)
    template: _Bars | None = getattr(_TEMPLATES, 'bars', {}).get(key)
    if template is None:
        height = max(1.6, 0.35 * len(labels) + 0.8)
        figure = _new_figure(7.0, height)
        axes = figure.add_subplot()
        bars = list(axes.barh(list(range(len(values)))[::-1], [0] * len(values), color=COLOURS['completed']))
        axes.set_xlabel(xlabel)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.spines[['top', 'right']].set_visible(False)
        template = _Bars(figure, axes, bars)
        if not hasattr(_TEMPLATES, 'bars') or len(_TEMPLATES.bars) > 16:
            _TEMPLATES.bars = {}
        _TEMPLATES.bars[key] = template
    for bar, value in zip(template.bars, values, strict=True):
        bar.set_width(value)
    template.axes.relim()
    template.axes.autoscale_view()
    shown = [label if len(label) <= 40 else label[:39] + '…' for label in labels]
    template.axes.set_yticks(list(range(len(values)))[::-1], shown, fontsize=8, parse_math=False)  # user text
    return _png(template.figure)


@dataclass
class _Bars:
    figure: Any
    axes: Any
    bars: list[Any]
