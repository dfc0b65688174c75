"""Alembic's environment: the service's tables, on the caller's connection or on a URL.

``api.migrations.upgrade`` hands its connection in ``config.attributes``; the ``alembic`` command
(alembic.ini in the project's folder) opens ``sqlalchemy.url`` if set, else PLANNER_DATABASE_URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from api.settings import Settings
from api.storage import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters a table by copying it; later revisions get that from op.batch_alter_table.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    _run(given)
else:
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()
