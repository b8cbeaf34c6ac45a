"""A chart everyone can read: a named figure whose picture (Plotly) comes with a "Show as table" alternative holding
the same figures, for screen readers, keyboards and anyone who prefers numbers to colours.

Plotly draws an SVG with dozens of loose texts and a toolbar of seven buttons per chart, and it cannot be named or
described itself. So the picture is hidden from screen readers (``aria-hidden``; its toolbar buttons are taken out of
the Tab order by ``pages/ui/static/a11y.js`` whenever Plotly draws them) and never given ``role=img``, which would
wrap interactive content; the ``<figure>`` around it is named by the chart's heading, and the table (a real HTML
table with a caption and column headers) is one Tab away.
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nicegui import ui

from hms.i18n import _

from ..ui import theme
from .charts import EMPTY, Figure, Table, is_empty, readable

# What a click on a point tells the server: compact, never Plotly's whole trace (``p.data``) with every point.
CLICK_JS = """(e) => {
  const p = e && e.points && e.points[0];
  if (!p) return;
  const meta = (p.data && p.data.meta) || {};
  const index = Array.isArray(p.pointIndex) ? p.pointIndex : [p.pointIndex ?? p.pointNumber];
  emit({x: String(p.x ?? ''), y: String(p.y ?? ''), index: index, meta: {
    status: meta.status ?? null, filter: meta.filter ?? null,
    id: meta.ids ? (meta.ids[index[0]] ?? null) : null,
    hour: meta.hours ? (meta.hours[index[1]] ?? null) : null}});
}"""
# A range chosen on a time axis: zooming (relayout) or box select (selected); both as [first, last] texts.
RANGE_JS = """(e) => {
  if (!e) return;
  let a = e['xaxis.range[0]'], b = e['xaxis.range[1]'];
  if (a === undefined && Array.isArray(e['xaxis.range'])) [a, b] = e['xaxis.range'];
  if (a === undefined && e.range && Array.isArray(e.range.x)) [a, b] = e.range.x;
  if (a !== undefined && b !== undefined) emit({first: String(a), last: String(b)});
}"""
Handler = Callable[[dict[str, Any]], Awaitable[None] | None]


def _shown(figure: Figure) -> Figure:
    """The figure as the picture draws it: an empty state's text is drawn as HTML over it (it wraps on a phone)."""
    if not is_empty(figure):
        return figure
    layout = {key: value for key, value in figure['layout'].items() if key != 'annotations'}
    return {**figure, 'layout': layout}


def _frame_of(figure: Figure) -> str:
    """Everything of a figure but its data (what a data-only update leaves as it is)."""
    return json.dumps([figure['layout'], figure.get('config')], sort_keys=True, default=str)


@dataclass(frozen=True)
class Prepared:
    """A figure and its table made ready to send once, for every page that shows them: the JSON texts that tell
    whether anything changed (``text``), whether only the data did (``frame``), and the data as sent (``data``)."""

    figure: Figure  # as the picture draws it
    table: Table
    empty: bool
    text: str
    frame: str
    data: str


def prepare(figure: Figure, table: Table) -> Prepared:
    shown = _shown(figure)
    text = json.dumps(figure, sort_keys=True, default=str)
    return Prepared(shown, table, is_empty(figure), text, _frame_of(shown), json.dumps(shown['data'], default=str))


