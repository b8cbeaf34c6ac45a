"""Whether the database's schema is the one this version of HMS needs, without changing it.

On a shared database (PostgreSQL) migrations are a deploy step of their own (``python main.py migrate``), run once;
a web instance only checks, and refuses to start against a schema that is behind (it would fail on the first query
that reads a new column) or ahead (an older version started after an upgrade).
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from hms.db.migrate import alembic_config


@dataclass(frozen=True)
class SchemaState:
    current: frozenset[str]  # the revisions the database is at (empty: never migrated)
    head: frozenset[str]  # the revisions this version's migrations end in
    known: frozenset[str]  # every revision this version knows

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def ahead(self) -> bool:
        """The database was migrated by a newer version (a revision this one does not know)."""
        return bool(self.current - self.known)

    def problem(self) -> str | None:
        """One line for the operator, or None when the schema is the one this version needs."""
        if self.up_to_date:
            return None
        head = ', '.join(sorted(self.head))
        if not self.current:
            return f'the database has no schema yet (this version needs revision {head}): run python main.py migrate'
        current = ', '.join(sorted(self.current))
        if self.ahead:
            return (
                f'the database is at revision {current}, newer than this version knows (its newest is {head}): '
                'start the version that migrated it'
            )
        return f'the database is at revision {current}, behind this version ({head}): run python main.py migrate'


def schema_state(database_url: str) -> SchemaState:
    """Read the database's revision and compare it with the migrations shipped in the package (raises SQLAlchemy's
    errors when the database cannot be reached)."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return SchemaState(current=frozenset(current), head=frozenset(script.get_heads()), known=known)
