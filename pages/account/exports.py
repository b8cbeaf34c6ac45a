"""The "My exports" page of every role that has exports (the front desk has none), and the authenticated download of
an export's file."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from nicegui import app, ui

from hms import context as app_context
from hms import i18n
from hms.config import Settings
from hms.db.uow import UnitOfWork
from hms.domain.enums import Role, SessionKind
from hms.domain.errors import AccountBlocked, DomainError, NotAuthenticated
from hms.i18n import _, ngettext
from hms.services import accounts, exports
from hms.services.exports import ExportExpired, ExportFile
from hms.services.principal import Principal

from ..components.exports import DOWNLOAD_PATH, EXPORTS_PATH, export_panel
from ..ui import theme
from ..ui.access import role_page
from ..ui.frame import frame
from ..ui.i18n import browser_language
from ..ui.services import call
from ..ui.session import session_token

PATH = EXPORTS_PATH
NO_STORE = {'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff'}


def create() -> None:
    @role_page(PATH, Role.ADMIN, Role.DOCTOR, Role.PATIENT)  # reception: records never leave the desk
    async def exports_page(principal: Principal) -> None:
        with frame(principal, _('My exports'), current_path=PATH):
            ui.label(
                ngettext(
                    'Exports are prepared in the background; you can leave this page meanwhile. Files are kept for '
                    '{n} day and only you can download them.',
                    'Exports are prepared in the background; you can leave this page meanwhile. Files are kept for '
                    '{n} days and only you can download them.',
                    app_context.get().settings.export_retention_days,
                )
            ).classes(theme.SUBTLE)
            await export_panel(principal, exports.kinds_for(principal.role), link_to_all=False)

    @app.get(DOWNLOAD_PATH, include_in_schema=False)
    async def download_export(export_id: int, request: Request) -> Response:
        """The owner's file, for a signed-in browser session; never a static or guessable URL."""
        login = RedirectResponse(f'/login?next={PATH}', status_code=303)
        token = session_token(request)
        if not token:
            return login
        ip = request.client.host if request.client else 'unknown'
        # No page here: the refusals speak this browser's language, else the one its Accept-Language asks for.
        spoken = browser_language() or i18n.negotiate(request.headers.get('accept-language'))
        try:
            with i18n.use_language(spoken):
                found = await call(_open_download, token, ip, export_id)
        except (NotAuthenticated, AccountBlocked):
            return login
        except ExportExpired as error:
            return PlainTextResponse(error.message, status_code=410, headers=NO_STORE)
        except DomainError as error:
            return PlainTextResponse(error.message, status_code=error.status_code, headers=NO_STORE)
        return FileResponse(found.path, media_type='text/csv; charset=utf-8', filename=found.filename, headers=NO_STORE)


def _open_download(uow: UnitOfWork, settings: Settings, token: str, ip: str, export_id: int) -> ExportFile:
    principal = accounts.authenticate(uow, settings, token, kind=SessionKind.WEB, ip=ip, touch=True)
    return exports.open_download(uow, settings, principal, export_id)
