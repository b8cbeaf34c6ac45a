"""Tables: column definitions, ``ListTable`` (a list of items with its empty state, loading bar and row actions) and
``PagedTable``, a long list read from the server one page at a time through NiceGUI's own table (Quasar's
server-side pagination).

Column labels are marked for translation where the columns are defined (``N_``, often at module level) and translated
by the tables when they are built; everything else a caller passes (search labels, empty states, the order) comes
translated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from nicegui import background_tasks, events, ui

from hms.i18n import _
from hms.i18n.formats import format_number
from hms.services.views import Page

from ..ui import theme
from ..ui.address import Address, keep
from .forms import loading

T = TypeVar('T')
ROWS_PER_PAGE = (10, 25, 50, 100)


def column(
    name: str, label: str, *, align: str = 'left', sortable: bool = False, field: str = '', sticky: bool = False
) -> dict[str, Any]:
    """One column of a ``ui.table``; its field is its name unless given; ``label`` marked with ``N_`` (the tables
    translate it). A ``sticky`` column (a row's actions) stays at the end of the screen while a table too wide for
    it (a phone, a narrow laptop window) scrolls sideways, so its buttons are never clipped."""
    spec: dict[str, Any] = {'name': name, 'label': label, 'field': field or name, 'align': align}
    if sortable:
        spec['sortable'] = True
    if sticky:
        spec['classes'] = spec['headerClasses'] = theme.STICKY_END
    return spec


def sortable(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    """Left-aligned sortable columns from (name, label) pairs: the name is the sort key the server is asked for."""
    return [column(name, label, sortable=True) for name, label in pairs]


def columns(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    """Left-aligned columns from (name, label) pairs."""
    return [column(name, label) for name, label in pairs]


def translated(table_columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The columns with their labels in the current language."""
    return [{**spec, 'label': _(spec['label']) if spec.get('label') else ''} for spec in table_columns]


class SearchBox(ui.input):
    """The search field above a list: every change (debounced) reads the list again."""

    def __init__(
        self, label: str, on_change: Callable[[], Any], *, hint: str = '', dense: bool = False, value: str = ''
    ) -> None:
        super().__init__(label, value=value, on_change=on_change)  # a value given here reads nothing again
        self.props(f'outlined clearable debounce=300 type=search{" dense" if dense else ""}')
        if hint:
            self.props['hint'] = hint

    @property
    def query(self) -> str:
        return (self.value or '').strip()

    def empty(self, no_match: str, none_yet: str) -> Callable[[], str]:
        """What an empty list says: nothing matches the search, or there is nothing yet."""
        return lambda: no_match if self.query else none_yet


@dataclass(frozen=True)
class Sort:
    """The column the user sorts by (None: the list's own order) and its direction."""

    by: str | None = None
    descending: bool = False


@dataclass(frozen=True)
class Paging:
    """Which page of a list, how many rows and in what order, as its address keeps them:
    ``?page=2&rows=50&sort=email&desc=1``. A list's default ``Paging`` is left out of the address."""

    page: int = 1
    rows: int = 25
    sort: Sort = Sort()

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.rows

    @classmethod
    def read(cls, address: Address, keys: Collection[str], default: Paging) -> Paging:
        """The paging the address asks for; ``keys`` are the sort keys the list's service allows (anything else falls
        back to ``default`` and is named in the address's notice)."""
        page = address.number('page', 1) or 1
        rows = address.number('rows', default.rows, allowed=ROWS_PER_PAGE) or default.rows
        by = address.choice('sort', keys)
        sort = Sort(by, address.flag('desc')) if by else default.sort
        return cls(page, rows, sort)

    def written(self, default: Paging) -> dict[str, object]:
        """What the address says of this paging: only what differs from the list's default."""
        sort = self.sort if self.sort.by else default.sort  # sorting switched off: the list's own order
        changed = sort != default.sort
        return {
            'page': self.page if self.page != 1 else None,
            'rows': self.rows if self.rows != default.rows else None,
            'sort': sort.by if changed else None,
            'desc': sort.descending if changed else None,
        }


R = TypeVar('R')


class ListTable(ui.table, Generic[T]):
    """A list of items as a table: a row per item (``to_row``), ``empty`` in place of the table while there is none,
    Quasar's loading bar while the list is read again (a later read supersedes a slower earlier one), and the item that
    a button in a row names (``picked``).

    The table is marked ``{name}-table`` (or ``marker``), the empty state ``{name}-empty``. Column labels are translated
    here (see the module); Quasar's own texts (rows per page, the position in the list) come in the page's language
    with Quasar's language pack (``pages/ui/i18n.py``).
    """

    def __init__(
        self,
        name: str,
        table_columns: list[dict[str, Any]],
        to_row: Callable[[T], dict[str, Any]],
        *,
        empty: str | Callable[[], str],
        load: Callable[[], Awaitable[list[T] | None]] | None = None,
        pagination: int | dict[str, Any] | None = None,
        marker: str | None = None,
        row_key: str = 'id',
    ) -> None:
        super().__init__(columns=translated(table_columns), rows=[], row_key=row_key, pagination=pagination)
        self.classes('w-full').props('flat bordered').mark(marker or f'{name}-table')
        self.to_row, self.empty_text, self.load_list = to_row, empty, load
        self.listed: dict[Any, T] = {}
        self.generation = 0
        self.empty = ui.label('').classes(theme.INFO_BANNER).mark(f'{name}-empty')  # shown instead of the table

    def show_items(self, items: list[T]) -> None:
        rows = [self.to_row(item) for item in items]
        self.listed = {row[self.row_key]: item for row, item in zip(rows, items, strict=True)}
        self.rows = rows
        self.update()
        self.set_visibility(bool(items))
        self.empty.text = self.empty_text() if callable(self.empty_text) else self.empty_text
        self.empty.set_visibility(not items)

    async def reload(self) -> None:
        """Read the list again and show it."""
        if self.load_list is None:
            return
        items = await self.read(self.load_list())
        if items is not None:
            self.show_items(items)

    async def read(self, reading: Awaitable[R | None]) -> R | None:
        """Wait for ``reading`` under the loading bar; None when a later read has superseded it."""
        self.generation += 1
        generation = self.generation
        with loading(self):
            result = await reading
        return result if generation == self.generation else None

    def picked(self, event: events.GenericEventArguments, gone: str) -> T | None:
        """The listed item whose row sent ``event`` (a button in the row), or None with ``gone`` told to the user."""
        row = event.args if isinstance(event.args, dict) else {}
        found = self.listed.get(row.get(self.row_key))
        if found is None:
            ui.notify(gone, type='warning')
        return found


Load = Callable[[int, int, Sort], Awaitable[Page[T] | None]]


class PagedTable(ListTable[T]):
    """One page of a long list, read on demand: Quasar's pagination (rows per page, previous and next) and its sortable
    column headers ask the server for the page to show (the table's ``request`` event).

    ``load(offset, limit, sort)`` reads a page (None: nothing to show now, e.g. the filters are unreadable or the
    session ended). Under the table a line says where the page is (marked ``{name}-summary``), followed by ``order``.
    """

    def __init__(
        self,
        name: str,
        table_columns: list[dict[str, Any]],
        load: Load[T],
        to_row: Callable[[T], dict[str, Any]],
        *,
        first: Page[T],
        empty: str | Callable[[], str],
        rows_per_page: int = 25,
        sort: Sort = Sort(),
        order: str | Callable[[Sort], str] = '',
    ) -> None:
        pagination = {
            'page': 1,
            'rowsPerPage': rows_per_page,
            'rowsNumber': 0,
            'sortBy': sort.by,
            'descending': sort.descending,
        }
        super().__init__(name, table_columns, to_row, empty=empty, pagination=pagination)
        self.props('color=primary')  # the pagination's buttons, legible in dark mode too
        self.props['rows-per-page-options'] = list(ROWS_PER_PAGE)
        self.props[':pagination-label'] = "() => ''"  # the line under the table says where the page is
        self.load_page, self.order = load, order
        self.offset, self.limit, self.sort = 0, rows_per_page, sort
        self.shown: Callable[[], None] | None = None  # told after each page is shown (e.g. to update the address)
        with ui.row().classes('w-full justify-end'):
            self.summary = ui.label('').classes(theme.SUBTLE).mark(f'{name}-summary')
        self.on('request', self._requested)
        self.show(first, sort)
        if not first.items and first.total:  # the address named a page past the end: show the last one
            background_tasks.create(self.reload((first.total - 1) // first.limit * first.limit))

    @property
    def paging(self) -> Paging:
        """The page on show, as the address keeps it."""
        return Paging(self.offset // max(self.limit, 1) + 1, self.limit, self.sort)

    def keep_in_address(self, path: str, filters: Callable[[], Mapping[str, object]], default: Paging) -> None:
        """After each page is shown, put the filters and the paging into the address of ``path`` (a link or a reload
        shows the same list)."""
        self.shown = lambda: keep(path, {**filters(), **self.paging.written(default)})

    def show(self, page: Page[T], sort: Sort) -> None:
        self.offset, self.limit, self.sort = page.offset, page.limit, sort
        self.pagination = {
            'page': page.offset // max(page.limit, 1) + 1,
            'rowsPerPage': page.limit,
            'rowsNumber': page.total,
            'sortBy': sort.by,
            'descending': sort.descending,
        }
        self.show_items(page.items)
        last = page.offset + len(page.items)
        order = self.order(sort) if callable(self.order) else self.order
        numbers = {'first': format_number(page.offset + 1), 'last': format_number(last)}
        numbers['total'] = format_number(page.total)
        if self.shown is not None:
            self.shown()
        if not page.items:
            self.summary.text = ''
        elif order:
            self.summary.text = _('{first} to {last} of {total}, {order}', order=order, **numbers)
        else:
            self.summary.text = _('{first} to {last} of {total}', **numbers)

    async def reload(self, offset: int = 0, *, limit: int | None = None, sort: Sort | None = None) -> None:
        """Read the page at ``offset`` again (by default the first one: the filters changed)."""
        limit, sort = limit or self.limit, sort or self.sort
        page = await self.read(self.load_page(offset, limit, sort))
        if page is None:  # nothing to show, or a later read superseded this one
            return
        if not page.items and page.total and offset:  # the list got shorter: show its last page
            await self.reload((page.total - 1) // limit * limit, limit=limit, sort=sort)
            return
        self.show(page, sort)

    async def refresh(self) -> None:
        """Read the page on show again (after a change to one of its rows)."""
        await self.reload(self.offset)

    async def _requested(self, event: events.GenericEventArguments) -> None:
        asked = (event.args or {}).get('pagination') or {}
        limit = int(asked.get('rowsPerPage') or self.limit)
        page = max(1, int(asked.get('page') or 1))
        sort = Sort(asked.get('sortBy'), bool(asked.get('descending')))
        await self.reload((page - 1) * limit, limit=limit, sort=sort)
