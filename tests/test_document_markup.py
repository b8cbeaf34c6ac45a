"""User text is never markup in a generated document: the monthly report (HTML, text, PDF, matplotlib charts), the
appointment email and its calendar file, the dashboard's Plotly figures and CSV files all show it as typed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from fpdf import FPDF
from icalendar import Calendar
from matplotlib.text import Text

from hms.config import Settings
from hms.db.reminders import AppointmentFacts
from hms.domain.enums import AppointmentStatus
from hms.i18n import use_language
from hms.notify.email import compose
from hms.services import reminders
from hms.services.reports import (
    ClinicFigures,
    DepartmentLine,
    DoctorFigures,
    DoctorLine,
    Month,
    VisitRow,
    render_clinic,
    render_doctor,
)
from hms.services.tabular import to_csv
from pages.components import charts

HOSTILE = ['$\\frac{1}{0}$', '$\\frac{1}{$', '<b>x</b>', '<script>alert(1)</script>', "=cmd|' /C calc'!A0", '{{7*7}}']
HOSTILE += ['%s %(x)s {0} {name}', '**bold** __u__', '& &amp; \\ # _ ~']
FEBRUARY = Month(2026, 2)
PER_DAY = {status: [1] * 28 for status in ('completed', 'no_show', 'cancelled')}


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """What fpdf2 was asked to write and which texts matplotlib drew (with whether it read them as mathtext)."""
    seen: dict[str, list[Any]] = {'pdf': [], 'chart': []}
    normalize, draw = FPDF.normalize_text, Text.draw

    def pdf_text(self: FPDF, text: str) -> str:
        seen['pdf'].append(text)
        return normalize(self, text)

    def chart_text(self: Text, renderer: Any) -> Any:
        seen['chart'].append((self.get_text(), self.get_parse_math()))
        return draw(self, renderer)

    monkeypatch.setattr(FPDF, 'normalize_text', pdf_text)
    monkeypatch.setattr(Text, 'draw', chart_text)
    return seen


def test_the_doctors_report_shows_hostile_text_as_typed(drawn: dict[str, list[Any]]) -> None:
    visits = [VisitRow(datetime(2026, 2, 2, 9), text, text) for text in HOSTILE]
    figures = DoctorFigures(
        1, HOSTILE[0], 'a@example.com', HOSTILE[2], FEBRUARY, 8, 1, 1, 3, 2, 1, PER_DAY, [(date(2026, 2, 2), 3)],
        [(text, 2) for text in HOSTILE], 10, 20, 0.5, visits,
    )  # fmt: skip
    rendered = render_doctor(figures, 'Riverside')
    assert rendered.pdf.startswith(b'%PDF') and all(chart.png.startswith(b'\x89PNG') for chart in rendered.charts)
    for text in HOSTILE:
        assert text in rendered.text  # the plain-text part: as typed, no template evaluated it
        assert any(text in written for written in drawn['pdf']), text  # the PDF: as typed
        assert (text, False) in drawn['chart'], text  # the diagnoses chart: drawn as written, never mathtext
    assert '<script>' not in rendered.html and '&lt;script&gt;alert(1)&lt;/script&gt;' in rendered.html
    assert '<b>x</b>' not in rendered.html and '{{7*7}}' in rendered.html
    assert all(not parse_math for text, parse_math in drawn['chart'] if '$' in text)


def test_the_clinics_report_shows_hostile_names_as_typed(drawn: dict[str, list[Any]]) -> None:
    doctors = [DoctorLine(i, text, text, True, 5 - i % 3, 1, 1, 1, 1, 1, 1, 0.5) for i, text in enumerate(HOSTILE)]
    departments = [DepartmentLine(text, 1, 1, 1, 1, 1, 1, 0.5) for text in HOSTILE]
    figures = ClinicFigures(
        FEBRUARY, 8, 1, 1, 3, 2, 1, PER_DAY, [(date(2026, 2, 2), 3)], [(text, 2) for text in HOSTILE], 10, 20, 0.5,
        doctors, departments,
    )  # fmt: skip
    rendered = render_clinic(figures, 'Riverside')
    assert rendered.pdf.startswith(b'%PDF')
    for text in HOSTILE:
        assert (text, False) in drawn['chart'], text  # visits by doctor
        assert any(text in written for written in drawn['pdf']), text


def test_the_appointment_email_and_calendar_show_hostile_text_as_typed(settings: Settings) -> None:
    name = 'Eve <b>x</b> {{7*7}} %s\r\nBcc: evil@example.com'  # stored before names were checked
    facts = AppointmentFacts(
        7, 1, AppointmentStatus.BOOKED, datetime(2026, 3, 3, 9, tzinfo=UTC), datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
        3, name, 'eve@example.com', '+44 20 7946 0001', '$\\frac{1}{$ <script>x</script>', "=cmd|' /C calc'!A0",
    )  # fmt: skip
    with use_language('en'):
        message = reminders.confirmation_message(settings, facts, 'booked')
    parsed = message_from_bytes(compose(message, settings).as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed['Bcc'] is None and len(parsed['To'].addresses) == 1
    assert parsed['To'].addresses[0].addr_spec == 'eve@example.com'
    assert parsed['To'].addresses[0].display_name == 'Eve <b>x</b> {{7*7}} %s  Bcc: evil@example.com'
    text, html = parsed.get_body(preferencelist=('plain',)), parsed.get_body(preferencelist=('html',))
    assert text is not None and html is not None
    assert '$\\frac{1}{$ <script>x</script>' in text.get_content() and "=cmd|' /C calc'!A0" in text.get_content()
    assert '<script>' not in html.get_content() and '&lt;script&gt;x&lt;/script&gt;' in html.get_content()
    assert '{{7*7}} %s' in text.get_content()
    [ics] = [part for part in parsed.iter_attachments() if part.get_content_type() == 'text/calendar']
    event = Calendar.from_ical(ics.get_content()).walk('VEVENT')[0]
    assert str(event['attendee'].params['cn']) == 'Eve <b>x</b> {{7*7}} %s  Bcc: evil@example.com'
    assert '$\\frac{1}{$ <script>x</script>' in str(event['summary'])


def test_plotly_figures_show_names_as_text_not_markup() -> None:
    row = {'booked': 1, 'completed': 2, 'cancelled': 0, 'no_show': 0, 'total': 3}
    data = {
        'by_doctor': [{**row, 'doctor': '<a href="https://evil.example">Dr X</a>'}],
        'by_department': [{**row, 'department': '<b>Cardio</b> & co'}],
        'utilisation': [{'doctor': '<br>Dr <i>Y</i>', 'booked': 1, 'published': 4, 'share': 0.25}],
    }
    with use_language('en'):
        doctor, department, share = charts.by_doctor(data), charts.by_department(data), charts.utilisation(data)
    assert doctor['data'][0]['y'] == ['&lt;a href="https://evil.example"&gt;Dr X&lt;/a&gt;']
    assert department['data'][0]['x'] == ['&lt;b&gt;Cardio&lt;/b&gt; &amp; co']
    assert share['data'][0]['y'] == ['&lt;br&gt;Dr &lt;i&gt;Y&lt;/i&gt;']
    hovers = [
        hover for figure in (doctor, department, share) for trace in figure['data'] for hover in trace['hovertext']
    ]
    assert hovers and not any('<a' in hover or '<b>' in hover or '<br>' in hover for hover in hovers)
    assert charts.by_doctor_table(data)[1][0][0] == '<a href="https://evil.example">Dr X</a>'  # the data stay data


def test_csv_cells_stay_cells_and_formulas_stay_text() -> None:
    rows = [[text, 'Nuts\nand latex', 1] for text in HOSTILE]
    parsed = list(csv.reader(io.StringIO(to_csv(['text', 'notes', 'n'], rows).decode('utf-8-sig'))))
    assert len(parsed) == len(HOSTILE) + 1 and all(len(row) == 3 for row in parsed)
    assert [row[0] for row in parsed[1:]] == [("'" + t) if t.startswith('=') else t for t in HOSTILE]
    assert parsed[1][1] == 'Nuts\nand latex'
