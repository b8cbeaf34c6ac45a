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
from typing import Any

from nicegui import ui

from hms.i18n import _

from ..ui import theme
from .charts import Figure, Table, readable


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
            self.plot = ui.plotly(figure).classes(f'w-full {height}')
            self.plot.props['aria-hidden'] = 'true'
            if marker:
                self.plot.mark(f'chart-{marker}')
            # A region that scrolls sideways on narrow screens is focusable, so a keyboard can scroll it too.
            self.box = ui.element('div').classes('w-full overflow-x-auto').props('tabindex=0 role=region')
            self.box.props['aria-label'] = _('{title}: table', title=title)
            self.box.set_visibility(False)
            if marker:
                self.box.mark(f'table-{marker}')
        self.holder.props['aria-labelledby'] = heading.html_id
        self.switch.props['aria-controls'] = self.box.html_id
        self.grid: ui.html | None = None

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

    def show(self, figure: Figure, table: Table) -> None:
        self.plot.update_figure(figure)
        self.table = table
        if self.box.visible:
            self._draw_table()

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
