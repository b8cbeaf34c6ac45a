"""An installable web app: the manifest (named after the clinic) and its icons, served by the app itself."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import JSONResponse
from nicegui import app

from hms import context as app_context

from . import theme

STATIC = Path(__file__).parent / 'static'
ICONS = {  # file -> (sizes, purpose); drawn once and committed (white cross on the clinic's teal)
    'icon-192.png': ('192x192', 'any'),
    'icon-512.png': ('512x512', 'any'),
    'icon-maskable-512.png': ('512x512', 'maskable'),
}


def manifest(icon_urls: dict[str, str]) -> dict[str, object]:
    clinic = app_context.get().settings.clinic_name
    return {
        'name': clinic,
        'short_name': clinic[:12],
        'description': f'Appointments, visits and records at {clinic}',
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

    @app.get(theme.MANIFEST_PATH, include_in_schema=False)
    def web_manifest() -> JSONResponse:
        return JSONResponse(manifest(icon_urls), media_type='application/manifest+json')
