"""Guards in front of the JSON API (a request body size limit, no state change from another site) and of the
pages' socket (not opened by another site).

The API authenticates only with the `Authorization: Bearer` header, never with cookies, so a forged cross-site request
carries no credentials; refusing unsafe methods that a browser marks as cross-site (`Sec-Fetch-Site`, else `Origin`)
is defence in depth, and CORS is never enabled, so other sites cannot read answers either. Answers are RFC 9457
problem details like every other API error.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1_048_576  # 1 MiB: the largest real body (a treatment with 30 medicines) is a few dozen kB
UNSAFE_METHODS = frozenset({'POST', 'PUT', 'PATCH', 'DELETE'})
ALLOWED_FETCH_SITES = frozenset({'same-origin', 'none'})  # 'none': typed by the user, not caused by another page
TOO_LARGE = f'The request body is too large: at most {MAX_BODY_BYTES // 1024} KiB are accepted.'
CROSS_SITE = 'Requests from other sites cannot change anything here. Use the clinic site or call the API directly.'


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit: an HTTPException, so that FastAPI's body parsing
    lets it through to the problem-details handler instead of calling it a parse error."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get('headers', [])
    for key, value in headers:
        if key.lower() == name:
            return value.decode('latin-1')
    return None


def is_cross_site(scope: Scope) -> bool:
    """Whether a browser says this request was caused by another site. Clients that send neither header (curl, apps,
    servers) are not browsers acting for another site; they need the bearer token like everyone else."""
    fetch_site = _header(scope, b'sec-fetch-site')
    if fetch_site is not None:
        return fetch_site.strip().lower() not in ALLOWED_FETCH_SITES
    origin = _header(scope, b'origin')
    if origin is None:
        return False
    host = (_header(scope, b'host') or '').strip().lower()
    return origin.strip().lower() == 'null' or urlsplit(origin.strip().lower()).netloc != host


async def _problem(scope: Scope, send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps(
        {
            'type': 'about:blank',
            'title': title,
            'status': status,
            'detail': detail,
            'instance': scope.get('path', ''),
        }
    ).encode()
    headers = [(b'content-type', b'application/problem+json'), (b'content-length', str(len(body)).encode())]
    if status == 413:
        headers.append((b'connection', b'close'))  # the rest of the body is not read
    await send({'type': 'http.response.start', 'status': status, 'headers': headers})
    await send({'type': 'http.response.body', 'body': body})


class ApiGuard:
    """Pure ASGI middleware for the API application (websockets and lifespan pass through)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        if scope.get('method', 'GET').upper() in UNSAFE_METHODS and is_cross_site(scope):
            await _problem(scope, send, 403, 'Cross-site request refused', CROSS_SITE)
            return
        declared = _header(scope, b'content-length')
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.max_body_bytes):
            await _problem(scope, send, 413, 'Content Too Large', TOO_LARGE)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message['type'] == 'http.request':
                received += len(message.get('body', b''))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message['type'] == 'http.response.start'
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await _problem(scope, send, 413, 'Content Too Large', TOO_LARGE)


class SameSiteSockets:
    """Refuses NiceGUI's socket (websocket or long polling under ``path_prefix``) when a browser says another site
    opened it. The per-page client id it needs is unreadable from another origin already; this is the second lock."""

    def __init__(self, app: ASGIApp, path_prefix: str = '/_nicegui_ws') -> None:
        self.app = app
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = scope['type'] in ('http', 'websocket') and scope.get('path', '').startswith(self.path_prefix)
        if not guarded or not is_cross_site(scope):
            await self.app(scope, receive, send)
            return
        if scope['type'] == 'websocket':
            await send({'type': 'websocket.close', 'code': 1008})  # before accept: the handshake answers 403
            return
        await _problem(scope, send, 403, 'Cross-site request refused', CROSS_SITE)
