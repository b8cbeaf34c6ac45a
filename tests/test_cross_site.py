"""Cross-site protection of the API and of the pages' socket, and the session cookie's flags.

The API reads credentials only from the Authorization header (a cookie never signs anybody in), refuses unsafe
methods that a browser marks as caused by another site, and never answers CORS preflights; the page session cookie is
HttpOnly and SameSite=Lax, and Secure when HMS_SECURE_COOKIES is set.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from nicegui.testing import User
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from hms.runtime.api_guard import SameSiteSockets

from .api_fixtures import People, assert_problem
from .scheduling_fixtures import local

SITE = 'http://testserver'
EVIL = 'https://evil.example'


def _book(api: TestClient, people: People, headers: dict[str, str]) -> object:
    body = {'doctor_id': people.clinic.doctor.user_id, 'start': local(3, 9).isoformat()}
    return api.post('/api/appointments', json=body, headers={**people.ada, **headers})


@pytest.mark.parametrize(
    'headers',
    [
        {'Sec-Fetch-Site': 'cross-site'},
        {'Sec-Fetch-Site': 'same-site'},  # a sibling subdomain is another application
        {'Origin': EVIL},
        {'Origin': 'null'},  # sandboxed frames and some redirects
        {'Origin': 'http://testserver.evil.example'},
        {'Sec-Fetch-Site': 'cross-site', 'Origin': SITE},  # the browser's own verdict wins over a matching Origin
    ],
)
def test_a_state_change_caused_by_another_site_is_refused_and_changes_nothing(
    api: TestClient, people: People, headers: dict[str, str]
) -> None:
    response = _book(api, people, headers)
    assert_problem(response, 403, 'other sites')
    assert api.get('/api/appointments', headers=people.ada).json() == []


@pytest.mark.parametrize(
    'headers',
    [{}, {'Sec-Fetch-Site': 'same-origin'}, {'Sec-Fetch-Site': 'none'}, {'Origin': SITE}],
    ids=['no browser headers', 'same-origin', 'typed by the user', 'own origin'],
)
def test_same_site_and_non_browser_clients_still_work(api: TestClient, people: People, headers: dict[str, str]) -> None:
    assert _book(api, people, headers).status_code == 201


def test_safe_methods_from_other_sites_are_answered_but_not_readable_there(api: TestClient, people: People) -> None:
    """A cross-site GET changes nothing; without CORS headers the other site's script cannot read the answer."""
    response = api.get('/api/me', headers={**people.ada, 'Origin': EVIL, 'Sec-Fetch-Site': 'cross-site'})
    assert response.status_code == 200
    assert 'access-control-allow-origin' not in response.headers


def test_cors_is_not_enabled(api: TestClient, people: People) -> None:
    preflight = api.options(
        '/api/appointments',
        headers={
            'Origin': EVIL,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization,content-type',
        },
    )
    assert preflight.status_code in (403, 405)
    assert not any(name.startswith('access-control-') for name in preflight.headers)


def test_a_cookie_never_authenticates_the_api(api: TestClient, people: People) -> None:
    """Even a valid token presented as a cookie is ignored: only the Authorization header counts."""
    token = people.ada['Authorization'].removeprefix('Bearer ')
    for name in ('session', 'access_token', 'Authorization', 'session_token'):
        api.cookies.set(name, token)
    response = api.get('/api/me')
    api.cookies.clear()
    assert_problem(response, 401)
    assert response.headers['www-authenticate'] == 'Bearer'


def _session_cookie(set_cookies: list[str]) -> str:
    found = [cookie for cookie in set_cookies if cookie.lower().startswith('session=')]
    assert found, f'no session cookie among {set_cookies}'
    return found[0].lower()


async def test_the_session_cookie_is_http_only_and_same_site(user: User) -> None:
    response = await user.http_client.get('/login')
    cookie = _session_cookie(response.headers.get_list('set-cookie'))
    assert '; httponly' in cookie
    assert '; samesite=lax' in cookie
    assert '; secure' not in cookie  # plain HTTP in development: a Secure cookie would never come back


@pytest.fixture
def secure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HMS_SECURE_COOKIES', 'true')


async def test_the_session_cookie_is_secure_when_served_over_https(secure_cookies: None, user: User) -> None:
    """`secure_cookies` comes first on purpose: main.py reads the setting when `user` starts it."""
    response = await user.http_client.get('/login')
    cookie = _session_cookie(response.headers.get_list('set-cookie'))
    assert '; secure' in cookie and '; httponly' in cookie and '; samesite=lax' in cookie


# --- The pages' socket -----------------------------------------------------------------------------------------------


def _socket_app() -> TestClient:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text('hello')
        await websocket.close()

    async def poll(request: Request) -> PlainTextResponse:
        return PlainTextResponse('polled')

    app = Starlette(routes=[WebSocketRoute('/_nicegui_ws/socket.io/', echo), Route('/_nicegui_ws/poll', poll)])
    return TestClient(SameSiteSockets(app))


@pytest.mark.parametrize('headers', [{'Sec-Fetch-Site': 'cross-site'}, {'Origin': EVIL}], ids=['fetch', 'origin'])
def test_another_site_cannot_open_the_pages_socket(headers: dict[str, str]) -> None:
    client = _socket_app()
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect('/_nicegui_ws/socket.io/', headers=headers):
            pass
    assert refused.value.code == 1008
    assert_problem(client.get('/_nicegui_ws/poll', headers=headers), 403, 'other sites')


@pytest.mark.parametrize('headers', [{}, {'Sec-Fetch-Site': 'same-origin'}, {'Origin': SITE}])
def test_the_own_site_opens_the_pages_socket(headers: dict[str, str]) -> None:
    client = _socket_app()
    with client.websocket_connect('/_nicegui_ws/socket.io/', headers=headers) as socket:
        assert socket.receive_text() == 'hello'
    assert client.get('/_nicegui_ws/poll', headers=headers).text == 'polled'


async def test_the_web_app_guards_its_socket(user: User) -> None:
    """main.py puts the guard in front of NiceGUI's socket (long polling shown; the websocket shares the path)."""
    path = '/_nicegui_ws/socket.io/?EIO=4&transport=polling'
    refused = await user.http_client.get(path, headers={'Sec-Fetch-Site': 'cross-site'})
    assert refused.status_code == 403
    allowed = await user.http_client.get(path, headers={'Sec-Fetch-Site': 'same-origin'})
    assert allowed.status_code != 403
