"""Bringing a store's schema to the newest revision, paying for Alembic only when there is work.

Every ``open`` of a store checks its schema, but almost always it is current already. Importing
Alembic costs about a quarter of a second, on every ``roomctl sessions list`` too, so the
revision is first read straight from ``alembic_version`` and compared with
:data:`HEAD_REVISION`; Alembic is imported and run only for a new database or an older (or
unknown) revision. A test checks that :data:`HEAD_REVISION` is the head of ``migrations/``.

The check and any upgrade run in the caller's write transaction (``BEGIN IMMEDIATE`` on SQLite)
and, on PostgreSQL, under an advisory lock, so rooms starting together migrate once, one after
another, and a room never reads the revision while another is half-way through an upgrade.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions: update it with every new migration (a test fails
# until it is).
HEAD_REVISION = "0001"
VERSION_TABLE = "alembic_version"  # Alembic's default, which migrations/env.py keeps
# Key of the PostgreSQL advisory lock that serialises migrations of rooms starting together.
_MIGRATION_LOCK_KEY = int.from_bytes(b"roomctl", "big")


def upgrade_schema(conn: Connection) -> None:
    """Migrate the database of ``conn`` to the head revision unless it is there already.

    ``conn`` must be inside a transaction that holds the write lock on SQLite; on PostgreSQL
    the advisory lock is taken here and released when that transaction ends.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    if current_revisions(conn) != {HEAD_REVISION}:
        _run_alembic_upgrade(conn)


def current_revisions(conn: Connection) -> set[str]:
    """The revisions ``alembic_version`` records (none for a database never migrated)."""
    # Looked up first: a failing SELECT would abort the whole transaction on PostgreSQL.
    if not inspect(conn).has_table(VERSION_TABLE):
        return set()
    return set(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def _run_alembic_upgrade(conn: Connection) -> None:
    # Imported here, not at the top: see the module docstring.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