class ChartView:
    """``title`` and ``summary`` come translated; ``level`` is the heading level of the title. Controls of the caller
    (a CSV button) go into ``actions``. ``show`` puts new figures into the picture and the table."""

    def __init__(
        self,
        title: str,
        figure: Figure,
        table: Table,
        *,
        level: int = 2,
        height: str = 'h-72',
        marker: str | None = None,
        summary: str = '',
        on_click: Handler | None = None,
        on_range: Handler | None = None,
    ) -> None:
        self.title = title
        self.table: Table = table
        self.holder = ui.element('figure').classes('w-full m-0 flex flex-col gap-1')
        with self.holder:
            with ui.row().classes('w-full items-center justify-between gap-1'):
                heading = ui.label(title).classes('text-base font-medium')
                heading.props(f'role=heading aria-level={level}')
                with ui.row().classes('items-center gap-1') as self.actions:
                    self.switch = ui.button(_('Show as table'), icon='table_chart', on_click=self.toggle)
                    self.switch.props('flat dense no-caps aria-expanded=false')
                    self.switch.props['aria-label'] = _('Show as table: {title}', title=title)  # visible text first
                    self.switch.mark(f'table-switch-{marker}' if marker else 'table-switch')
            if summary:
                ui.label(summary).classes(theme.SUBTLE)
            with ui.element('div').classes('relative w-full'):
                self.plot = ui.plotly(_shown(figure)).classes(f'w-full {height}')
                self.plot.props['aria-hidden'] = 'true'
                # the empty state: text that wraps at any width, over a picture without traces
                self.empty = ui.label(_(EMPTY)).classes(
                    'absolute inset-0 flex items-center justify-center text-center px-6 text-sm ' + theme.SUBTLE
                )
                self.empty.set_visibility(is_empty(figure))
                if marker:
                    self.empty.mark(f'empty-{marker}')
            if marker:
                self.plot.mark(f'chart-{marker}')
            if on_click is not None:
                self.plot.on('plotly_click', lambda event: on_click(event.args), js_handler=CLICK_JS)
            if on_range is not None:
                for name in ('plotly_relayout', 'plotly_selected'):
                    self.plot.on(name, lambda event: on_range(event.args), js_handler=RANGE_JS)
            # A region that scrolls sideways on narrow screens is focusable, so a keyboard can scroll it too.
            self.box = ui.element('div').classes('w-full overflow-x-auto').props('tabindex=0 role=region')
            self.box.props['aria-label'] = _('{title}: table', title=title)
            self.box.set_visibility(False)
            if marker:
                self.box.mark(f'table-{marker}')
        self.holder.props['aria-labelledby'] = heading.html_id
        self.switch.props['aria-controls'] = self.box.html_id
        self.grid: ui.html | None = None
        self.figure_json = json.dumps(figure, sort_keys=True, default=str)
        self.frame = _frame_of(_shown(figure))
        self.sends = {'full': 0, 'data': 0}  # how this chart's updates went out (tests and the bench read it)

    def toggle(self) -> None:
        shown = not self.box.visible
        self.box.set_visibility(shown)
        self.switch.props['aria-expanded'] = 'true' if shown else 'false'
        self.switch.text = _('Hide table') if shown else _('Show as table')
        self.switch.props['aria-label'] = (
            _('Hide table: {title}', title=self.title) if shown else _('Show as table: {title}', title=self.title)
        )
        if shown:
            self._draw_table()

    def show(self, figure: Figure, table: Table) -> bool:
        """Show a new figure and table (see ``show_prepared``); whether anything changed."""
        return self.show_prepared(prepare(figure, table))

    def show_prepared(self, ready: Prepared) -> bool:
        """Show a prepared figure and table: nothing is sent when the figure did not change, and only its data when
        its layout and config did not (Plotly.react on the page keeps the layout, the user's zoom included)."""
        self.table = ready.table
        if ready.text == self.figure_json:
            return False
        self.figure_json = ready.text
        self.empty.set_visibility(ready.empty)
        if ready.frame == self.frame and self.plot.client.has_socket_connection:
            self.plot.figure = ready.figure
            with self.plot._props.suspend_updates():  # the state a reconnecting page is drawn from, not sent now
                self.plot._props['options'] = ready.figure
            self.plot.client.run_javascript(
                f'(() => {{ const c = getElement({self.plot.id}); if (!c || !c.Plotly) return;'
                f' const data = {ready.data}; c.options.data = data;'
                ' c.Plotly.react(c.$el, data, c.$el.layout, c.options.config); })()'
            )
            self.sends['data'] += 1
        else:
            self.frame = ready.frame
            self.plot.update_figure(ready.figure)
            self.sends['full'] += 1
        if self.box.visible:
            self._draw_table()
        return True

    def _draw_table(self) -> None:
        content = table_html(self.title, self.table)
        if self.grid is None:
            with self.box:
                self.grid = ui.html(content, sanitize=False)  # every text in it is escaped by table_html
        else:
            self.grid.set_content(content)


def table_html(caption: str, table: Table) -> str:
    """A chart's figures as an HTML table (texts escaped): a caption, column headers, numbers aligned right."""
    header, rows = readable(table)
    raw_rows = table[1]

    def cell(value: str, raw: Any, first: bool) -> str:
        text = html.escape(value)
        if first:
            return f'<th scope="row">{text}</th>'
        numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
        return f'<td class="num">{text}</td>' if numeric else f'<td>{text}</td>'

    head = ''.join(f'<th scope="col">{html.escape(name)}</th>' for name in header)
    lines = []
    for shown, values in zip(rows, raw_rows, strict=True):
        cells = (cell(text, value, index == 0) for index, (text, value) in enumerate(zip(shown, values, strict=True)))
        lines.append(f'<tr>{"".join(cells)}</tr>')
    body = ''.join(lines)
    if not rows:
        body = f'<tr><td colspan="{max(len(header), 1)}">{html.escape(_("No figures for this period."))}</td></tr>'
    return (
        f'<table class="{theme.CHART_TABLE}"><caption>{html.escape(caption)}</caption>'
        f'<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )
