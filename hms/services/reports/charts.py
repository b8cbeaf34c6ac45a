"""The report's charts, drawn with matplotlib (Agg, no display) as PNG images, labelled in the language in force.

Names and diagnoses on a chart are what users typed: they are drawn as written, never parsed as mathtext ('$x$')."""

from __future__ import annotations

import io
from typing import Any

from hms.i18n import N_, _
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
    replace the constrained layout, which drew the figure twice (a third of a report's time went to charts)."""
    figure = _new_figure(constrained=False)
    figure.subplots_adjust(left=0.08, right=0.96, top=0.97, bottom=0.22)
    axes = figure.add_subplot()
    days = list(range(1, len(per_day['completed']) + 1))
    bottom = [0] * len(days)
    for status, label in STATUS_LABELS:
        axes.bar(days, per_day[status], bottom=bottom, color=COLOURS[status], label=_(label), width=0.8)
        bottom = [a + b for a, b in zip(bottom, per_day[status], strict=True)]
    axes.set_xlim(0.4, len(days) + 0.6)
    axes.set_ylim(0, max(*bottom, 1) * 1.25)  # room for the legend
    ticks = [day for day in days if day == 1 or day % 5 == 0]
    axes.set_xticks(ticks, [moments.short_day(month.first.replace(day=day)) for day in ticks])
    axes.set_xlabel(_('Day of {month}', month=month.label))
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc='upper right', fontsize=8, frameon=False, ncols=3)
    axes.spines[['top', 'right']].set_visible(False)
    return _png(figure)


def bar_chart(labels: list[str], values: list[int], xlabel: str) -> bytes:
    """Horizontal bars, the first label on top; long labels shortened."""
    height = max(1.6, 0.35 * len(labels) + 0.8)
    figure = _new_figure(7.0, height)
    axes = figure.add_subplot()
    shown = [label if len(label) <= 40 else label[:39] + '…' for label in labels]
    axes.barh(list(range(len(values)))[::-1], values, color=COLOURS['completed'])
    axes.set_yticks(list(range(len(values)))[::-1], shown, fontsize=8, parse_math=False)  # user text, as written
    axes.set_xlabel(xlabel)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.spines[['top', 'right']].set_visible(False)
    return _png(figure)
