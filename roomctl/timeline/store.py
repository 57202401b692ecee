"""The timeline store: sessions, their append-only audited events, samples and waves.

One schema on two engines: a SQLite file (the default, one room per machine) or a PostgreSQL
server (a clinic whose rooms share one database). SQLAlchemy Core, synchronous: the only caller
that writes is :class:`~roomctl.timeline.writer.TimelineWriter`'s thread, so the GUI never waits on
disk; review and the CLI read from their own threads.

Every event gets an audit link, ``hash = chain_hash(previous hash, event)``, so ``verify`` can name
the first row that was edited, removed or reordered after it was written. Triggers created by the
migration make the database itself refuse UPDATE and DELETE on events.

Schema changes go through the Alembic migrations in ``migrations/``; the tables below only
describe the columns for queries (the migration is the source of truth for DDL).
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    cast,
    create_engine,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, Connection, Engine, Row, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.types import TypeDecorator

from roomctl.timeline.events import (
    GENESIS_HASH,
    Event,
    Kind,
    Sample,
    WaveChunk,
    chain_hash,
    iso_utc,
)
from roomctl.timeline.location import redact, scrub

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
INITIAL_PHASE = "ready"
TERMINAL_PHASES = frozenset({"discharged", "aborted"})
INTERRUPTED = "interrupted"
MODES = frozenset({"demo", "clinical"})
HEARTBEAT_STALE_AFTER = timedelta(seconds=10)
# Key of the PostgreSQL advisory lock that serialises migrations of rooms starting together.
_MIGRATION_LOCK_KEY = int.from_bytes(b"roomctl", "big")
# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE (see _on_begin).
_WRITE_OPTION = "roomctl_write"
_SQLITE_BUSY_MS = 5000


# --------------------------------------------------------------------------------------- errors
class StoreError(Exception):
    """Anything the timeline store cannot do; the message is one line, safe to show."""


class UnknownSession(StoreError, LookupError):
    """No session with that id in this store."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session {session_id!r} in the timeline store")
        self.session_id = session_id


class SessionExists(StoreError):
    """``create_session`` with an id that already names a different session."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or opened (server down, disk, permissions, locks)."""


# ---------------------------------------------------------------------------------- value types
@dataclass(frozen=True)
class NewSession:
    """What the Room knows when a session starts. ``patient`` is a pseudonym, never a name."""

    id: str
    room: str
    patient: str
    course: int
    planned_minutes: int
    speed: float
    mode: str
    started_at: datetime
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionInfo:
    """A row of ``sessions`` plus its derived ``status`` (see :func:`derive_status`)."""

    id: str
    room: str
    patient: str
    course: int
    planned_minutes: int
    speed: float
    mode: str
    phase: str
    started_at: datetime
    ended_at: datetime | None
    last_t: float
    last_wall: datetime
    owner_host: str | None
    owner_pid: int | None
    heartbeat_at: datetime | None
    meta: dict[str, Any]
    status: str

    def as_json(self) -> dict[str, Any]:
        """The contract shape of ``sessions list/show --json`` (times as ISO 8601 UTC)."""
        return {
            "id": self.id,
            "room": self.room,
            "patient": self.patient,
            "course": self.course,
            "status": self.status,
            "phase": self.phase,
            "planned_minutes": self.planned_minutes,
            "speed": self.speed,
            "mode": self.mode,
            "started_at": iso_utc(self.started_at),
            "ended_at": iso_utc(self.ended_at) if self.ended_at is not None else None,
            "last_t": self.last_t,
            "last_wall": iso_utc(self.last_wall),
            "meta": self.meta,
        }


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking a session's audit chain.

    ``checked`` counts the rows found intact before the first problem (all rows when ``ok``);
    ``first_bad_seq`` is the seq of the first row that fails, or of the first missing seq.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str


