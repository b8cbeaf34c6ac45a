"""An installable web app: the manifest (named after the clinic) and its icons, served by the app itself."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import JSONResponse
from nicegui import app

from hms import context as app_context
from hms import i18n
from hms.i18n import _

from . import theme
from .i18n import QUASAR_LANGUAGES

STATIC = Path(__file__).parent / 'static'
ICONS = {  # file -> (sizes, purpose); drawn once and committed (white cross on the clinic's teal)
    'icon-192.png': ('192x192', 'any'),
    'icon-512.png': ('512x512', 'any'),
    'icon-maskable-512.png': ('512x512', 'maskable'),
}


def manifest(icon_urls: dict[str, str]) -> dict[str, object]:
    """The manifest in the current language (the installing browser's)."""
    clinic = app_context.get().settings.clinic_name
    return {
        'name': clinic,
        'short_name': clinic[:12],
        'description': _('Appointments, visits and records at {clinic}', clinic=clinic),
        'lang': QUASAR_LANGUAGES.get(i18n.current_language(), 'en-GB'),
        'start_url': '/',
        'scope': '/',
        'display': 'standalone',
        'background_color': '#ffffff',
        'theme_color': theme.PRIMARY,
        'icons': [
            {'src': icon_urls[name], 'sizes': sizes, 'type': 'image/png', 'purpose': purpose}
            for name, (sizes, purpose) in ICONS.items()
        ],
    }


def create() -> None:
    # NiceGUI serves each icon under a stable, content-addressed /_nicegui/auto/static/... path with caching.
    icon_urls = {name: app.add_static_file(local_file=STATIC / name, max_cache_age=86400) for name in ICONS}
    theme.APPLE_TOUCH_ICON = icon_urls['icon-192.png']
    theme.serve_script()

    @app.get(theme.MANIFEST_PATH, include_in_schema=False)
    def web_manifest(request: Request) -> JSONResponse:
        # Browsers fetch a manifest without cookies, so the choice kept in this browser's storage is out of reach:
        # the installing browser's own languages decide, else the clinic's default.
        with i18n.use_language(i18n.negotiate(request.headers.get('accept-language'))):
            body = manifest(icon_urls)
        return JSONResponse(body, media_type='application/manifest+json', headers={'Vary': 'Accept-Language'})
