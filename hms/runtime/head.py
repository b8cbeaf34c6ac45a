"""HEAD answered like GET, without the body, for every page and API route.

Uptime monitors probe with HEAD; NiceGUI pages and FastAPI routes are registered for GET only and would answer 405.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Pure ASGI middleware: run a HEAD request as the GET it stands for and send the answer's status and headers
    (Content-Length included, as HTTP allows) with an empty body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or scope.get('method') != 'HEAD':
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message['type'] == 'http.response.body':
                message = {**message, 'body': b''}
            await send(message)

        await self.app({**scope, 'method': 'GET'}, receive, send_without_body)
