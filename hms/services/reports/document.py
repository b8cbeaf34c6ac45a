"""A report as a document (headline figures, charts, tables, notes) and its three outputs: email-safe HTML, plain
text and a PDF. Each output shows the same document, in the same order, and in the language in force (the
recipient's): the HTML and text from the templates report.html and report.txt in hms/notify/templates."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from hms.i18n import _, current_language
from hms.notify.render import render


@dataclass(frozen=True)
class Chart:
    cid: str  # Content-ID without angle brackets; the HTML refers to it as cid:...
    filename: str
    title: str
    png: bytes


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    empty: str = ''  # what shows when there are no rows; '' for 'None this month.'
    numeric_from: int = 1  # columns from this index on are right-aligned


@dataclass
class Document:
    """What every output (HTML, text, PDF) of one report shows, in order."""

    title: str
    intro: str
    figures: list[tuple[str, str]]
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def to_html(document: Document) -> str:
    """Email-safe HTML (inline styles, tables); every value from the database is escaped (template report.html)."""
    return render('report.html', document=document)


def to_text(document: Document) -> str:
    """The same document as plain text (template report.txt)."""
    return render('report.txt', document=document)


@cache
def _font_files() -> tuple[Path, Path]:
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / 'fonts' / 'ttf'
    return fonts / 'DejaVuSans.ttf', fonts / 'DejaVuSans-Bold.ttf'


ROW_MM = 5.0
PADDING_MM = 1.0
BASELINE_MM = 3.6  # from a row's top to the text's baseline, for 9 pt text in a 5 mm row


class _Widths:
    """String widths (mm) in the current font, summed from each character's width measured once. fpdf2's own
    ``get_string_width`` prepares bidirectional text and font styles on every call."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.chars: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        chars = self.chars
        total = 0.0
        for char in text:
            width = chars.get(char)
            if width is None:
                width = chars[char] = self.pdf.get_string_width(char)
            total += width
        return total


def _plain_table(pdf: Any, section: Table, family: str) -> None:
    """One line per row, drawn directly: text placed with ``text()`` and the grid with lines, column widths measured
    once from the widest text of each column (scaled to the page width), long text cut to its column with an
    ellipsis, the header repeated on each new page. fpdf2's ``table()`` lays every cell out as a wrapping paragraph
    (about 60 % of a monthly report's time went there)."""
    columns = len(section.header)
    pdf.set_font(family, 'B', 9)
    bold = _Widths(pdf)
    header_widths = [bold(text) for text in section.header]
    pdf.set_font(family, '', 9)
    regular = _Widths(pdf)
    measured = [[regular(value) for value in row[:columns]] for row in section.rows]
    wanted = [width + 2 * PADDING_MM for width in header_widths]
    for widths in measured:
        for index, width in enumerate(widths):
            wanted[index] = max(wanted[index], width + 2 * PADDING_MM)
    scale = pdf.epw / (sum(wanted) or 1.0)
    widths = [width * scale for width in wanted]
    left = pdf.l_margin
    edges = [left]
    for width in widths:
        edges.append(edges[-1] + width)

    def line(values: list[str], sizes: list[float], measure: _Widths, *, header: bool) -> None:
        top = pdf.get_y()
        if header:
            pdf.rect(left, top, edges[-1] - left, ROW_MM, style='DF')
        else:
            pdf.rect(left, top, edges[-1] - left, ROW_MM)
        for index in range(columns):
            if index:
                pdf.line(edges[index], top, edges[index], top + ROW_MM)
            value = values[index] if index < len(values) else ''
            if not value:
                continue
            room = widths[index] - 2 * PADDING_MM
            size = sizes[index] if index < len(sizes) else measure(value)
            if size > room:
                value, size = _cut(value, room, measure)
            right = index >= section.numeric_from and not header
            x = edges[index + 1] - PADDING_MM - size if right else edges[index] + PADDING_MM
            pdf.text(x, top + BASELINE_MM, value)
        pdf.set_y(top + ROW_MM)

    def header() -> None:
        pdf.set_font(family, 'B', 9)
        pdf.set_fill_color(241, 245, 249)
        line(section.header, header_widths, bold, header=True)
        pdf.set_font(family, '', 9)

    header()
    for row, sizes in zip(section.rows, measured, strict=True):
        if pdf.will_page_break(ROW_MM):
            pdf.add_page()
            header()
        line(row, sizes, regular, header=False)


