"""A real browser against a real server (`python main.py`): signing in hands the session over through
/session/begin (an HttpOnly cookie, a new browser id), signing out goes through the confirming page, and every file
the running system wrote under its data folder is its owner's only (the process sets umask 077 at start)."""

from __future__ import annotations

import re
import stat

import pytest
from playwright.sync_api import expect

from .browsing import Browsing, Clinic
from .checks import sign_in

desktop = pytest.mark.parametrize('browsing', ['desktop'], indirect=True)


@desktop
def test_a_real_browser_signs_in_and_out_through_the_session_hand_over(browsing: Browsing, clinic: Clinic) -> None:
    page = browsing.page('admin')
    page.goto('/login')
    before = {cookie['name']: cookie['value'] for cookie in page.context.cookies()}
    sign_in(page, clinic.admin_email, clinic.admin_password)
    expect(page.get_by_text('Clinic dashboard').first).to_be_visible()
    cookies = {cookie['name']: cookie for cookie in page.context.cookies()}
    assert cookies['hms_session']['httpOnly'] and cookies['hms_session']['sameSite'] == 'Lax'
    assert cookies['session']['value'] != before['session']  # a new browser id after signing in
    page.goto('/logout')  # a link only asks
    expect(page.get_by_text('Do you want to sign out')).to_be_visible()
    page.get_by_role('button', name='Sign out', exact=True).click()
    page.wait_for_url(re.compile(r'/login$'))
    assert 'hms_session' not in {cookie['name'] for cookie in page.context.cookies()}
    page.goto('/admin')
    page.wait_for_url(re.compile(r'/login\?next=/admin$'))


@desktop
def test_files_under_the_data_folder_are_readable_by_their_owner_only(browsing: Browsing, clinic: Clinic) -> None:
    page = browsing.page('admin')
    sign_in(page, clinic.admin_email, clinic.admin_password)  # NiceGUI writes this browser's storage file
    expect(page.get_by_text('Clinic dashboard').first).to_be_visible()
    data = clinic.server.data_dir
    harness_log = clinic.server.log_path  # opened by this test's harness, not by HMS
    written = [path for path in data.rglob('*') if path != harness_log and not path.is_socket()]
    assert any(path.name.endswith('.db') for path in written)
    assert any('nicegui' in path.parts for path in written if path.is_file())
    wide = {str(path.relative_to(data)): oct(stat.S_IMODE(path.stat().st_mode)) for path in written}
    assert {name: mode for name, mode in wide.items() if int(mode, 8) & 0o077} == {}
