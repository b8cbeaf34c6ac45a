"""The visit documents as PDF (fpdf2, pure Python) and their QR code (segno, pure Python): one A4 page in the
language in force, kept plain so that it prints on any printer and costs little to make.

Layout: the clinic's name and address with the QR code beside them; the document's title and version; patient,
doctor and date of the visit; then, for a summary, the diagnosis, the treatment given, the medicines, the tests
advised, the advice and the next visit, and for a prescription the medicines and the next visit; last, the
verification code as text and the address the QR code holds."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import segno

from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.i18n import N_, _, current_language
from hms.notify import moments

from . import documents
from .documents import Medicine, VisitDocument
from .principal import Principal

if TYPE_CHECKING:  # fpdf2 (with Pillow and NumPy, ~28 MB) is loaded by the first PDF drawn, not by every process
    from fpdf import FPDF

MEDIA_TYPE = 'application/pdf'
MEDICINE_COLUMNS = (N_('Medicine'), N_('Dose'), N_('Frequency'), N_('Duration'), N_('Instructions'))
QR_MM = 32
INK = (15, 23, 42)
ACCENT = (15, 118, 110)
MUTED = (71, 85, 105)


@dataclass(frozen=True)
class DocumentFile:
    filename: str
    content: bytes
    media_type: str = MEDIA_TYPE


def qr_code(url: str) -> segno.QRCode:
    """The QR code of a verification address (error correction M: a crease or a stamp does not spoil it)."""
    return segno.make(url, error='m', micro=False)


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind='png', scale=6, border=4)
    return out.getvalue()


def qr_svg_data_uri(url: str) -> str:
    """For the print page: an SVG data URI (dark modules on white, whatever the page's theme)."""
    return str(qr_code(url).svg_data_uri(scale=4, border=4, dark='#000', light='#fff'))


@cache
def _font_files() -> tuple[Path, Path]:
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / 'fonts' / 'ttf'
    return fonts / 'DejaVuSans.ttf', fonts / 'DejaVuSans-Bold.ttf'


def medicine_cells(medicine: Medicine) -> tuple[str, str, str, str, str]:
    """One medicine's cells, in the order of ``MEDICINE_COLUMNS``."""
    return (medicine.name, medicine.dose, medicine.frequency, medicine.duration, medicine.instructions)


def facts(document: VisitDocument, settings: Settings) -> list[tuple[str, str]]:
    """Who and when, as label and value (the PDF and the print page show the same)."""
    patient = document.patient
    if document.patient_born is not None:
        patient = _('{name}, born {date}', name=document.patient, date=moments.day_with_year(document.patient_born))
    doctor = f'{document.doctor} · {document.department}' if document.department else document.doctor
    return [
        (_('Patient'), patient),
        (_('Doctor'), doctor),
        (_('Date of the visit'), moments.moment(document.visit_start, settings.zone)),
    ]


def sections(document: VisitDocument) -> list[tuple[str, str]]:
    """The clinical sections before the medicines (summary only), as heading and text; empty ones left out."""
    if document.kind != documents.SUMMARY:
        return []
    found = [(_('Diagnosis'), document.diagnosis), (_('Treatment given'), document.treatment)]
    return [(heading, text) for heading, text in found if text.strip()]


def after_medicines(document: VisitDocument) -> list[tuple[str, str]]:
    """Tests, advice and the next visit, as heading and text (a prescription: the next visit only)."""
    none = _('None')
    found: list[tuple[str, str]] = []
    if document.kind == documents.SUMMARY:
        found += [(_('Tests advised'), document.tests or none), (_('Advice'), document.advice or none)]
    next_visit = moments.day_with_year(document.next_visit) if document.next_visit else _('Not needed')
    found.append((_('Next visit'), next_visit))
    return found


def version_line(document: VisitDocument, settings: Settings) -> str:
    return _(
        'Version {version}, written {date}',
        version=document.version,
        date=moments.day_with_year(document.recorded_at, settings.zone),
    )


def verification_lines(document: VisitDocument) -> list[str]:
    return [
        _('Verification code: {code}', code=document.code),
        _('Check that this document is genuine and current: scan the QR code or open {link}', link=document.verify_url),
    ]


def to_pdf(document: VisitDocument, settings: Settings) -> bytes:
    """The document as a one-page PDF (more pages only for a very long record), in the language in force."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    regular, bold = _font_files()
    pdf = FPDF(orientation='portrait', unit='mm', format='A4')
    pdf.set_title(f'{document.title} · {document.clinic_name}')
    pdf.set_lang(current_language())
    pdf.set_creator('HMS')
    pdf.add_font('DejaVu', '', str(regular))
    pdf.add_font('DejaVu', 'B', str(bold))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    text_width = pdf.epw - QR_MM - 5
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(document.verify_url)), x=pdf.l_margin + pdf.epw - QR_MM, y=top, w=QR_MM, h=QR_MM)
    pdf.set_text_color(*ACCENT)
    pdf.set_font('DejaVu', 'B', 16)
    pdf.multi_cell(text_width, 8, document.clinic_name, new_x='LMARGIN', new_y='NEXT', align='L')
    pdf.set_text_color(*MUTED)
    pdf.set_font('DejaVu', '', 9)
    if document.clinic_address:
        pdf.multi_cell(text_width, 5, document.clinic_address, new_x='LMARGIN', new_y='NEXT', align='L')
    pdf.ln(4)
    pdf.set_text_color(*INK)
    pdf.set_font('DejaVu', 'B', 14)
    pdf.multi_cell(text_width, 8, document.title, new_x='LMARGIN', new_y='NEXT', align='L')
    pdf.set_font('DejaVu', '', 9)
    pdf.multi_cell(text_width, 5, version_line(document, settings), new_x='LMARGIN', new_y='NEXT', align='L')
    pdf.set_y(max(pdf.get_y(), top + QR_MM) + 4)
    pdf.set_font('DejaVu', '', 10)
    with pdf.table(col_widths=(1, 3), first_row_as_headings=False, line_height=6, borders_layout='NONE') as table:
        for label, value in facts(document, settings):
            row = table.row()
            row.cell(label, style=FontFace(emphasis='BOLD'))
            row.cell(value)
    for heading, text in sections(document):
        _section(pdf, heading, text)
    pdf.ln(3)
    pdf.set_font('DejaVu', 'B', 11)
    pdf.cell(0, 7, _('Medicines'), new_x='LMARGIN', new_y='NEXT')
    pdf.set_font('DejaVu', '', 9)
    if not document.medicines:
        pdf.cell(0, 6, _('No medicines prescribed.'), new_x='LMARGIN', new_y='NEXT')
    else:
        heading_style = FontFace(emphasis='BOLD', fill_color=(241, 245, 249))
        with pdf.table(
            col_widths=(4, 2, 3, 2, 4), headings_style=heading_style, line_height=5, text_align='LEFT'
        ) as table:
            header = table.row()
            for column in MEDICINE_COLUMNS:
                header.cell(_(column))
            for medicine in document.medicines:
                row = table.row()
                for value in (
                    medicine.name,
                    medicine.dose,
                    medicine.frequency,
                    medicine.duration,
                    medicine.instructions,
                ):
                    row.cell(value)
    for heading, text in after_medicines(document):
        _section(pdf, heading, text)
    pdf.ln(6)
    pdf.set_text_color(*MUTED)
    pdf.set_font('DejaVu', '', 8)
    for line in verification_lines(document):
        pdf.multi_cell(0, 4, line, new_x='LMARGIN', new_y='NEXT', align='L')
    return bytes(pdf.output())


def _section(pdf: FPDF, heading: str, text: str) -> None:
    pdf.ln(3)
    pdf.set_font('DejaVu', 'B', 11)
    pdf.cell(0, 7, heading, new_x='LMARGIN', new_y='NEXT')
    pdf.set_font('DejaVu', '', 10)
    pdf.multi_cell(0, 5, text, new_x='LMARGIN', new_y='NEXT', align='L')


def render(document: VisitDocument, settings: Settings) -> DocumentFile:
    return DocumentFile(filename=document.filename, content=to_pdf(document, settings))


def download(uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, kind: str) -> DocumentFile:
    """A visit's document as a PDF, for whoever may have it (see ``documents.visit_document``; audited)."""
    return render(documents.visit_document(uow, settings, actor, appointment_id, kind), settings)
