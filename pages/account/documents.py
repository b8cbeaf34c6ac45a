"""A completed visit's documents as print-friendly pages (``/visits/{id}/summary``, ``/visits/{id}/prescription``:
Print, and Download PDF), for the patient, the treating doctor and the administrator; and the public answer of
``/verify/<code>`` for a document code (the address is shared with email confirmation: ``recovery`` tells the two
apart and calls ``verification`` here for a code)."""

from __future__ import annotations

from dataclasses import asdict

from nicegui import ui

from hms import context as app_context
from hms.domain.enums import Role
from hms.domain.errors import DomainError, NotFound
from hms.i18n import _
from hms.notify import moments
from hms.services import document_pdf, documents
from hms.services.documents import VisitDocument
from hms.services.principal import Principal

from ..components import forms
from ..components.documents import DOCUMENTS_PATH
from ..components.history import prescription_table
from ..components.sections import facts, heading, section
from ..ui import theme
from ..ui.access import role_page
from ..ui.actions import acting
from ..ui.frame import frame
from ..ui.services import ID, call
from ..ui.session import client_ip, home_of
from .sign_in import public_frame

# On paper: the document only (no header, menu, footer or buttons), black on white.
PRINT_CSS = """
@media print {
  .q-header, .q-drawer, .q-footer, .no-print { display: none !important; }
  .q-page-container { padding: 0 !important; }
  body, .q-card { background: #fff !important; color: #000 !important; box-shadow: none !important; }
}
"""
BACK = {Role.PATIENT: '/patient/visits', Role.DOCTOR: '/doctor/appointments/{appointment_id}'}


def create() -> None:
    for kind in documents.KINDS:
        _register(kind)


def _register(kind: str) -> None:
    path = DOCUMENTS_PATH.replace('{kind}', kind)

    @role_page(path, Role.PATIENT, Role.DOCTOR, Role.ADMIN)
    async def document_page(principal: Principal, appointment_id: str) -> None:
        found: VisitDocument | None = None
        if ID.fullmatch(appointment_id):
            try:
                found = await call(documents.visit_document, principal, int(appointment_id), kind)
            except NotFound:
                found = None
        with frame(principal, found.title if found else _('No such document')):
            if found is None:
                message = _('No such document: the visit does not exist, is not completed, or is not yours to read.')
                ui.label(message).classes(theme.ERROR_BANNER).props('role=alert').mark('no-such-document')
                ui.link(_('Back to my home page'), home_of(principal))
                return
            _actions(principal, found)
            _document(found)


def _actions(principal: Principal, document: VisitDocument) -> None:
    ui.add_css(PRINT_CSS)
    with ui.row().classes('no-print items-center gap-2'):
        ui.button(_('Print'), icon='print', on_click=lambda: ui.run_javascript('window.print()')).props('no-caps').mark(
            'print-document'
        )
        download = ui.button(_('Download PDF'), icon='download', on_click=lambda: _download(document))
        download.props('outline no-caps').mark('download-pdf')
        back = BACK.get(principal.role)
        if back is not None:
            ui.link(_('Back'), back.format(appointment_id=document.appointment_id))


async def _download(document: VisitDocument) -> None:
    actor = await acting()
    if actor is None:
        return
    try:
        found = await call(document_pdf.download, actor, document.appointment_id, document.kind)
    except DomainError as failure:
        ui.notify(failure.message, type='negative')
        return
    ui.download(found.content, found.filename, found.media_type)


def _document(document: VisitDocument) -> None:
    """The document as the PDF shows it (``document_pdf`` words each part)."""
    settings = app_context.get().settings
    with section(marker='document'):
        with ui.row().classes('w-full items-start justify-between gap-4 no-wrap'):
            with ui.column().classes('gap-1'):
                heading(document.clinic_name)
                if document.clinic_address:
                    ui.label(document.clinic_address).classes(theme.SUBTLE)
                ui.label(document_pdf.version_line(document, settings)).classes(theme.SUBTLE).mark('document-version')
            qr = ui.image(document_pdf.qr_svg_data_uri(document.verify_url)).classes('w-32 h-32 shrink-0')
            qr.props('no-spinner no-transition').mark('document-qr')
            qr.props['alt'] = _('QR code to check this document')
        facts(document_pdf.facts(document, settings), marker='document-facts', wrap=True)
        for title, text in document_pdf.sections(document):
            heading(title, level=3)
            ui.label(text).classes('whitespace-pre-line')
        heading(_('Medicines'), level=3)
        prescription_table([asdict(medicine) for medicine in document.medicines], marker='document-medicines')
        for title, text in document_pdf.after_medicines(document):
            heading(title, level=3)
            ui.label(text).classes('whitespace-pre-line')
        for line in document_pdf.verification_lines(document):
            ui.label(line).classes(f'{theme.SUBTLE} break-all').mark('document-verification')


# --- /verify/<code> -----------------------------------------------------------------------------------------------


async def verification(value: str) -> None:
    """The public answer for a document code: genuine or not, current or superseded, the date and the clinic; never
    anything clinical or personal."""
    settings = app_context.get().settings
    title = _('Check a document')
    try:
        found = await call(documents.verify, value, ip=client_ip())
    except DomainError as failure:  # too many codes that checked out as nothing, from this address
        with public_frame(title):
            forms.banner(failure.message).mark('verify-refused')
        return
    with public_frame(title):
        if not found.valid:
            message = _('This code does not belong to a document of {clinic}.', clinic=settings.clinic_name)
            ui.label(_('Not a genuine document')).classes('text-lg font-semibold text-negative').props(
                'role=heading aria-level=2'
            )
            ui.label(message).classes(theme.ERROR_BANNER).props('role=alert').mark('document-not-genuine')
            ui.label(_('Check that the code was typed exactly as printed, or ask the clinic.')).classes(theme.SUBTLE)
            return
        kind = _(documents.TITLES[found.kind or documents.SUMMARY])
        ui.label(_('Genuine document')).classes('text-lg font-semibold text-positive').props(
            'role=heading aria-level=2'
        ).mark('document-genuine')
        if found.current:
            state = _(
                'Version {version} of {latest}: this is the current version.',
                version=found.version,
                latest=found.latest_version,
            )
            banner = theme.SUCCESS_BANNER
        else:
            state = _(
                'Version {version} of {latest}: an amendment has replaced this document.',
                version=found.version,
                latest=found.latest_version,
            )
            banner = theme.INFO_BANNER
        ui.label(state).classes(banner).props('role=status').mark('document-state')
        issued = moments.day_with_year(found.issued_on) if found.issued_on else ''
        facts(
            [(_('Document'), kind), (_('Issued by'), settings.clinic_name), (_('Written on'), issued)],
            marker='document-check',
        )
        if not found.current:
            ui.label(_('Ask the patient or the clinic for the current version.')).classes(theme.SUBTLE)
