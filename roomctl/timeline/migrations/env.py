"""Alembic environment for the timeline store, driven only from :meth:`TimelineStore.open`.

There is no alembic.ini: the store builds the config in code and hands over a connection that is
already inside a transaction (holding ``BEGIN IMMEDIATE`` on SQLite or an advisory lock on
PostgreSQL), so that several room processes starting together migrate once, one after another.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "roomctl runs its timeline migrations from TimelineStore.open(), which passes an open "
        "connection in config.attributes['connection']; the alembic command line is not set up"
    )

context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
