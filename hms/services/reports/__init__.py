"""The monthly activity report: each active doctor's month and the clinic's, as figures (a pure function of the
database for that month), an HTML email with inline charts (tables as the fallback), a plain-text part and a PDF,
sent exactly once per recipient and month.

- ``month``: the month a report covers (``Month``) and the month an admin asked for;
- ``figures``: the month's figures, one doctor's and the clinic's (queries in hms.db.reports and hms.db.stats);
- ``charts``, ``document``, ``rendering``: the charts, the HTML/text/PDF outputs and what each report shows;
- ``delivery``: who gets which report, the delivery keys and sending each message exactly once.

Callers use this package's names (``from hms.services import reports``, then ``reports.send_reports`` ...).
"""

from .delivery import (
    JOB,
    KIND,
    Recipient,
    Send,
    Tally,
    build_email,
    delivery_key,
    mark_given_up,
    month_of_key,
    recipients,
    rerun_suffix,
    resend,
    send_reports,
)
from .document import Chart
from .figures import ClinicFigures, DepartmentLine, DoctorFigures, DoctorLine, VisitRow, clinic_report, doctor_report
from .month import Month, requested_month
from .rendering import Rendered, clinic_subject, doctor_subject, email_message, render_clinic, render_doctor

__all__ = [
    'JOB',
    'KIND',
    'Chart',
    'ClinicFigures',
    'DepartmentLine',
    'DoctorFigures',
    'DoctorLine',
    'Month',
    'Recipient',
    'Rendered',
    'Send',
    'Tally',
    'VisitRow',
    'build_email',
    'clinic_report',
    'clinic_subject',
    'delivery_key',
    'doctor_report',
    'doctor_subject',
    'email_message',
    'mark_given_up',
    'month_of_key',
    'recipients',
    'render_clinic',
    'render_doctor',
    'requested_month',
    'rerun_suffix',
    'resend',
    'send_reports',
]
