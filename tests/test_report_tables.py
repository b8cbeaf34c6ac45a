"""The monthly report's PDF tables, drawn line by line: every row is there, in order, across pages with the header
repeated; text too long for its column is cut with an ellipsis instead of spilling into the next."""

from __future__ import annotations

import io

from pypdf import PdfReader

from hms.services.reports.document import Document, Table, to_pdf


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_long_table_keeps_every_row_and_repeats_its_header_on_each_page() -> None:
    rows = [[f'Row {number:03d}', 'Ada Lovelace', str(number)] for number in range(150)]
    document = Document(title='Report', intro='Intro', figures=[('Visits', '150')])
    document.tables.append(Table('Visits', ['When', 'Patient', 'Count'], rows, numeric_from=2))
    pages = pages_text(to_pdf(document))
    assert len(pages) > 1
    text = '\n'.join(pages)
    found = [number for number in range(150) if f'Row {number:03d}' in text]
    assert found == list(range(150))
    assert text.index('Row 000') < text.index('Row 149')
    assert all('When' in page and 'Patient' in page for page in pages[1:])  # the header on every further page


def test_text_too_wide_for_its_column_is_cut_with_an_ellipsis() -> None:
    long = 'Diagnosis ' + 'very ' * 80 + 'END'
    document = Document(title='Report', intro='Intro', figures=[])
    document.tables.append(Table('Top diagnoses', ['Diagnosis', 'Count'], [[long, '3'], ['Short', '1']]))
    text = '\n'.join(pages_text(to_pdf(document)))
    assert 'Diagnosis very' in text and '…' in text
    assert 'END' not in text  # cut, not spilled into the next column or line
    assert 'Short' in text


def test_any_name_prints_and_a_latin_report_embeds_no_font() -> None:
    latin = Document(title='Rapport', intro='Activité de février — « résumé »', figures=[('Visites', '3')])
    latin.tables.append(Table('Patients', ['Nom', 'Visites'], [['Zoë Brontë-Œuvre', '2']]))
    latin_pdf = to_pdf(latin)
    assert b'/FontFile2' not in latin_pdf  # the reader's built-in Helvetica: nothing parsed or embedded
    assert 'Zoë Brontë-Œuvre' in '\n'.join(pages_text(latin_pdf))
    greek = Document(title='Report', intro='Intro', figures=[])
    greek.tables.append(Table('Patients', ['Name', 'Visits'], [['Αθηνά Παπαδοπούλου', '1']]))
    greek_pdf = to_pdf(greek)
    assert b'/FontFile2' in greek_pdf  # a Unicode font, embedded, for a name beyond Windows-1252
    assert 'Αθηνά' in '\n'.join(pages_text(greek_pdf))
