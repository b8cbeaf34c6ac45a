"""Every page the app registers, for every role that may open it, in a real browser against the real server.

The pages come from the app's own registry (``pages.ui.access.registered_pages``: every ``role_page`` and every
other NiceGUI page), so a page added later is held to the same checks without being listed here; a registered page
that no one visited fails the test by name (a path's parameters get a sample object: a doctor, a patient, an
appointment, a board, a link token). At desktop and phone width, each page in light and in dark (the device's
colour scheme, which a new account's theme follows), with a new account's data: it opens without a JavaScript error
or a server error, fits the width, names its controls, keeps AA contrast, and axe-core finds no violation of WCAG 2.0,
2.1 and 2.2 A and AA nor of the best-practice rules aria-dialog-name, landmark-one-main, region, skip-link and
heading-order. The error pages (no page at an address, another role's page) are checked the same way.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .accessibility import ROLES, Cast, cast, follows_colour_scheme, registered_pages, violations
from .browsing import Browsing, Clinic
from .checks import sign_in, usable

NO_SUCH_PAGE = '/no-such-page/anywhere'


def opened(page: Page, path: str) -> None:
    """Open ``path`` and wait until it is built (its heading) and its data has arrived."""
    page.goto(path)
    expect(page.get_by_role('heading', level=1).first).to_be_visible()
    page.wait_for_load_state('networkidle')


GROUPS = ('signed out', *ROLES)
_casts: dict[str, Cast] = {}  # one set of accounts per device, shared by the groups' tests
_visited: dict[str, set[str]] = {}  # device → the registered pages checked so far


@pytest.mark.parametrize('group', GROUPS)
def test_every_registered_page_passes_axe_in_both_themes(
    browsing: Browsing, clinic: Clinic, request: pytest.FixtureRequest, group: str
) -> None:
    """One group at a time (signed out, then each role), so that each test stays short and says whose pages failed."""
    device = str(request.node.callspec.params['browsing'])
    first_scheme = str(browsing.device.get('color_scheme', 'light'))
    other_scheme = 'light' if first_scheme == 'dark' else 'dark'
    registry = registered_pages()
    if device not in _casts:
        _casts[device] = cast(clinic, f'every-{device}')
    people = _casts[device]
    problems: list[str] = []
    visited = _visited.setdefault(device, set())

    def check(page: Page, template: str, who: str) -> None:
        try:
            path = template if template.startswith(NO_SUCH_PAGE) else people.path(template)
        except KeyError as parameter:
            problems.append(f'{template}: no sample object for the parameter {parameter} (see accessibility.cast)')
            return
        opened(page, path)
        usable(page)
        problems.extend(violations(page, f'{template} ({who}, {device}, {first_scheme})'))
        if follows_colour_scheme(page, other_scheme):
            problems.extend(violations(page, f'{template} ({who}, {device}, {other_scheme})', colours_only=True))
        page.emulate_media(color_scheme=first_scheme)  # type: ignore[arg-type]
        visited.add(template)
        if template == NO_SUCH_PAGE:  # the browser logs the 404 answer that this page is
            expected = f'404 (Not Found) ({clinic.url}{NO_SUCH_PAGE})'
            browsing.errors[:] = [error for error in browsing.errors if not error.endswith(expected)]

    if group == 'signed out':
        visitor = browsing.page('visitor')
        for template, roles in registry.items():
            if roles is None:
                check(visitor, template, 'signed out')
        check(visitor, NO_SUCH_PAGE, 'signed out')
        assert not problems, f'{len(problems)} accessibility violations:\n' + '\n'.join(problems)
        return

    # A page of one role is visited by that role; a page several roles open (the account pages, exports, documents),
    # the "not allowed" page and the 404 page by one of them in turn, another at each device size: each role's frame
    # and navigation are checked on its own pages anyway.
    role = group
    roles_here = [taker for taker in ROLES if taker in people.accounts]
    if role not in roles_here:
        pytest.fail(f'no {role} account: {people.missing.get(role, "see accessibility.cast")}')
    shared = [path for path, roles in registry.items() if roles is not None and len(roles) != 1]
    turn = 0 if device == 'desktop' else 1
    page = browsing.page(role)
    sign_in(page, *people.accounts[role])
    for template, roles in registry.items():
        if roles is None or role not in (roles or ROLES):
            continue
        if template in shared:
            takers = [taker for taker in roles_here if taker in (roles or ROLES)]
            if takers[(shared.index(template) + turn) % len(takers)] != role:
                continue
        check(page, template, role)
    if role == roles_here[turn % len(roles_here)]:
        others = [path for path, roles in registry.items() if roles and role not in roles and '{' not in path]
        check(page, others[0], f'{role}, not allowed')  # the "not allowed" page
        check(page, NO_SUCH_PAGE, role)
    assert not problems, f'{len(problems)} accessibility violations:\n' + '\n'.join(problems)


def test_no_registered_page_went_unchecked() -> None:
    """Runs after the groups above (pytest keeps a module's order): every registered page was checked at each size."""
    if not _visited:
        pytest.skip('runs together with test_every_registered_page_passes_axe_in_both_themes')
    registry = registered_pages()
    not_visited = [
        f'{path} at {device} (for {", ".join(roles or ["everyone"])})'
        for device, visited in sorted(_visited.items())
        for path, roles in registry.items()
        if path not in visited
    ]
    assert not not_visited, 'registered pages no one could open:\n' + '\n'.join(not_visited)
