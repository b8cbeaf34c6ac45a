"""Guards in front of the JSON API (bounds on request bodies, no state change from another site) and of the pages'
socket (not opened by another site).

A body is read whole (at most ``max_body_bytes``) before the route sees it, and a JSON body is refused when it nests
deeper than ``max_json_depth`` or holds more than ``max_json_items`` members in all (object keys and array items):
a body of tens of thousands of unknown keys gets one small 413 at once, instead of a validation error per key.
The largest valid body (a doctor's full availability: 168 weekly windows and 400 overrides of 24 windows each) has
about 31 000 members and nests 5 deep, so the defaults refuse nothing a client may send.

The API authenticates only with the `Authorization: Bearer` header, never with cookies, so a forged cross-site request
carries no credentials; refusing unsafe methods that a browser marks as cross-site (`Sec-Fetch-Site`, else `Origin`)
is defence in depth, and CORS is never enabled, so other sites cannot read answers either. Answers are RFC 9457
problem details like every other API error, with a stable ``code`` and a ``detail`` in the request's language (the
guard runs inside hms.api.language's middleware).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hms.i18n import _
from hms.i18n.formats import format_number

MAX_BODY_BYTES = 1_048_576  # 1 MiB: the largest real body (a treatment with 30 medicines) is a few dozen kB
MAX_JSON_DEPTH = 32
MAX_JSON_ITEMS = 40_000
UNSAFE_METHODS = frozenset({'POST', 'PUT', 'PATCH', 'DELETE'})
ALLOWED_FETCH_SITES = frozenset({'same-origin', 'none'})  # 'none': typed by the user, not caused by another page


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


def json_shape_problem(body: bytes, *, max_depth: int, max_items: int) -> str | None:
    """'too_deep' or 'too_many_items' when ``body`` is JSON beyond the bounds; None otherwise (also when it is not
    JSON at all: the route's own parsing answers that). One parse in C, then a walk that stops at the first bound."""
    try:
        value: Any = json.loads(body)
    except RecursionError:  # nested deeper than the parser's own stack
        return 'too_deep'
    except ValueError:
        return None
    items = 0
    pending = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > max_depth:
            return 'too_deep'
        items += len(children)
        if items > max_items:
            return 'too_many_items'
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return None


async def _problem(scope: Scope, send: Send, status: int, title: str, code: str, detail: str) -> None:
    body = json.dumps(
        {
            'type': 'about:blank',
            'title': title,
            'status': status,
            'detail': detail,
            'instance': scope.get('path', ''),
            'code': code,
        }
    ).encode()
    headers = [(b'content-type', b'application/problem+json'), (b'content-length', str(len(body)).encode())]
    if status == 413:
        headers.append((b'connection', b'close'))  # the rest of the body may be unread
    await send({'type': 'http.response.start', 'status': status, 'headers': headers})
    await send({'type': 'http.response.body', 'body': body})


async def _cross_site(scope: Scope, send: Send) -> None:
    detail = _('Requests from other sites cannot change anything here. Use the clinic site or call the API directly.')
    await _problem(scope, send, 403, 'Cross-site request refused', 'cross_site', detail)


class ApiGuard:
    """Pure ASGI middleware for the API application (websockets and lifespan pass through)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_json_depth: int = MAX_JSON_DEPTH,
        max_json_items: int = MAX_JSON_ITEMS,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.max_json_items = max_json_items

    async def _too_large(self, scope: Scope, send: Send) -> None:
        detail = _(
            'The request body is too large: at most {size} KiB are accepted.',
            size=format_number(self.max_body_bytes // 1024),
        )
        await _problem(scope, send, 413, 'Content Too Large', 'body_too_large', detail)

    async def _read_body(self, receive: Receive) -> tuple[bytes | None, bool]:
        """(the whole body, or None past the limit; whether the client went away meanwhile)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message['type'] != 'http.request':
                return b''.join(chunks), True
            chunk = message.get('body', b'')
            size += len(chunk)
            if size > self.max_body_bytes:
                return None, False
            chunks.append(chunk)
            if not message.get('more_body', False):
                return b''.join(chunks), False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        if scope.get('method', 'GET').upper() in UNSAFE_METHODS and is_cross_site(scope):
            await _cross_site(scope, send)
            return
        declared = _header(scope, b'content-length')
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.max_body_bytes):
            await self._too_large(scope, send)
            return
        body, disconnected = await self._read_body(receive)
        if body is None:
            await self._too_large(scope, send)
            return
        shape = json_shape_problem(body, max_depth=self.max_json_depth, max_items=self.max_json_items)
        if shape == 'too_deep':
            detail = _('The request body nests too deeply: at most {n} levels are accepted.', n=self.max_json_depth)
            await _problem(scope, send, 413, 'Content Too Large', 'body_too_deep', detail)
            return
        if shape == 'too_many_items':
            detail = _(
                'The request body holds too many values: at most {n} keys and list items in all are accepted.',
                n=format_number(self.max_json_items),
            )
            await _problem(scope, send, 413, 'Content Too Large', 'body_too_many_items', detail)
            return
        await self.app(scope, _replay(body, receive, disconnected), send)


def _replay(body: bytes, receive: Receive, disconnected: bool) -> Receive:
    """A ``receive`` that hands the body read already to the application, then waits on the client as before."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {'type': 'http.request', 'body': body, 'more_body': False}
        if disconnected:
            return {'type': 'http.disconnect'}
        return await receive()

    return replay


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
        await _cross_site(scope, send)
