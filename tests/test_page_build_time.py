"""A page of the app may take its time to build when many open at once: slow beats NiceGUI's error page."""

from __future__ import annotations

from typing import Any

import pytest

from hms.domain.enums import Role
from hms.services.principal import Principal
from pages.ui import access


def test_role_pages_wait_longer_than_nicegui_default_before_giving_up(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: dict[str, dict[str, Any]] = {}

    class RecordingPage:
        def __init__(self, path: str, **options: Any) -> None:
            registered[path] = options

        def __call__(self, builder: Any) -> Any:
            return builder

    monkeypatch.setattr(access.ui, 'page', RecordingPage)
    monkeypatch.setattr(access, '_ROLE_PAGES', {})  # the app's registry stays as the app made it

    @access.role_page('/probe', Role.ADMIN)
    async def probe(principal: Principal) -> None:
        """Never built: only its registration is looked at."""

    assert registered['/probe']['response_timeout'] == access.PAGE_BUILD_SECONDS
    assert access.PAGE_BUILD_SECONDS > 3.0  # NiceGUI's default answers a queued page with an error page after 3 s
