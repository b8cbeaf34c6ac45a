"""Schema migrations through Alembic, run programmatically at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Alembic (~11 MB) is loaded by the processes that migrate or check the schema, not by every one
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / 'migrations'  # shipped inside the package


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option('script_location', str(MIGRATIONS_DIR))
    config.set_main_option('sqlalchemy.url', database_url.replace('%', '%%'))
    return config


def upgrade(database_url: str) -> None:
    """Bring the database to the newest schema; creates it on first start."""
    from alembic import command

    command.upgrade(alembic_config(database_url), 'head')
