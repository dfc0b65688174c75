"""The database schema's history, kept by Alembic; ``upgrade`` brings a database to the newest.

Revision 0001 is the schema as the first release created it (``create_all``), so a database made
by that release, which has the tables but no ``alembic_version``, is stamped at 0001 and upgraded
from there. Everything runs in one transaction on the caller's engine, which holds a lock from
the start (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE), so servers starting together
migrate one after the other and the later ones find nothing to do.

New revisions: ``.venv/bin/alembic revision --autogenerate -m "what changes"`` from the project's
folder (alembic.ini there points here), against a database at the newest revision.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

FOLDER = Path(__file__).resolve().parent
FIRST_REVISION = "0001"
# The tables the first release created, all at once: with none of them the database is new.
FIRST_RELEASE_TABLES = frozenset({"api_keys", "plans", "plan_versions", "plan_events"})
_LOCK = 0x706C616E6E6572  # pg_advisory_xact_lock key, the same for every server of this service


class UnknownSchema(RuntimeError):
    """The database has some of the service's tables but no revision: made by nothing we know."""


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without an ini file, for this package wherever it is installed."""
    settings = Config()
    settings.set_main_option("script_location", str(FOLDER))
    if connection is not None:
        settings.attributes["connection"] = connection
    return settings


def head() -> str:
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    """The database's revision; None for a database with no revision table."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``: create a new one, stamp one of the first release first."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock before the first look
        settings = config(connection)
        if MigrationContext.configure(connection).get_current_revision() is None:
            present = FIRST_RELEASE_TABLES & set(inspect(connection).get_table_names())
            if present == FIRST_RELEASE_TABLES:
                command.stamp(settings, FIRST_REVISION)
            elif present:
                raise UnknownSchema(
                    f"the database has the tables {sorted(present)} of this service but not "
                    f"{sorted(FIRST_RELEASE_TABLES - present)} and no alembic_version: not upgraded"
                )
        command.upgrade(settings, revision)
