"""The language of an API answer: a problem's human-readable ``detail`` follows the request's ``Accept-Language``
(the machine-readable ``type`` and status never change). Pure ASGI, so the language is set in the request's own
context, which the route (also in its worker thread) and the error handlers see."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from hms import i18n


class RequestLanguage:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        header = next((value for name, value in scope['headers'] if name == b'accept-language'), b'')
        with i18n.use_language(i18n.negotiate(header.decode('latin-1')) if header else None):
            await self.app(scope, receive, send)
