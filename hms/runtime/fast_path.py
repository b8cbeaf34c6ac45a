"""A direct path from the server to the mounted API, past the page framework's own middleware.

The web app mounts the API at ``/api`` inside NiceGUI's application, whose middleware serves the pages: a browser
session cookie and per-browser storage created for every request that has none (a bearer-token client never has
one, so each API request made a new session, set a cookie and created a storage entry), and two
``BaseHTTPMiddleware`` layers that run every request in another task and stream. None of that is of use to the API.

``install`` makes the application send HTTP requests under the prefix straight to the API, through the same pure
ASGI middleware the application has (``hms.runtime``'s: request id, HEAD as GET, security headers; and GZip), in the
same order, with the scope a ``Mount`` would give. Everything else (pages, websockets, static files) goes the usual
way. The API keeps its own error handling, guard and language middleware.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

_KEPT_MODULE = 'hms.runtime.'


def _kept(factory: Any) -> bool:
    """Pure ASGI middleware the API's answers need too (ours, and compression); not the pages' own."""
    if factory is GZipMiddleware or (isinstance(factory, type) and issubclass(factory, GZipMiddleware)):
        return True
    if getattr(factory, '__annotations__', {}).get('return') in (GZipMiddleware, 'GZipMiddleware'):
        return True  # NiceGUI's gzip_middleware_factory
    return str(getattr(factory, '__module__', '')).startswith(_KEPT_MODULE)


class _Prefixed:
    """Sends HTTP requests under ``prefix`` to ``direct``, the rest to ``full``."""

    def __init__(self, full: ASGIApp, direct: ASGIApp, prefix: str) -> None:
        self.full, self.direct, self.prefix = full, direct, prefix
        self._slash = prefix + '/'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get('path', '')
        if scope['type'] == 'http' and not scope.get('root_path') and path.startswith(self._slash):
            await self.direct(scope, receive, send)
            return
        await self.full(scope, receive, send)


class _Mounted:
    """The scope a ``Mount(prefix, app)`` gives its app, reached through ``router`` (the application's)."""

    def __init__(self, app: ASGIApp, prefix: str, router: Any) -> None:
        self.app, self.prefix, self.router = app, prefix, router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        child = {**scope, 'app_root_path': scope.get('app_root_path', ''), 'root_path': self.prefix}
        child.setdefault('path_params', {})
        # The outer router, as when the request went through it: url_for then names the mounted path (/api/...).
        child.setdefault('router', self.router)
        await self.app(child, receive, send)


class _Target:
    def __init__(self, api: ASGIApp) -> None:
        self.api = api


_TARGET = 'hms_fast_path'


def install(app: Starlette, prefix: str, api: ASGIApp) -> None:
    """Route HTTP requests under ``prefix`` (where ``api`` is mounted) past ``app``'s other middleware. Installing
    again (the API mounted anew, as tests do) only changes the target."""
    target: _Target | None = app.__dict__.get(_TARGET)
    if target is not None:
        target.api = api
        app.middleware_stack = None  # built again, around the new API, on the next request
        return
    target = app.__dict__[_TARGET] = _Target(api)
    build = app.build_middleware_stack

    def build_with_fast_path() -> ASGIApp:
        assert target is not None
        direct: ASGIApp = _Mounted(target.api, prefix, app.router)
        for factory, args, kwargs in reversed(app.user_middleware):
            if _kept(factory):
                direct = factory(direct, *args, **kwargs)
        return _Prefixed(build(), direct, prefix)

    app.build_middleware_stack = build_with_fast_path  # type: ignore[method-assign]
