"""Sessions and sign-in: where the browser may be sent after signing in, the session's identifiers, where its token
is kept (nowhere on disk in plain text), signing out, and what an account with a one-time password may do."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from nicegui import ui
from nicegui.storage import Storage
from nicegui.testing import User

from hms.config import Settings
from hms.context import AppContext
from pages.ui.session import SESSION_COOKIE, safe_next

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from .factories import DOCTOR_PASSWORD, make_doctor
from .page_steps import see, sign_in

BYPASSES = [
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\\/evil.example',
    '/%2F/evil.example',
    '/%2f%2fevil.example',
    '/%5Cevil.example',
    '/%5cevil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r/evil.example',
    '/%09/evil.example',
    '/%0a/evil.example',
    '/ /evil.example',
    '/\x00/evil.example',
    '/\uff0f/evil.example',  # fullwidth solidus
    'https://evil.example',
    'http:evil.example',
    'javascript:alert(1)',
    'data:text/html,hi',
    'evil.example',
    ' /admin',
    '',
    None,
]


@pytest.mark.parametrize('target', BYPASSES)
def test_the_redirect_after_sign_in_refuses_anything_a_browser_reads_as_another_origin(target: str | None) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize('target', ['/admin', '/doctor/patients?q=ada%20l', '/admin/doctors/3', '/'])
def test_the_redirect_after_sign_in_follows_paths_of_this_site(target: str) -> None:
    assert safe_next(target) == target


def _cookies(user: User) -> dict[str, str]:
    return {cookie.name: str(cookie.value) for cookie in user.http_client.cookies.jar}


async def test_sign_in_and_sign_out_give_the_browser_new_identifiers(user: User) -> None:
    await user.open('/login')
    before = _cookies(user)
    await sign_in(user, ADMIN_EMAIL, ADMIN_PASSWORD, expect='Clinic dashboard')
    signed_in = _cookies(user)
    assert signed_in[SESSION_COOKIE]
    assert signed_in['session'] != before['session']  # NiceGUI's browser id is a new one (no fixation)
    user.find(marker='sign-out').click()
    await see(user, 'Sign in')
    after = _cookies(user)
    assert SESSION_COOKIE not in after
    assert after['session'] not in (signed_in['session'], before['session'])


async def test_a_link_to_logout_does_not_sign_out(user: User) -> None:
    """A GET (a link or an image on another site) only asks; the session lives on until the button is pressed."""
    await sign_in(user, ADMIN_EMAIL, ADMIN_PASSWORD, expect='Clinic dashboard')
    token = _cookies(user)[SESSION_COOKIE]
    for path in ('/logout', '/session/end'):
        await user.http_client.get(path, follow_redirects=True)
    await user.open('/admin')
    await see(user, 'Clinic dashboard')
    assert _cookies(user)[SESSION_COOKIE] == token
    await user.open('/logout')
    user.find(kind=ui.button, content='Sign out').click()
    await see(user, 'Sign in')
    await user.open('/admin')
    await see(user, 'Sign in')


async def test_a_sign_in_link_from_another_browser_signs_no_one_in(user: User) -> None:
    """The hand-over code is bound to the browser that signed in: a planted link does nothing elsewhere."""
    captured: list[str] = []
    original = user.navigate.to

    def capture(target: object, new_tab: bool = False) -> None:
        if isinstance(target, str) and target.startswith('/session/begin'):
            captured.append(target)
            return
        original(target, new_tab)  # type: ignore[arg-type]

    user.navigate.to = capture  # type: ignore[method-assign]
    await user.open('/login')
    user.find('Email').type(ADMIN_EMAIL)
    user.find('Password').type(ADMIN_PASSWORD)
    user.find(kind=ui.button, content='Sign in').click()
    for _ in range(50):
        if captured:
            break
        await user.http_client.get('/login')
    assert captured
    user.http_client.cookies.clear()  # another browser
    response = await user.http_client.get(captured[0], follow_redirects=False)
    assert response.headers['location'] == '/login'
    assert SESSION_COOKIE not in _cookies(user)


def _files_under(*folders: Path) -> list[Path]:
    return [path for folder in folders if folder.exists() for path in folder.rglob('*') if path.is_file()]


async def test_the_raw_session_token_is_stored_nowhere_on_disk(user: User, settings: Settings) -> None:
    await sign_in(user, ADMIN_EMAIL, ADMIN_PASSWORD, expect='Clinic dashboard')
    await user.open('/admin')
    token = _cookies(user)[SESSION_COOKIE].encode()
    files = _files_under(settings.data_path, Storage.path)
    assert files
    assert not [path for path in files if token in path.read_bytes()]


def test_the_data_folder_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / 'older'
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    Settings(data_dir=folder).ensure_data_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_an_account_with_a_one_time_password_can_only_change_it_through_the_api(
    api: TestClient, ctx: AppContext
) -> None:
    make_doctor(ctx, must_change_password=True)
    token = api.post('/api/login', json={'email': 'house@clinic.test', 'password': DOCTOR_PASSWORD}).json()
    headers = {'Authorization': f'Bearer {token["access_token"]}'}
    for method, path in [('GET', '/api/doctor/appointments'), ('GET', '/api/departments'), ('GET', '/api/auth/totp')]:
        refused = api.request(method, path, headers=headers)
        assert refused.status_code == 403, path
        assert refused.headers['content-type'].startswith('application/problem+json')
        assert 'one-time password' in refused.json()['detail']
    assert api.get('/api/me', headers=headers).json()['must_change_password'] is True
    changed = api.post(
        '/api/me/password',
        headers=headers,
        json={'current_password': DOCTOR_PASSWORD, 'new_password': 'a brand new long phrase 42'},
    )
    assert changed.status_code == 200
    assert api.get('/api/departments', headers=headers).status_code == 200
