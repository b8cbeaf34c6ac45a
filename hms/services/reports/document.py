"""A report as a document (headline figures, charts, tables, notes) and its three outputs: email-safe HTML, plain
text and a PDF. Each output shows the same document, in the same order."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path


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
    empty: str = 'None this month.'
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
    """Email-safe HTML (inline styles, tables); every value from the database is escaped."""
    e = html.escape
    cell = 'padding:4px 8px;border-bottom:1px solid #e2e8f0;'
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f'<title>{e(document.title)}</title></head>',
        '<body style="margin:0;padding:16px;background:#f8fafc;font-family:Arial,Helvetica,sans-serif;color:#0f172a;">',
        '<div style="max-width:680px;margin:0 auto;background:#ffffff;padding:20px;border-radius:8px;">',
        f'<h1 style="font-size:22px;margin:0 0 4px;color:#0f766e;">{e(document.title)}</h1>',
        f'<p style="margin:0 0 16px;color:#475569;">{e(document.intro)}</p>',
        '<table role="presentation" style="border-collapse:collapse;width:100%;margin-bottom:16px;">',
    ]
    for index in range(0, len(document.figures), 4):
        parts.append('<tr>')
        for label, value in document.figures[index : index + 4]:
            parts.append(
                f'<td style="padding:6px;vertical-align:top;width:25%;"><div style="font-size:12px;color:#475569;">'
                f'{e(label)}</div><div style="font-size:20px;font-weight:bold;">{e(value)}</div></td>'
            )
        parts.append('</tr>')
    parts.append('</table>')
    for chart in document.charts:
        parts.append(
            f'<h2 style="font-size:16px;margin:16px 0 6px;">{e(chart.title)}</h2>'
            f'<img src="cid:{e(chart.cid)}" width="640" alt="{e(chart.title)} (the tables below hold the same '
            f'figures)" style="display:block;max-width:100%;height:auto;border:0;">'
        )
    for table in document.tables:
        parts.append(f'<h2 style="font-size:16px;margin:20px 0 6px;">{e(table.title)}</h2>')
        if not table.rows:
            parts.append(f'<p style="color:#475569;margin:0;">{e(table.empty)}</p>')
            continue
        parts.append('<table style="border-collapse:collapse;width:100%;font-size:13px;">')
        parts.append('<thead><tr>')
        for index, name in enumerate(table.header):
            align = 'right' if index >= table.numeric_from else 'left'
            parts.append(f'<th style="{cell}text-align:{align};background:#f1f5f9;">{e(name)}</th>')
        parts.append('</tr></thead><tbody>')
        for row in table.rows:
            parts.append('<tr>')
            for index, value in enumerate(row):
                align = 'right' if index >= table.numeric_from else 'left'
                parts.append(f'<td style="{cell}text-align:{align};">{e(value)}</td>')
            parts.append('</tr>')
        parts.append('</tbody></table>')
    parts.append('<div style="margin-top:20px;font-size:12px;color:#475569;">')
    parts.extend(f'<p style="margin:4px 0;">{e(note)}</p>' for note in document.notes)
    parts.append('<p style="margin:4px 0;">The same report is attached as a PDF.</p></div></div></body></html>')
    return ''.join(parts)


def to_text(document: Document) -> str:
    lines = [document.title, document.intro, '']
    width = max(len(label) for label, _ in document.figures)
    lines += [f'{label.ljust(width)}  {value}' for label, value in document.figures]
    for table in document.tables:
        lines += ['', table.title, '-' * len(table.title)]
        lines += [' | '.join(row) for row in [table.header, *table.rows]] if table.rows else [table.empty]
    lines += ['', *document.notes, 'The same report is attached as a PDF.']
    return '\n'.join(lines) + '\n'


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
            pdf.cell(0, 6, section.empty, new_x='LMARGIN', new_y='NEXT')
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