# ------------------------------------------------------------------------------------- liveness
def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` on this machine still runs (a zombie counts as dead).

    ``kill -9`` of a room process leaves its session's heartbeat looking fresh for up to 10 s;
    checking the pid lets this machine see the interruption at once.
    """
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc (macOS) or gone meanwhile: kill(0) said it was there
    # "pid (comm) S ...": comm may hold spaces and parentheses, so split after the last ")".
    fields = stat[stat.rfind(")") + 1 :].split()
    return bool(fields) and fields[0] == "Z"


def derive_status(
    phase: str,
    owner_host: str | None,
    owner_pid: int | None,
    heartbeat_at: datetime | None,
    now: datetime,
    this_host: str,
    pid_alive: Callable[[int], bool],
) -> str:
    """The status a session shows: its phase while a live process owns it, else "interrupted".

    Terminal phases are final whoever owns them. A session released on clean shutdown, whose
    owner died on this host, or whose heartbeat is older than 10 s was left mid-way: it is
    offered for resume.
    """
    if phase in TERMINAL_PHASES:
        return phase
    if heartbeat_at is None or owner_host is None or owner_pid is None:
        return INTERRUPTED
    if owner_host == this_host and not pid_alive(owner_pid):
        return INTERRUPTED
    if now - heartbeat_at > HEARTBEAT_STALE_AFTER:
        return INTERRUPTED
    return phase


# ----------------------------------------------------------------------------------- validation
class _BadValue(ValueError):
    def __init__(self, reason: str, path: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


def normalise_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` as plain JSON that reads back identically from SQLite JSON and PostgreSQL JSONB.

    The audit hash covers the data as written, so it must survive both engines unchanged. JSONB
    stores numbers as decimals: -0.0 comes back as 0.0 and floats of 1e16 or more (printed with
    an exponent) come back as integers, so those are converted here, before hashing, on both
    engines. NaN, infinities, NUL characters and unpaired surrogates cannot be stored at all and
    raise ValueError, on the caller's thread rather than as a failing batch on the writer's.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"event data must be a dict, not {type(data).__name__}")
    try:
        return _normalise_mapping(data)
    except _BadValue as exc:
        where = "data" + "".join(f"[{part}]" for part in reversed(exc.path))
        raise ValueError(f"{where}: {exc.reason}") from None


