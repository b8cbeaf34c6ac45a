"""Links to a completed visit's documents (visit summary, prescription): each opens the print-friendly page, which
also downloads the PDF. Shown where the reader may have them (the service checks again)."""

from __future__ import annotations

from nicegui import ui

from hms.i18n import _
from hms.services import documents

DOCUMENTS_PATH = '/visits/{appointment_id}/{kind}'
ICONS = {documents.SUMMARY: 'description', documents.PRESCRIPTION: 'medication'}


def document_path(appointment_id: int, kind: str) -> str:
    return DOCUMENTS_PATH.format(appointment_id=appointment_id, kind=kind)


def document_links(appointment_id: int, when: str) -> ui.row:
    """'Visit summary' and 'Prescription' as links; ``when`` (formatted) names the visit for screen readers."""
    with ui.row().classes('items-center gap-4').mark(f'documents-{appointment_id}') as row:
        for kind in documents.KINDS:
            title = _(documents.TITLES[kind])
            with ui.link(target=document_path(appointment_id, kind)).classes('flex items-center gap-1') as link:
                ui.icon(ICONS[kind]).props('aria-hidden=true')
                ui.label(title)
            link.props['aria-label'] = _('{document} of the visit of {when}', document=title, when=when)
            link.mark(f'{kind}-{appointment_id}')
    return row