def _cut(text: str, room: float, measure: _Widths) -> tuple[str, float]:
    """``text`` cut with an ellipsis so that it fits ``room`` mm, and its width."""
    ellipsis = measure('…')
    total = ellipsis
    for index, char in enumerate(text):
        width = measure(char)
        if total + width > room:
            return text[:index] + '…', total
        total += width
    return text, total - ellipsis


CORE_ENCODING = 'windows-1252'  # Latin letters of English, German and French, typographic quotes, dashes, '…', '€'


def _core_font_prints(document: Document) -> bool:
    """Whether every text of the document prints in PDF's built-in Helvetica (Windows-1252)."""
    texts = [document.title, document.intro, *document.notes, _('None this month.')]
    texts += [text for pair in document.figures for text in pair]
    texts += [chart.title for chart in document.charts]
    for table in document.tables:
        texts += [table.title, table.empty, *table.header, *(value for row in table.rows for value in row)]
    try:
        '\n'.join(texts).encode(CORE_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def to_pdf(document: Document) -> bytes:
    """The report as a PDF (fpdf2, pure Python), with a Unicode font so that any name prints."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation='portrait', unit='mm', format='A4')
    pdf.core_fonts_encoding = CORE_ENCODING
    pdf.set_title(document.title)
    pdf.set_lang(current_language())
    pdf.set_creator('HMS')
    if _core_font_prints(document):
        family = 'Helvetica'  # built into every PDF reader: nothing to parse or embed
    else:  # a name or note beyond Windows-1252: a Unicode font, parsed and embedded (~0.3 s a report)
        regular, bold = _font_files()
        pdf.add_font('DejaVu', '', str(regular))
        pdf.add_font('DejaVu', 'B', str(bold))
        family = 'DejaVu'

    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(family, 'B', 16)
    pdf.set_text_color(15, 118, 110)
    pdf.multi_cell(0, 8, document.title, new_x='LMARGIN', new_y='NEXT')
    pdf.set_text_color(15, 23, 42)
    pdf.set_font(family, '', 10)
    pdf.multi_cell(0, 6, document.intro, new_x='LMARGIN', new_y='NEXT')
    pdf.ln(3)
    with pdf.table(col_widths=(3, 2, 3, 2), first_row_as_headings=False, line_height=6) as table:
        for index in range(0, len(document.figures), 2):
            row = table.row()
            for label, value in document.figures[index : index + 2]:
                row.cell(label)
                row.cell(value, style=FontFace(emphasis='BOLD'))
    for chart in document.charts:
        pdf.ln(3)
        pdf.set_font(family, 'B', 12)
        pdf.cell(0, 8, chart.title, new_x='LMARGIN', new_y='NEXT')
        pdf.image(io.BytesIO(chart.png), w=pdf.epw)
    for section in document.tables:
        pdf.ln(3)
        pdf.set_font(family, 'B', 12)
        pdf.cell(0, 8, section.title, new_x='LMARGIN', new_y='NEXT')
        pdf.set_font(family, '', 9)
        if not section.rows:
            pdf.cell(0, 6, section.empty or _('None this month.'), new_x='LMARGIN', new_y='NEXT')
            continue
        _plain_table(pdf, section, family)
    pdf.ln(4)
    pdf.set_font(family, '', 8)
    for note in document.notes:
        pdf.multi_cell(0, 4, note, new_x='LMARGIN', new_y='NEXT')
    return bytes(pdf.output())
