"""One SQLAlchemy engine per store, set up for its dialect: a SQLite file or a PostgreSQL server.

SQLite needs the most care: the file holds clinical records, so it is created private; every
connection runs in WAL mode with full sync and waits on locks; and write transactions take the
write lock up front so two room processes sharing one file queue instead of failing.
PostgreSQL needs a connect timeout and a pre-ping, so a dead server fails fast and a restarted
one is reconnected.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from roomctl.timeline.errors import StoreError, StoreUnavailable

log = logging.getLogger(__name__)

# Execution option that makes a SQLite transaction begin IMMEDIATE (see _on_sqlite_begin).
WRITE_OPTION = "roomctl_write"
_SQLITE_BUSY_MS = 5000

_json_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def create_store_engine(url: str, shown_as: str) -> Engine:
    """An engine for the store at ``url`` (no connection yet); ``shown_as`` names it in errors.

    Raises :class:`StoreError` for a URL that is invalid, of another database or of a missing
    driver, and :class:`StoreUnavailable` when the SQLite file cannot be created.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"invalid timeline store URL {shown_as}: {exc}") from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed, shown_as)
        if backend == "postgresql":
            return _postgresql_engine(parsed)
    except (NoSuchModuleError, ImportError, ArgumentError) as exc:
        raise StoreError(f"cannot use timeline store {shown_as}: {exc}") from None
    raise StoreError(
        f"unsupported timeline store {shown_as}: "
        "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    )


def _sqlite_engine(url: URL, shown_as: str) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        raise StoreError(
            "an in-memory SQLite timeline cannot be shared with the writer thread: "
            "give a file, e.g. sqlite:////path/to/timeline.db"
        )
    path = Path(database).expanduser().absolute()
    try:
        _prepare_sqlite_file(path)
    except OSError as exc:
        raise StoreUnavailable(
            f"timeline store {shown_as} is unavailable: cannot create {path}: {exc.strerror or exc}"
        ) from None
    engine = create_engine(url.set(database=str(path)), json_serializer=_json_dumps)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _postgresql_engine(url: URL) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is the one we ship
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = 5  # a dead server must not hang the writer
    if "application_name" not in url.query:
        connect_args["application_name"] = "roomctl"
    return create_engine(
        url,
        json_serializer=_json_dumps,
        pool_pre_ping=True,  # drop connections that died with a server restart
        connect_args=connect_args,
    )


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection SQLite settings: durability, waiting on locks, WAL, foreign keys.

    ``isolation_level = None`` stops the sqlite3 module from starting transactions on its own,
    so :func:`_on_sqlite_begin` decides how each one begins.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
        mode = _switch_to_wal(cursor)
        if mode != "wal":
            log.warning("SQLite refused WAL mode (journal_mode=%s): writes block readers", mode)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor: sqlite3.Cursor) -> str:
    """Put the file in WAL mode (once per file; later connections find it so already).

    The switch needs an exclusive lock and SQLite does not apply busy_timeout to it, so rooms
    opening a new file together would fail with "database is locked": retry, within the same
    5 s a busy lock is waited for.
    """
    current = cursor.execute("PRAGMA journal_mode").fetchone()
    if current is not None and str(current[0]).lower() == "wal":
        return "wal"
    deadline = time.monotonic() + _SQLITE_BUSY_MS / 1000
    pause = 0.005
    while True:
        try:
            switched = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
            return "" if switched is None else str(switched[0]).lower()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _on_sqlite_begin(conn: Connection) -> None:
    """Writes take the write lock up front (BEGIN IMMEDIATE), reads stay deferred.

    A deferred transaction that reads and then writes cannot wait for the lock when another
    process wrote meanwhile: SQLite fails it at once with "database is locked". Taking the lock
    first lets busy_timeout do its job when two room processes share one file. A transaction is
    a write when its connection carries the :data:`WRITE_OPTION` execution option.
    """
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _prepare_sqlite_file(path: Path) -> None:
    """Create the folder (0700) and the file (0600) before SQLite does, so nobody else reads it.

    The timeline holds clinical records; SQLite would create the file with the umask's mode,
    typically world-readable. Its -wal and -shm files copy the database file's mode.
    """
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(mode=0o700, parents=True)
        except FileExistsError:
            pass  # another room process created it a moment ago
        else:
            parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)
