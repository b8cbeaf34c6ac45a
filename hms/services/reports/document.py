"""A report as a document (headline figures, charts, tables, notes) and its three outputs: email-safe HTML, plain
text and a PDF. Each output shows the same document, in the same order, and in the language in force (the
recipient's): the HTML and text from the templates report.html and report.txt in hms/notify/templates."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

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


def to_pdf(document: Document) -> bytes:
    """The report as a PDF (fpdf2, pure Python), with a Unicode font so that any name prints."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    regular, bold = _font_files()
    pdf = FPDF(orientation='portrait', unit='mm', format='A4')
    pdf.set_title(document.title)
    pdf.set_lang(current_language())
    pdf.set_creator('HMS')
    pdf.add_font('DejaVu', '', str(regular))
    pdf.add_font('DejaVu', 'B', str(bold))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font('DejaVu', 'B', 16)
    pdf.set_text_color(15, 118, 110)
    pdf.multi_cell(0, 8, document.title, new_x='LMARGIN', new_y='NEXT')
    pdf.set_text_color(15, 23, 42)
    pdf.set_font('DejaVu', '', 10)
    pdf.multi_cell(0, 6, document.intro, new_x='LMARGIN', new_y='NEXT')
    pdf.ln(3)
    heading = FontFace(emphasis='BOLD', fill_color=(241, 245, 249))
    with pdf.table(col_widths=(3, 2, 3, 2), first_row_as_headings=False, line_height=6) as table:
        for index in range(0, len(document.figures), 2):
            row = table.row()
            for label, value in document.figures[index : index + 2]:
                row.cell(label)
                row.cell(value, style=FontFace(emphasis='BOLD'))
    for chart in document.charts:
        pdf.ln(3)
        pdf.set_font('DejaVu', 'B', 12)
        pdf.cell(0, 8, chart.title, new_x='LMARGIN', new_y='NEXT')
        pdf.image(io.BytesIO(chart.png), w=pdf.epw)
    for section in document.tables:
        pdf.ln(3)
        pdf.set_font('DejaVu', 'B', 12)
        pdf.cell(0, 8, section.title, new_x='LMARGIN', new_y='NEXT')
        pdf.set_font('DejaVu', '', 9)
        if not section.rows:
            pdf.cell(0, 6, section.empty or _('None this month.'), new_x='LMARGIN', new_y='NEXT')
            continue
        with pdf.table(headings_style=heading, line_height=5, text_align='LEFT') as table:
            for values in [section.header, *section.rows]:
                row = table.row()
                for value in values:
                    row.cell(value)
    pdf.ln(4)
    pdf.set_font('DejaVu', '', 8)
    for note in document.notes:
        pdf.multi_cell(0, 4, note, new_x='LMARGIN', new_y='NEXT')
    return bytes(pdf.output())
