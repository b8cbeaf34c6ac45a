"""Security headers on every response of the web process (pages, API, downloads).

Personal data must not linger in shared caches or the back/forward cache, so everything but NiceGUI's own versioned
static assets is `no-store`. The Content-Security-Policy is the strictest NiceGUI runs under: Vue compiles the
page templates in the browser ('unsafe-eval') and NiceGUI writes inline scripts and styles ('unsafe-inline').
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = '; '.join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Sent only when users reach the app over https (HMS_PUBLIC_URL): browsers then refuse plain http for a year.
HSTS = b'max-age=31536000; includeSubDomains'
# Versioned framework assets and Swagger UI's files (served from the package, no CDN): no personal data.
CACHEABLE_PREFIXES = ('/_nicegui/', '/favicon', '/api/docs/assets/')


class SecurityHeaders:
    """Pure ASGI middleware (works for HTTP responses and leaves websockets alone)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        path: str = scope.get('path', '')

        async def send_with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                cacheable = path.startswith(CACHEABLE_PREFIXES)
                replaced = _REPLACED if cacheable else _REPLACED | {b'cache-control'}
                headers = [(k, v) for k, v in message.get('headers', []) if k.lower() not in replaced]
                headers += [
                    (b'x-content-type-options', b'nosniff'),
                    (b'referrer-policy', b'same-origin'),
                    (b'x-frame-options', b'DENY'),
                    (b'content-security-policy', CSP.encode()),
                ]
                if not cacheable:
                    headers.append((b'cache-control', b'no-store'))
                if self.hsts:
                    headers.append((b'strict-transport-security', HSTS))
                message = {**message, 'headers': headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_REPLACED = {
    b'strict-transport-security',
    b'x-frame-options',
    b'content-security-policy',
    b'referrer-policy',
    b'x-content-type-options',
}
