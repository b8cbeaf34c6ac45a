"""The report as its reader gets it: what the doctor's and the clinic's report show (figures, charts, tables,
notes), the subjects, and the email that carries the HTML with its charts inline, the plain text and the PDF.

Everything here is written in the language in force: the caller composes inside the recipient's language
(``hms.services.reports.delivery``). Numbers, percentages and dates come from Babel; names and diagnoses are data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from hms.config import Settings
from hms.i18n import _
from hms.i18n.formats import format_number, format_percent
from hms.notify import moments
from hms.notify.email import compose
from hms.notify.message import Attachment, Message

from .charts import bar_chart, per_day_chart
from .document import Chart, Document, Table, to_html, to_pdf, to_text
from .figures import ClinicFigures, DoctorFigures
from .month import Month

TOP_DOCTORS_CHART = 15


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
        (_('Visits completed'), _count(figures.completed)),
        (_('Cancelled'), _count(figures.cancelled)),
        (_('No-shows'), _count(figures.no_shows)),
        (_('Patients seen'), _count(figures.patients_seen)),
        (_('New patients'), _count(figures.new_patients)),
        (_('Returning patients'), _count(figures.returning_patients)),
        (_('Utilisation'), _percent(figures.utilisation)),
        (
            _('Booked of published slots'),
            _('{booked} of {published}', booked=_count(figures.booked), published=_count(figures.published)),
        ),
    ]


def _count(value: int) -> str:
    return format_number(value)


def _percent(value: float | None) -> str:
    return format_percent(value, digits=1)


def _day(day: date) -> str:
    return moments.day(day)


def _when(moment: datetime) -> str:
    return moments.day_and_time(moment)


def _daily_rows(per_day: dict[str, list[int]], month: Month) -> list[list[str]]:
    rows = []
    for index, completed in enumerate(per_day['completed']):
        no_show, cancelled = per_day['no_show'][index], per_day['cancelled'][index]
        if completed or no_show or cancelled:
            day = month.first + timedelta(days=index)
            rows.append([_day(day), _count(completed), _count(no_show), _count(cancelled)])
    return rows


def _day_by_day(per_day: dict[str, list[int]], month: Month) -> Table:
    header = [_('Day'), _('Completed'), _('No-shows'), _('Cancelled')]
    return Table(_('Day by day'), header, _daily_rows(per_day, month))


def _busiest_days(busiest: list[tuple[date, int]]) -> Table:
    return Table(_('Busiest days'), [_('Day'), _('Visits')], [[_day(day), _count(n)] for day, n in busiest])


def _top_diagnoses(top: list[tuple[str, int]]) -> Table:
    return Table(_('Diagnoses recorded most'), [_('Diagnosis'), _('Visits')], [[text, _count(n)] for text, n in top])


def _per_day_chart(figures: DoctorFigures | ClinicFigures) -> Chart:
    month = figures.month
    return Chart(
        f'per-day-{month.key}@hms.report',
        'appointments-per-day.png',
        _('Appointments per day'),
        per_day_chart(figures.per_day, month),
    )


def _doctor_document(figures: DoctorFigures, clinic: str) -> Document:
    month = figures.month
    charts = [_per_day_chart(figures)]
    if figures.top_diagnoses:
        labels, values = zip(*figures.top_diagnoses, strict=True)
        charts.append(
            Chart(
                f'diagnoses-{month.key}@hms.report',
                'top-diagnoses.png',
                _('Diagnoses recorded most'),
                bar_chart(list(labels), list(values), _('Visits')),
            )
        )
    return Document(
        title=_('Your activity in {month}', month=month.label),
        intro=' · '.join((figures.name, figures.department, clinic)),
        figures=_headline(figures),
        charts=charts,
        tables=[
            _busiest_days(figures.busiest_days),
            _top_diagnoses(figures.top_diagnoses),
            _day_by_day(figures.per_day, month),
            Table(
                _('Completed visits'),
                [_('Date'), _('Patient'), _('Diagnosis')],
                [[_when(v.start), v.patient, v.diagnosis or '–'] for v in figures.visits],
                numeric_from=3,
            ),
        ],
        notes=[
            _('New patients had their first completed visit with you this month; returning ones had seen you before.'),
            _(
                'Utilisation: appointments not cancelled, over the slots your current availability publishes for the '
                'month.'
            ),
            _('This report holds patient information: keep it confidential.'),
        ],
    )


def _clinic_document(figures: ClinicFigures, clinic: str) -> Document:
    month = figures.month
    charts = [_per_day_chart(figures)]
    busiest = [line for line in figures.doctors if line.completed][:TOP_DOCTORS_CHART]
    if busiest:
        charts.append(
            Chart(
                f'by-doctor-{month.key}@hms.report',
                'visits-by-doctor.png',
                _('Visits by doctor'),
                bar_chart([d.name for d in busiest], [d.completed for d in busiest], _('Visits')),
            )
        )
    return Document(
        title=_('Clinic activity in {month}', month=month.label),
        intro=clinic,
        figures=_headline(figures),
        charts=charts,
        tables=[
            Table(
                _('By department'),
                [_('Department'), _('Doctors'), _('Completed'), _('Cancelled'), _('No-shows'), _('Utilisation')],
                [
                    [
                        d.department,
                        _count(d.doctors),
                        _count(d.completed),
                        _count(d.cancelled),
                        _count(d.no_shows),
                        _percent(d.utilisation),
                    ]
                    for d in figures.departments
                ],
            ),
            Table(
                _('By doctor'),
                [
                    _('Doctor'),
                    _('Department'),
                    _('Completed'),
                    _('Cancelled'),
                    _('No-shows'),
                    _('Patients'),
                    _('New'),
                    _('Utilisation'),
                ],
                [
                    [
                        d.name if d.active else _('{name} (deactivated)', name=d.name),
                        d.department,
                        _count(d.completed),
                        _count(d.cancelled),
                        _count(d.no_shows),
                        _count(d.patients_seen),
                        _count(d.new_patients),
                        _percent(d.utilisation),
                    ]
                    for d in figures.doctors
                ],
                numeric_from=2,
            ),
            _busiest_days(figures.busiest_days),
            _top_diagnoses(figures.top_diagnoses),
            _day_by_day(figures.per_day, month),
        ],
        notes=[
            _('New patients had their first completed visit at the clinic this month (per doctor: with that doctor).'),
            _(
                'Utilisation: appointments not cancelled, over the slots the current availability publishes for the '
                'month.'
            ),
        ],
    )


def doctor_subject(month: Month) -> str:
    # never clinical detail: subjects show on lock screens
    return _('Your activity report for {month}', month=month.label)


def clinic_subject(month: Month) -> str:
    return _('Clinic activity report for {month}', month=month.label)


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
