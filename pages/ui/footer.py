"""The footer of every page: which release of HMS answers (what a support request needs first)."""

from __future__ import annotations

from nicegui import ui

from hms import __version__
from hms.i18n import _

from . import theme


def version_footer() -> None:
    """A quiet line in the page's footer landmark (Quasar's footer: a <footer> outside <main>), not fixed."""
    with ui.footer(fixed=False).classes('bg-transparent justify-center py-2'):
        ui.label(_('HMS {version}', version=__version__)).classes(theme.SUBTLE).mark('version')
