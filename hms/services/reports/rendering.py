"""The report as its reader gets it: what the doctor's and the clinic's report show (figures, charts, tables,
notes), the subjects, and the email that carries the HTML with its charts inline, the plain text and the PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from hms.config import Settings
from hms.notify.email import compose
from hms.notify.message import Attachment, Message

from .charts import bar_chart, per_day_chart
from .document import Chart, Document, Table, to_html, to_pdf, to_text
from .figures import ClinicFigures, DoctorFigures
from .month import MONTH_NAMES, Month

TOP_DOCTORS_CHART = 15
WEEKDAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    charts: tuple[Chart, ...]
    pdf: bytes
    pdf_name: str


def _headline(figures: DoctorFigures | ClinicFigures) -> list[tuple[str, str]]:
    """The figures that open both the doctor's and the clinic's report."""
    return [
        ('Visits completed', str(figures.completed)),
        ('Cancelled', str(figures.cancelled)),
        ('No-shows', str(figures.no_shows)),
        ('Patients seen', str(figures.patients_seen)),
        ('New patients', str(figures.new_patients)),
        ('Returning patients', str(figures.returning_patients)),
        ('Utilisation', _percent(figures.utilisation)),
        ('Booked of published slots', f'{figures.booked} of {figures.published}'),
    ]


def _percent(value: float | None) -> str:
    return '–' if value is None else f'{value:.1%}'


def _day(day: date) -> str:
    return f'{WEEKDAYS[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1][:3]}'


def _when(moment: datetime) -> str:
    return f'{_day(moment.date())}, {moment:%H:%M}'


def _daily_rows(per_day: dict[str, list[int]], month: Month) -> list[list[str]]:
    rows = []
    for index, completed in enumerate(per_day['completed']):
        no_show, cancelled = per_day['no_show'][index], per_day['cancelled'][index]
        if completed or no_show or cancelled:
            rows.append([_day(month.first + timedelta(days=index)), str(completed), str(no_show), str(cancelled)])
    return rows


def _doctor_document(figures: DoctorFigures, clinic: str) -> Document:
    month = figures.month
    charts = [
        Chart(
            f'per-day-{month.key}@hms.report',
            'appointments-per-day.png',
            'Appointments per day',
            per_day_chart(figures.per_day, month),
        )
    ]
    if figures.top_diagnoses:
        labels, values = zip(*figures.top_diagnoses, strict=True)
        charts.append(
            Chart(
                f'diagnoses-{month.key}@hms.report',
                'top-diagnoses.png',
                'Diagnoses recorded most',
                bar_chart(list(labels), list(values), 'Visits'),
            )
        )
    return Document(
        title=f'Your activity in {month.label}',
        intro=f'{figures.name} · {figures.department} · {clinic}',
        figures=_headline(figures),
        charts=charts,
        tables=[
            Table('Busiest days', ['Day', 'Visits'], [[_day(day), str(n)] for day, n in figures.busiest_days]),
            Table(
                'Diagnoses recorded most',
                ['Diagnosis', 'Visits'],
                [[text, str(n)] for text, n in figures.top_diagnoses],
            ),
            Table('Day by day', ['Day', 'Completed', 'No-shows', 'Cancelled'], _daily_rows(figures.per_day, month)),
            Table(
                'Completed visits',
                ['Date', 'Patient', 'Diagnosis'],
                [[_when(v.start), v.patient, v.diagnosis or '–'] for v in figures.visits],
                numeric_from=3,
            ),
        ],
        notes=[
            'New patients had their first completed visit with you this month; returning ones had seen you before.',
            'Utilisation: appointments not cancelled, over the slots your current availability publishes for the '
            'month.',
            'This report holds patient information: keep it confidential.',
        ],
    )


def _clinic_document(figures: ClinicFigures, clinic: str) -> Document:
    month = figures.month
    charts = [
        Chart(
            f'per-day-{month.key}@hms.report',
            'appointments-per-day.png',
            'Appointments per day',
            per_day_chart(figures.per_day, month),
        )
    ]
    busiest = [line for line in figures.doctors if line.completed][:TOP_DOCTORS_CHART]
    if busiest:
        charts.append(
            Chart(
                f'by-doctor-{month.key}@hms.report',
                'visits-by-doctor.png',
                'Visits by doctor',
                bar_chart([d.name for d in busiest], [d.completed for d in busiest], 'Visits'),
            )
        )
    return Document(
        title=f'Clinic activity in {month.label}',
        intro=clinic,
        figures=_headline(figures),
        charts=charts,
        tables=[
            Table(
                'By department',
                ['Department', 'Doctors', 'Completed', 'Cancelled', 'No-shows', 'Utilisation'],
                [
                    [
                        d.department,
                        str(d.doctors),
                        str(d.completed),
                        str(d.cancelled),
                        str(d.no_shows),
                        _percent(d.utilisation),
                    ]
                    for d in figures.departments
                ],
            ),
            Table(
                'By doctor',
                ['Doctor', 'Department', 'Completed', 'Cancelled', 'No-shows', 'Patients', 'New', 'Utilisation'],
                [
                    [
                        d.name if d.active else f'{d.name} (deactivated)',
                        d.department,
                        str(d.completed),
                        str(d.cancelled),
                        str(d.no_shows),
                        str(d.patients_seen),
                        str(d.new_patients),
                        _percent(d.utilisation),
                    ]
                    for d in figures.doctors
                ],
                numeric_from=2,
            ),
            Table('Busiest days', ['Day', 'Visits'], [[_day(day), str(n)] for day, n in figures.busiest_days]),
            Table(
                'Diagnoses recorded most',
                ['Diagnosis', 'Visits'],
                [[text, str(n)] for text, n in figures.top_diagnoses],
            ),
            Table('Day by day', ['Day', 'Completed', 'No-shows', 'Cancelled'], _daily_rows(figures.per_day, month)),
        ],
        notes=[
            'New patients had their first completed visit at the clinic this month (per doctor: with that doctor).',
            'Utilisation: appointments not cancelled, over the slots the current availability publishes for the month.',
        ],
    )


def doctor_subject(month: Month) -> str:
    return f'Your activity report for {month.label}'  # never clinical detail: subjects show on lock screens


def clinic_subject(month: Month) -> str:
    return f'Clinic activity report for {month.label}'


def render_doctor(figures: DoctorFigures, clinic: str) -> Rendered:
    document = _doctor_document(figures, clinic)
    return Rendered(
        doctor_subject(figures.month),
        to_text(document),
        to_html(document),
        tuple(document.charts),
        to_pdf(document),
        f'activity-report-{figures.month.key}.pdf',
    )


def render_clinic(figures: ClinicFigures, clinic: str) -> Rendered:
    document = _clinic_document(figures, clinic)
    return Rendered(
        clinic_subject(figures.month),
        to_text(document),
        to_html(document),
        tuple(document.charts),
        to_pdf(document),
        f'clinic-report-{figures.month.key}.pdf',
    )


def email_message(rendered: Rendered, settings: Settings, *, to_email: str, to_name: str) -> EmailMessage:
    """The clinic's usual multipart email, with the charts as inline images of the HTML part (Content-ID) and the
    PDF attached. hms.notify.email composes it; the charts are added to its HTML part as related parts."""
    message = Message(
        to_email=to_email,
        to_name=to_name,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        attachments=(Attachment(rendered.pdf_name, rendered.pdf, 'application/pdf'),),
    )
    email = compose(message, settings)
    body = email.get_body(preferencelist=('html',))
    assert body is not None
    for chart in rendered.charts:
        body.add_related(
            chart.png,
            maintype='image',
            subtype='png',
            cid=f'<{chart.cid}>',
            filename=chart.filename,
            disposition='inline',
        )
    return email
