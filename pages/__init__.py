"""The NiceGUI pages. Each module has one public ``create()`` that registers its pages."""

from . import account, auth, homes


def create() -> None:
    """Register every page (called by main.py; safe to call again after NiceGUI resets, as tests do)."""
    auth.create()
    homes.create()
    account.create()
