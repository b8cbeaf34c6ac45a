"""The API's documentation page (/api/docs), served without the internet: Swagger UI's script, styles and icon come
from the swagger-ui-py package, not from a CDN, so a clinic's closed network sees the page too."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_PATH = '/docs'
ASSETS_PATH = '/docs/assets'  # under the API's mount: /api/docs/assets/...
OAUTH2_REDIRECT_PATH = '/docs/oauth2-redirect'


def swagger_ui_folder() -> Path:
    """Swagger UI's distribution files as the swagger-ui-py package ships them (found without importing it)."""
    spec = importlib.util.find_spec('swagger_ui')
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError('the swagger-ui-py package is missing: pip install swagger-ui-py')
    return Path(next(iter(spec.submodule_search_locations))) / 'static'


def install(api: FastAPI) -> None:
    """Serve the docs page and its assets on ``api`` (created with ``docs_url=None``)."""
    api.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_folder()), name='swagger-ui-assets')

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get('root_path', '').rstrip('/')
        return get_swagger_ui_html(
            openapi_url=root + (api.openapi_url or ''),
            title=f'{api.title} - Swagger UI',
            oauth2_redirect_url=root + OAUTH2_REDIRECT_PATH,
            swagger_js_url=f'{root}{ASSETS_PATH}/swagger-ui-bundle.js',
            swagger_css_url=f'{root}{ASSETS_PATH}/swagger-ui.css',
            swagger_favicon_url=f'{root}{ASSETS_PATH}/favicon-32x32.png',
            swagger_ui_parameters={'validatorUrl': None},  # no badge fetched from validator.swagger.io
        )

    async def oauth2_redirect(_request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    api.add_route(DOCS_PATH, swagger_ui, include_in_schema=False)
    api.add_route(OAUTH2_REDIRECT_PATH, oauth2_redirect, include_in_schema=False)
