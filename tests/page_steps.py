"""Steps shared by the page tests that drive NiceGUI's simulated ``user``: waiting to see something, signing in (as
each role), and reading the tables and fields of the current page.

``sign_in`` starts from a signed-out browser; ``switch_to`` and the ``as_...`` steps sign out first (the sign-in form
sends a signed-in visitor home), so that one test can be several people in turn. Signing in hands the new session to
the browser through ``/session/begin`` (a redirect the simulated user follows, keeping the cookie it sets).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from nicegui import ui
from nicegui.testing import User

from hms.services.principal import Principal

from .api_fixtures import give_password
from .factories import ADMIN_EMAIL, ADMIN_PASSWORD, DOCTOR_PASSWORD, PATIENT_PASSWORD
from .scheduling_fixtures import Clinic

# Handlers run in worker threads and some hash a password (argon2, slow on a busy two-core machine): poll every
# 0.1 s for up to 60 s rather than NiceGUI's default 0.3 s. Waiting ends as soon as the page shows it.
PATIENCE = 600
# How long a click on Sign in may show nothing at all (no spinner, no message) before it counts as lost.
LOST_CLICK = 50
FORBIDDEN = 'You do not have access to this page.'


async def see(
    user: User, target: str | type[ui.element] | None = None, *, retries: int = PATIENCE, **filters: Any
) -> None:
    if target is None:  # seen by kind, marker or content alone
        await user.should_see(retries=retries, **filters)
    else:
        await user.should_see(target, retries=retries, **filters)


async def eventually(check: Callable[[], object], what: str, *, tolerate: tuple[type[Exception], ...] = ()) -> None:
    """Poll ``check`` until it is true; an exception of a ``tolerate`` type counts as not yet."""
    for _ in range(PATIENCE):
        try:
            if check():
                return
        except tolerate:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f'timed out waiting for: {what}')


# --- Signing in ---------------------------------------------------------------------------------------------------


def submit_credentials(user: User, email: str, password: str) -> None:
    """Fill in the sign-in form of the current page and press Sign in."""
    user.find('Email').type(email)
    user.find('Password').type(password)
    user.find(kind=ui.button, content='Sign in').click()


async def sign_in(user: User, email: str, password: str, expect: str | None = None, *, retries: int = PATIENCE) -> None:
    """Open the sign-in form and sign in; with ``expect``, wait to see it (the landing page, or the refusal)."""
    await user.open('/login')
    submit_credentials(user, email, password)
    if expect is None:
        return
    try:
        await see(user, expect, retries=min(retries, LOST_CLICK))
    except AssertionError:
        # In whole-suite runs with several simulated browsers open, NiceGUI's user simulation now and then loses the
        # click (the form stays filled in, nothing loading, no message). Only that case is clicked once more; a
        # sign-in still under way is waited for, a refusal shows its message, and one that really fails fails again.
        if _untouched_sign_in_form(user):
            user.find(kind=ui.button, content='Sign in').click()
        await see(user, expect, retries=retries)


def _untouched_sign_in_form(user: User) -> bool:
    assert user.client is not None
    elements = list(user.client.layout.descendants())
    buttons = [e for e in elements if isinstance(e, ui.button) and 'sign-in' in e._markers]
    messages = [e for e in elements if e.props.get('role') == 'alert' and e.visible and getattr(e, 'text', '')]
    return len(buttons) == 1 and not buttons[0].props.get('loading') and not messages


async def sign_out(user: User) -> None:
    """Sign out as a person does: /logout only asks (a link cannot sign anyone out), the button signs out and the
    browser lands on the sign-in form. Nothing happens for a browser that is not signed in."""
    await user.open('/logout')
    if _has_marker(user, 'confirm-sign-out'):
        user.find(marker='confirm-sign-out').click()
    await see(user, kind=ui.button, marker='sign-in')


def _has_marker(user: User, marker: str) -> bool:
    assert user.client is not None
    return any(marker in e._markers for e in user.client.layout.descendants())


async def switch_to(user: User, email: str, password: str, expect: str, *, retries: int = PATIENCE) -> None:
    """Sign out whoever is signed in, then sign in as ``email`` and wait to see ``expect``."""
    await sign_out(user)
    await sign_in(user, email, password, expect, retries=retries)


async def sign_in_admin(user: User) -> None:
    await sign_in(user, ADMIN_EMAIL, ADMIN_PASSWORD, 'Clinic dashboard')


async def as_admin(user: User) -> None:
    await switch_to(user, ADMIN_EMAIL, ADMIN_PASSWORD, 'Clinic dashboard')


async def as_patient(user: User, email: str = 'ada@example.com') -> None:
    await switch_to(user, email, PATIENT_PASSWORD, 'My health')


async def as_doctor(user: User, clinic: Clinic, doctor: Principal | None = None) -> None:
    """The doctor (the clinic's first unless named) with a known, already changed password, signed in."""
    doctor = doctor or clinic.doctor
    give_password(clinic, doctor)
    await switch_to(user, doctor.email, DOCTOR_PASSWORD, 'My day')


# --- Reading and filling the page -----------------------------------------------------------------------------------


def table(user: User, marker: str) -> ui.table:
    assert user.client is not None
    return next(e for e in user.client.layout.descendants() if isinstance(e, ui.table) and marker in e._markers)


def rows(user: User, marker: str) -> list[dict[str, Any]]:
    """The rows of the marked table, none while it is hidden (an empty state shows instead)."""
    found = table(user, marker)
    return list(found.rows) if found.visible else []


def column(user: User, marker: str, name: str) -> list[Any]:
    return [row[name] for row in rows(user, marker)]


def row_action(user: User, marker: str, event: str, **match: object) -> None:
    """Click a row's action button: the table slot emits ``event`` with the row."""
    row = next(row for row in rows(user, marker) if all(row[key] == value for key, value in match.items()))
    user.find(kind=ui.table, marker=marker).trigger(event, row)


def element(user: User, *, marker: str | None = None, label: str | None = None) -> Any:
    """One input, select or other element, by marker (within the current scope) or by its label."""
    if marker is not None:
        found = user.find(marker=marker).elements
        assert len(found) == 1, f'expected one element marked {marker!r}, found {len(found)}'
        return next(iter(found))
    assert user.client is not None
    fields = [
        e
        for e in user.client.layout.descendants()
        if isinstance(e, ui.input | ui.select) and e.props.get('label') == label
    ]
    assert len(fields) == 1, f'expected one field labelled {label!r}, found {len(fields)}'
    return fields[0]


def fill(user: User, value: Any, *, marker: str | None = None, label: str | None = None) -> None:
    """Replace a field's value (as a person selecting all and typing would)."""
    with user:
        element(user, marker=marker, label=label).value = value


def fill_in(user: User, values: dict[str, Any], *, by: Literal['label', 'marker'] = 'label') -> None:
    """Fill several fields in turn, each found by its label (or its marker)."""
    for key, value in values.items():
        fill(user, value, **{by: key})


def pick(user: User, select: str, option: str) -> None:
    """Open the labelled select and choose an option."""
    user.find(kind=ui.select, content=select).click()
    user.find(option).click()


def text_of(user: User, marker: str) -> str:
    with user:
        return str(element(user, marker=marker).text)


def label_text(user: User, marker: str) -> str:
    found = element(user, marker=marker)
    assert isinstance(found, ui.label)
    return found.text