def _normalise_mapping(data: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if type(key) is not str:
            if not isinstance(key, str):
                raise _BadValue(f"key {key!r} is not a string", (repr(key),))
            key = _normalise_text(key)
        elif not key.isascii() or "\x00" in key:
            key = _normalise_text(key)
        try:
            out[key] = _normalise(value)
        except _BadValue as exc:
            exc.path = (*exc.path, repr(key))
            raise
    return out


def _normalise(value: Any) -> Any:
    # Exact-type checks first: this runs for every value of every event on the GUI thread.
    kind = type(value)
    if kind is str:
        return value if value.isascii() and "\x00" not in value else _normalise_text(value)
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if 0.0 < abs(value) < 1e16 else _normalise_float(value)
    if kind is dict:
        return _normalise_mapping(value)
    if isinstance(value, str):
        return _normalise_text(value)
    if isinstance(value, int):
        return int(value)  # IntEnum and friends, as plain numbers
    if isinstance(value, float):
        return _normalise_float(float(value))
    if isinstance(value, Mapping):
        return _normalise_mapping(value)
    if isinstance(value, list | tuple):
        out = []
        for index, item in enumerate(value):
            try:
                out.append(_normalise(item))
            except _BadValue as exc:
                exc.path = (*exc.path, str(index))
                raise
        return out
    raise _BadValue(f"a {type(value).__name__} is not a JSON value")


def _normalise_float(value: float) -> float | int:
    if not math.isfinite(value):
        raise _BadValue(f"{value} is not storable as JSON")
    if value == 0.0:
        return 0.0  # also turns -0.0 into 0.0
    if abs(value) >= 1e16:
        return int(Decimal(repr(value)))  # what JSONB gives back for "1e+16"
    return value


def _normalise_text(value: str) -> str:
    if "\x00" in value:
        raise _BadValue("text contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _BadValue("text contains an unpaired surrogate") from None
    return str.__str__(value)  # a plain str, even for StrEnum members


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _finite(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, not {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, not {value}")
    return value


def _text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    try:
        return _normalise_text(value)
    except _BadValue as exc:
        raise ValueError(f"{what}: {exc.reason}") from None


def check_event(event: Event) -> Event:
    """``event`` validated and normalised exactly as the store will write and read it back.

    Raises ValueError for anything the store could never write, so the caller (the writer's
    ``append``, on the GUI thread) learns at once instead of a batch failing forever later.
    """
    if not isinstance(event, Event):
        raise ValueError(f"expected an Event, not {type(event).__name__}")
    seq = event.seq
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"event seq must be a non-negative int, not {seq!r}")
    kind = Kind(event.kind)
    data = normalise_data(event.data)
    if kind is Kind.PHASE and not isinstance(data.get("to"), str):
        raise ValueError(f"phase event {event.session}#{seq} needs data['to'] (the new phase)")
    return Event(
        session=_text(event.session, "event session"),
        seq=int(seq),
        t=_finite(event.t, "event t"),
        wall=_utc(event.wall, "event wall"),
        source=_normalise_text(str(event.source)),
        kind=kind,
        data=data,
    )


def check_sample(sample: Sample) -> Sample:
    """``sample`` validated; its value may be NaN (stored as NULL: no reading)."""
    if not isinstance(sample, Sample):
        raise ValueError(f"expected a Sample, not {type(sample).__name__}")
    value = sample.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"sample value must be a number, not {type(value).__name__}")
    return Sample(
        session=_text(sample.session, "sample session"),
        channel=_text(sample.channel, "sample channel"),
        t=_finite(sample.t, "sample t"),
        value=float(value),
    )


def check_wave(chunk: WaveChunk) -> WaveChunk:
    """``chunk`` validated (finite t0, positive finite rate)."""
    if not isinstance(chunk, WaveChunk):
        raise ValueError(f"expected a WaveChunk, not {type(chunk).__name__}")
    rate = _finite(chunk.rate_hz, "wave rate_hz")
    if rate <= 0:
        raise ValueError(f"wave rate_hz must be positive, not {rate}")
    return WaveChunk(
        session=_text(chunk.session, "wave session"),
        channel=_text(chunk.channel, "wave channel"),
        t0=_finite(chunk.t0, "wave t0"),
        rate_hz=rate,
        values=tuple(float(v) for v in chunk.values),
    )


def check_new_session(s: NewSession) -> NewSession:
    """``s`` validated: a known mode, whole numbers where the schema has integers, UTC time."""
    if s.mode not in MODES:
        raise ValueError(f"session mode must be one of {sorted(MODES)}, not {s.mode!r}")
    for name in ("course", "planned_minutes"):
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"session {name} must be an int, not {value!r}")
    return NewSession(
        id=_text(s.id, "session id"),
        room=_text(s.room, "session room"),
        patient=_text(s.patient, "session patient"),
        course=s.course,
        planned_minutes=s.planned_minutes,
        speed=_finite(s.speed, "session speed"),
        mode=s.mode,
        started_at=_utc(s.started_at, "session started_at"),
        meta=normalise_data(s.meta),
    )


def pack_wave(values: Sequence[float]) -> bytes:
    """Little-endian float32, whatever this machine's byte order (values beyond float32 → ±inf)."""
    packed = array("f", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack_wave(data: bytes) -> tuple[float, ...]:
    """Inverse of :func:`pack_wave`."""
    values = array("f")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return tuple(values)


# -------------------------------------------------------------------------------- column types
class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on both engines.

    SQLite has no timezone type (SQLAlchemy stores text with microseconds and drops tzinfo), so
    values are converted to UTC before they are written and read back as UTC. Naive datetimes
    are taken as UTC, as :func:`iso_utc` does for the hash.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _utc(value, "timestamp")
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class NaNFloat(TypeDecorator[float]):
    """A float column where NaN (no reading) is stored as NULL: SQLite cannot store NaN."""

    impl = Float
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Dialect) -> float | None:
        if value is None or math.isnan(value):
            return None
        return value

    def process_result_value(self, value: float | None, dialect: Dialect) -> float:
        return math.nan if value is None else float(value)


_JSON = JSON().with_variant(postgresql.JSONB(), "postgresql")
_meta = MetaData()

sessions_table = Table(
    "sessions",
    _meta,
    Column("id", Text, primary_key=True),
    Column("room", Text),
    Column("patient", Text),
    Column("course", Integer),
    Column("planned_minutes", Integer),
    Column("speed", Float),
    Column("mode", Text),
    Column("phase", Text),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("last_t", Float),
    Column("last_wall", UTCDateTime),
    Column("owner_host", Text),
    Column("owner_pid", Integer),
    Column("heartbeat_at", UTCDateTime),
    Column("meta", _JSON),
)
events_table = Table(
    "events",
    _meta,
    Column("session_id", Text, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("t", Float),
    Column("wall", UTCDateTime),
    Column("source", Text),
    Column("kind", Text),
    Column("data", _JSON),
    Column("hash", String(64)),
)
samples_table = Table(
    "samples",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("session_id", Text),
    Column("channel", Text),
    Column("t", Float),
    Column("value", NaNFloat),
)
waves_table = Table(
    "waves",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("session_id", Text),
    Column("channel", Text),
    Column("t0", Float),
    Column("rate_hz", Float),
    Column("n", Integer),
    Column("data", LargeBinary),
)
TABLES = (sessions_table, events_table, samples_table, waves_table)

_json_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# ------------------------------------------------------------------------------ engine set-up
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
    first lets busy_timeout do its job when two room processes share one file.
    """
    immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
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


def _upgrade_schema(conn: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def describe_error(exc: BaseException, url: str) -> str:
    """One line for ``exc``: the driver's own message when there is one, secrets of ``url`` hidden.

    SQLAlchemy's messages repeat the SQL, its parameters and a link over several lines; the
    driver's message ("connection refused", "database is locked") is what a nurse can act on.
    """
    if isinstance(exc, StoreError):
        return scrub(str(exc), url)
    orig = getattr(exc, "orig", None)
    source = orig if isinstance(orig, BaseException) else exc
    message = " ".join(str(source).split())
    return scrub(message or type(source).__name__, url)


# ------------------------------------------------------------------------------------ the store
class TimelineStore:
    """Sessions and their timeline in one database, opened with :meth:`open` (no I/O before).

    Writes are meant for one writer thread (appends are serialised by a lock either way); reads
    may come from any thread. ``this_host``, ``pid_alive`` and ``clock`` feed liveness and can be
    replaced in tests.
    """

    def __init__(
        self,
        url: str,
        *,
        this_host: str | None = None,
        pid_alive: Callable[[int], bool] = pid_alive,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._url = url
        self.url_for_display = redact(url)
        self.this_host = this_host if this_host is not None else socket.gethostname()
        self.pid_alive = pid_alive
        self.clock = clock
        self._engine: Engine | None = None
        # session id -> (last seq, last hash) as committed; None seq means "no events yet".
        self._tails: dict[str, tuple[int | None, str]] = {}
        self._append_lock = threading.Lock()

    # ------------------------------------------------------------------------------- lifecycle
    def open(self) -> None:
        """Connect, then bring the schema to the newest revision (safe with rooms racing)."""
        if self._engine is not None:
            return
        engine = self._create_engine()
        try:
            with self._errors("open"), engine.connect() as conn:
                conn.execution_options(**{_WRITE_OPTION: True})
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"),
                            {"key": _MIGRATION_LOCK_KEY},
                        )
                    _upgrade_schema(conn)
        except BaseException:
            engine.dispose()
            raise
        self._engine = engine

    def close(self) -> None:
        """Release every pooled connection (idempotent)."""
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()

    def __enter__(self) -> TimelineStore:
        self.open()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def describe_error(self, exc: BaseException) -> str:
        """One line for an error of this store, without its password (used by the writer)."""
        return describe_error(exc, self._url)

    def _create_engine(self) -> Engine:
        try:
            url = make_url(self._url)
        except (ArgumentError, ValueError) as exc:
            raise StoreError(f"invalid timeline store URL {self.url_for_display}: {exc}") from None
        backend = url.get_backend_name()
        try:
            if backend == "sqlite":
                return self._sqlite_engine(url)
            if backend == "postgresql":
                return self._postgresql_engine(url)
        except (NoSuchModuleError, ImportError, ArgumentError) as exc:
            raise StoreError(f"cannot use timeline store {self.url_for_display}: {exc}") from None
        raise StoreError(
            f"unsupported timeline store {self.url_for_display}: "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        )

    def _sqlite_engine(self, url: URL) -> Engine:
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
                f"timeline store {self.url_for_display} is unavailable: cannot create {path}: "
                f"{exc.strerror or exc}"
            ) from None
        engine = create_engine(url.set(database=str(path)), json_serializer=_json_dumps)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine

    def _postgresql_engine(self, url: URL) -> Engine:
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

    # ---------------------------------------------------------------------------- plumbing
    def _require_engine(self) -> Engine:
        if self._engine is None:
            raise StoreError("the timeline store is not open (call open() first)")
        return self._engine

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn driver and OS errors into one-line StoreErrors that never show the password."""
        try:
            yield
        except StoreError:
            raise
        except (OperationalError, InterfaceError, OSError) as exc:
            raise StoreUnavailable(
                f"timeline store {self.url_for_display} is unavailable ({what}): "
                f"{self.describe_error(exc)}"
            ) from exc
        except (DBAPIError, SQLAlchemyError) as exc:
            raise StoreError(
                f"timeline store {self.url_for_display} refused to {what}: "
                f"{self.describe_error(exc)}"
            ) from exc

    @contextmanager
    def _read(self, what: str) -> Iterator[Connection]:
        engine = self._require_engine()
        with self._errors(what), engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self, what: str) -> Iterator[Connection]:
        """One transaction that holds the write lock from its start (see _on_sqlite_begin)."""
        engine = self._require_engine()
        with self._errors(what), engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    # ------------------------------------------------------------------------------ sessions
    def create_session(self, s: NewSession, owner_host: str, owner_pid: int) -> None:
        """Record a new session, owned (and heartbeating) from now by ``owner_host:owner_pid``.

        Creating the same session again is a no-op, so a writer that retries after a commit
        whose acknowledgement was lost does not fail; a different session under the same id
        raises :class:`SessionExists`.
        """
        s = check_new_session(s)
        with self._write("create a session") as conn:
            existing = conn.execute(
                select(sessions_table).where(sessions_table.c.id == s.id)
            ).first()
            if existing is not None:
                same = (existing.room, existing.patient, existing.course, existing.started_at)
                if same == (s.room, s.patient, s.course, s.started_at):
                    return
                raise SessionExists(f"session id {s.id!r} is already used by another session")
            conn.execute(
                insert(sessions_table).values(
                    id=s.id,
                    room=s.room,
                    patient=s.patient,
                    course=s.course,
                    planned_minutes=s.planned_minutes,
                    speed=s.speed,
                    mode=s.mode,
                    phase=INITIAL_PHASE,
                    started_at=s.started_at,
                    ended_at=None,
                    last_t=0.0,
                    last_wall=s.started_at,
                    owner_host=owner_host,
                    owner_pid=owner_pid,
                    heartbeat_at=self.clock(),
                    meta=s.meta,
                )
            )

    def heartbeat(
        self, session_id: str, t: float, wall: datetime, owner_host: str, owner_pid: int
    ) -> None:
        """Say "this process still runs this session", and how far it has got."""
        with self._write("record a heartbeat") as conn:
            result = conn.execute(
                update(sessions_table)
                .where(sessions_table.c.id == session_id)
                .values(
                    last_t=_finite(t, "heartbeat t"),
                    last_wall=wall,
                    heartbeat_at=self.clock(),
                    owner_host=owner_host,
                    owner_pid=owner_pid,
                )
            )
            if result.rowcount == 0:
                raise UnknownSession(session_id)

    def release(self, session_id: str) -> None:
        """Clean shutdown: nobody owns the session now (it shows "interrupted" unless ended)."""
        with self._write("release a session") as conn:
            result = conn.execute(
                update(sessions_table)
                .where(sessions_table.c.id == session_id)
                .values(heartbeat_at=None, owner_host=None, owner_pid=None)
            )
            if result.rowcount == 0:
                raise UnknownSession(session_id)

    def session(self, session_id: str) -> SessionInfo:
        """One session with its derived status; :class:`UnknownSession` if there is none."""
        with self._read("read a session") as conn:
            row = conn.execute(
                select(sessions_table).where(sessions_table.c.id == session_id)
            ).first()
        if row is None:
            raise UnknownSession(session_id)
        return self._info(row, self.clock())

    def sessions(
        self,
        *,
        room: str | None = None,
        patient: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SessionInfo]:
        """Sessions newest first, filtered; ``since`` is inclusive and ``until`` exclusive.

        Status depends on liveness, not on a column, so it is filtered after reading.
        """
        c = sessions_table.c
        query = select(sessions_table).order_by(c.started_at.desc(), c.id.desc())
        if room is not None:
            query = query.where(c.room == room)
        if patient is not None:
            query = query.where(c.patient == patient)
        if since is not None:
            query = query.where(c.started_at >= since)
        if until is not None:
            query = query.where(c.started_at < until)
        with self._read("list sessions") as conn:
            rows = conn.execute(query).all()
        now = self.clock()
        infos = [self._info(row, now) for row in rows]
        return [i for i in infos if status is None or i.status == status]

    def _info(self, row: Row[Any], now: datetime) -> SessionInfo:
        status = derive_status(
            row.phase,
            row.owner_host,
            row.owner_pid,
            row.heartbeat_at,
            now,
            self.this_host,
            self.pid_alive,
        )
        return SessionInfo(
            id=row.id,
            room=row.room,
            patient=row.patient,
            course=row.course,
            planned_minutes=row.planned_minutes,
            speed=row.speed,
            mode=row.mode,
            phase=row.phase,
            started_at=row.started_at,
            ended_at=row.ended_at,
            last_t=row.last_t,
            last_wall=row.last_wall,
            owner_host=row.owner_host,
            owner_pid=row.owner_pid,
            heartbeat_at=row.heartbeat_at,
            meta=dict(row.meta or {}),
            status=status,
        )

    def _require_session(self, conn: Connection, session_id: str) -> None:
        found = conn.execute(
            select(sessions_table.c.id).where(sessions_table.c.id == session_id)
        ).first()
        if found is None:
            raise UnknownSession(session_id)

    # -------------------------------------------------------------------------------- writing
    def append(
        self,
        events: Sequence[Event],
        samples: Sequence[Sample] = (),
        waves: Sequence[WaveChunk] = (),
    ) -> None:
        """Write events (audit-linked), samples and wave chunks in one transaction.

        Also moves each session's ``phase`` (and ``ended_at`` on discharged/aborted) and its
        ``last_t``/``last_wall`` to the newest event. Appending events that are already stored
        with the same content is a no-op, samples and waves of such a batch included: a writer
        retrying a batch whose commit went through but whose acknowledgement was lost must not
        fail forever nor write twice. A different event under a stored seq raises StoreError.
        """
        checked_events = [check_event(e) for e in events]
        checked_samples = [check_sample(s) for s in samples]
        checked_waves = [check_wave(w) for w in waves]
        if not (checked_events or checked_samples or checked_waves):
            return
        by_session: dict[str, list[Event]] = {}
        for e in checked_events:
            by_session.setdefault(e.session, []).append(e)
        with self._append_lock:
            try:
                self._append_locked(by_session, checked_samples, checked_waves)
            except BaseException:
                # The commit may or may not have happened: re-read the tails next time.
                for session_id in by_session:
                    self._tails.pop(session_id, None)
                raise

    def _append_locked(
        self,
        by_session: dict[str, list[Event]],
        samples: list[Sample],
        waves: list[WaveChunk],
    ) -> None:
        new_tails: dict[str, tuple[int | None, str]] = {}
        with self._write("append to the timeline") as conn:
            rows: list[dict[str, Any]] = []
            touched: dict[str, list[Event]] = {}
            for session_id, session_events in by_session.items():
                tail = self._tails.get(session_id) or self._load_tail(conn, session_id)
                linked, new_tails[session_id] = self._link(conn, session_id, session_events, tail)
                if linked:
                    touched[session_id] = [e for e, _ in linked]
                rows.extend(_event_row(e, h) for e, h in linked)
            all_replayed = bool(by_session) and not rows
            if rows:
                conn.execute(insert(events_table), rows)
            for session_id, new_events in touched.items():
                self._advance_session(conn, session_id, new_events)
            if samples and not all_replayed:
                conn.execute(insert(samples_table), [_sample_row(s) for s in samples])
            if waves and not all_replayed:
                conn.execute(insert(waves_table), [_wave_row(w) for w in waves])
        self._tails.update(new_tails)

    def _load_tail(self, conn: Connection, session_id: str) -> tuple[int | None, str]:
        self._require_session(conn, session_id)
        c = events_table.c
        row = conn.execute(
            select(c.seq, c.hash).where(c.session_id == session_id).order_by(c.seq.desc()).limit(1)
        ).first()
        return (None, GENESIS_HASH) if row is None else (row.seq, row.hash)

    def _link(
        self,
        conn: Connection,
        session_id: str,
        session_events: list[Event],
        tail: tuple[int | None, str],
    ) -> tuple[list[tuple[Event, str]], tuple[int | None, str]]:
        """Chain the new events of one session onto its tail; check any already stored."""
        stored_seq, _ = tail
        replayed = [e for e in session_events if stored_seq is not None and e.seq <= stored_seq]
        if replayed:
            self._check_replayed(conn, session_id, replayed)
        linked: list[tuple[Event, str]] = []
        last_seq, last_hash = tail
        for e in session_events:
            if stored_seq is not None and e.seq <= stored_seq:
                continue
            if last_seq is not None and e.seq <= last_seq:
                raise StoreError(
                    f"event {session_id}#{e.seq} comes after #{last_seq} in one batch: "
                    "seq must increase"
                )
            last_hash = chain_hash(last_hash, e)
            last_seq = e.seq
            linked.append((e, last_hash))
        return linked, (last_seq, last_hash)

    def _check_replayed(self, conn: Connection, session_id: str, replayed: list[Event]) -> None:
        c = events_table.c
        seqs = [e.seq for e in replayed]
        stored = {
            e.seq: e
            for e in (
                _row_event(row)
                for row in conn.execute(
                    select(events_table).where(c.session_id == session_id, c.seq.in_(seqs))
                )
            )
        }
        for e in replayed:
            if stored.get(e.seq) != e:
                raise StoreError(
                    f"event {session_id}#{e.seq} conflicts with what the timeline already holds "
                    "(a different event, or a seq below the last stored one)"
                )

    def _advance_session(self, conn: Connection, session_id: str, new_events: list[Event]) -> None:
        newest = new_events[-1]
        values: dict[str, Any] = {"last_t": newest.t, "last_wall": newest.wall}
        phases = [e for e in new_events if e.kind is Kind.PHASE]
        if phases:
            phase = phases[-1]
            values["phase"] = phase.data["to"]
            if phase.data["to"] in TERMINAL_PHASES:
                values["ended_at"] = phase.wall
        conn.execute(
            update(sessions_table).where(sessions_table.c.id == session_id).values(**values)
        )

    # -------------------------------------------------------------------------------- reading
    def events(self, session_id: str, kinds: Iterable[str] | None = None) -> list[Event]:
        """A session's events in seq order, optionally only some kinds."""
        c = events_table.c
        query = select(events_table).where(c.session_id == session_id).order_by(c.seq)
        if kinds is not None:
            query = query.where(c.kind.in_([str(Kind(k)) for k in kinds]))
        with self._read("read events") as conn:
            found = [_row_event(row) for row in conn.execute(query)]
            if not found:
                self._require_session(conn, session_id)
        return found

    def last_event(self, session_id: str) -> Event | None:
        """The newest event of a session, or None if it has none yet."""
        c = events_table.c
        with self._read("read the last event") as conn:
            row = conn.execute(
                select(events_table)
                .where(c.session_id == session_id)
                .order_by(c.seq.desc())
                .limit(1)
            ).first()
            if row is None:
                self._require_session(conn, session_id)
                return None
        return _row_event(row)

    def samples(self, session_id: str, channel: str) -> list[Sample]:
        """One channel's samples in time order (NaN where the monitor had no reading)."""
        c = samples_table.c
        query = (
            select(c.t, c.value)
            .where(c.session_id == session_id, c.channel == channel)
            .order_by(c.t, c.id)
        )
        with self._read("read samples") as conn:
            rows = conn.execute(query).all()
            if not rows:
                self._require_session(conn, session_id)
        return [Sample(session_id, channel, row._mapping["t"], row.value) for row in rows]

    def waves(self, session_id: str, channel: str) -> list[WaveChunk]:
        """One channel's wave chunks in time order."""
        c = waves_table.c
        query = (
            select(c.t0, c.rate_hz, c.data)
            .where(c.session_id == session_id, c.channel == channel)
            .order_by(c.t0, c.id)
        )
        with self._read("read waves") as conn:
            rows = conn.execute(query).all()
            if not rows:
                self._require_session(conn, session_id)
        return [
            WaveChunk(session_id, channel, row.t0, row.rate_hz, unpack_wave(row.data))
            for row in rows
        ]

    # ---------------------------------------------------------------------------------- audit
    def verify(self, session_id: str) -> VerifyResult:
        """Walk the session's rows in seq order, recomputing every audit link.

        Stops at the first problem: a row whose stored hash does not match (edited, or chained
        to an edited or removed row), a missing seq, or a row that cannot even be read. ``data``
        is read as text and parsed here so a row corrupted into invalid JSON is named too.
        """
        c = events_table.c
        query = (
            select(c.seq, c.t, c.wall, c.source, c.kind, cast(c.data, Text).label("data"), c.hash)
            .where(c.session_id == session_id)
            .order_by(c.seq)
        )
        with self._read("verify a session") as conn:
            self._require_session(conn, session_id)
            rows = iter(conn.execute(query))
            return _walk_chain(session_id, rows)


def _walk_chain(session_id: str, rows: Iterator[Row[Any]]) -> VerifyResult:
    checked = 0
    prev_seq: int | None = None
    prev_hash = GENESIS_HASH

    def bad(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(ok=False, checked=checked, first_bad_seq=seq, reason=reason)

    while True:
        try:
            row = next(rows, None)
        except (ValueError, TypeError) as exc:  # a column SQLAlchemy could not convert
            seq = 0 if prev_seq is None else prev_seq + 1
            return bad(seq, f"the row after seq {prev_seq} cannot be read: {exc}")
        if row is None:
            reason = f"{checked} events, audit chain intact"
            return VerifyResult(ok=True, checked=checked, first_bad_seq=None, reason=reason)
        if prev_seq is not None and row.seq <= prev_seq:
            return bad(row.seq, f"seq {row.seq} does not increase (after seq {prev_seq})")
        if prev_seq is not None and row.seq != prev_seq + 1:
            missing = prev_seq + 1
            return bad(missing, f"seq {missing} missing (seq {row.seq} follows seq {prev_seq})")
        try:
            m = row._mapping
            stored = Event(
                session=session_id,
                seq=m["seq"],
                t=m["t"],
                wall=m["wall"],
                source=m["source"],
                kind=Kind(m["kind"]),
                data=json.loads(m["data"]),
            )
        except (ValueError, TypeError) as exc:
            return bad(row.seq, f"seq {row.seq} cannot be read: {exc}")
        if chain_hash(prev_hash, stored) != row.hash:
            hint = " (or events before it are missing)" if prev_seq is None else ""
            return bad(row.seq, f"seq {row.seq} does not match its audit hash{hint}")
        prev_seq, prev_hash = row.seq, row.hash
        checked += 1


def _event_row(e: Event, hash_: str) -> dict[str, Any]:
    return {
        "session_id": e.session,
        "seq": e.seq,
        "t": e.t,
        "wall": e.wall,
        "source": e.source,
        "kind": str(e.kind),
        "data": e.data,
        "hash": hash_,
    }


def _sample_row(s: Sample) -> dict[str, Any]:
    return {"session_id": s.session, "channel": s.channel, "t": s.t, "value": s.value}


def _wave_row(w: WaveChunk) -> dict[str, Any]:
    return {
        "session_id": w.session,
        "channel": w.channel,
        "t0": w.t0,
        "rate_hz": w.rate_hz,
        "n": len(w.values),
        "data": pack_wave(w.values),
    }


def _row_event(row: Row[Any]) -> Event:
    m = row._mapping  # not row.t: Row.t is the deprecated tuple() alias
    return Event(
        session=m["session_id"],
        seq=m["seq"],
        t=m["t"],
        wall=m["wall"],
        source=m["source"],
        kind=Kind(m["kind"]),
        data=m["data"],
    )
