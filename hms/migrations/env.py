"""Alembic environment: the URL comes from the caller (hms.db.migrate) or HMS_DATABASE_URL."""

from alembic import context

from hms.config import Settings
from hms.db.engine import make_engine
from hms.db.models import Base

config = context.config
url = config.get_main_option('sqlalchemy.url') or Settings().effective_database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
