"""The timeline store: sessions, their append-only audited events, samples and waves.

One schema on two engines: a SQLite file (the default, one room per machine) or a PostgreSQL
server (a clinic whose rooms share one database). SQLAlchemy Core, synchronous: the only caller
that writes is :class:`~roomctl.timeline.writer.TimelineWriter`'s thread, so the GUI never waits on
disk; review and the CLI read from their own threads.

Every event gets an audit link, ``hash = chain_hash(previous hash, event)``, so ``verify`` can name
the first row that was edited, removed or reordered after it was written. Triggers created by the
migration make the database itself refuse UPDATE and DELETE on events.

This module is the store's one entry point: :class:`TimelineStore` holds the connection, the
transactions, the error wording and the documented contract of each operation, and hands the
rest to a module per job: ``engine`` (connecting), ``migrate`` (schema revision), ``validate``
(input), ``queries`` and ``append`` (SQL), ``audit`` (verify), ``liveness`` (status) and
``schema`` (tables). Names other code imports from here are re-exported, so
``roomctl.timeline.store`` stays the import path.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from roomctl.timeline import arrays, listing, queries
from roomctl.timeline.append import Tail, write_batch
from roomctl.timeline.arrays import Channels, SeriesArrays, WaveArrays
from roomctl.timeline.audit import VerifyResult, verify_session
from roomctl.timeline.engine import WRITE_OPTION, create_store_engine
from roomctl.timeline.errors import (
    SessionExists,
    StoreError,
    StoreUnavailable,
    UnknownSession,
    describe_error,
)
from roomctl.timeline.events import Event, Sample, WaveChunk
from roomctl.timeline.liveness import derive_status, pid_alive
from roomctl.timeline.location import redact
from roomctl.timeline.migrate import upgrade_schema
from roomctl.timeline.schema import TABLES, session_info
from roomctl.timeline.sessions import NewSession, SessionFilter, SessionInfo, SessionSummary
from roomctl.timeline.validate import (
    as_finite,
    check_event,
    check_new_session,
    check_sample,
    check_wave,
)

# Re-exported: other code imports these from here, as it did before the store was split up.
__all__ = [
    "TABLES",
    "NewSession",
    "SessionExists",
    "SessionFilter",
    "SessionInfo",
    "SessionSummary",
    "StoreError",
    "StoreUnavailable",
    "TimelineStore",
    "UnknownSession",
    "VerifyResult",
    "check_event",
    "check_new_session",
    "check_sample",
    "check_wave",
    "derive_status",
    "describe_error",
    "pid_alive",
]


_Listed = TypeVar("_Listed", SessionInfo, SessionSummary)


def _filter(
    room: str | None,
    patient: str | None,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    statuses: Collection[str] | None,
    search: str | None,
) -> SessionFilter:
    wanted = frozenset(statuses) if statuses is not None else None
    if status is not None:
        wanted = frozenset({status}) if wanted is None else wanted & {status}
    return SessionFilter(room, patient, since, until, wanted, search)


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
        self._tails: dict[str, Tail] = {}
        self._append_lock = threading.Lock()

    # ------------------------------------------------------------------------------- lifecycle
    def open(self) -> None:
        """Connect, then bring the schema to the newest revision (safe with rooms racing)."""
        if self._engine is not None:
            return
        engine = create_store_engine(self._url, self.url_for_display)
        try:
            with self._errors("open"), engine.connect() as conn:
                conn.execution_options(**{WRITE_OPTION: True})
                with conn.begin():
                    upgrade_schema(conn)
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
        """One transaction that holds the write lock from its start (see engine.WRITE_OPTION)."""
        engine = self._require_engine()
        with self._errors(what), engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
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
            queries.insert_session(conn, s, owner_host, owner_pid, self.clock)

    def heartbeat(
        self, session_id: str, t: float, wall: datetime, owner_host: str, owner_pid: int
    ) -> None:
        """Say "this process still runs this session", and how far it has got."""
        with self._write("record a heartbeat") as conn:
            queries.update_session(
                conn,
                session_id,
                last_t=as_finite(t, "heartbeat t"),
                last_wall=wall,
                heartbeat_at=self.clock(),
                owner_host=owner_host,
                owner_pid=owner_pid,
            )

    def release(self, session_id: str) -> None:
        """Clean shutdown: nobody owns the session now (it shows "interrupted" unless ended)."""
        with self._write("release a session") as conn:
            queries.update_session(
                conn, session_id, heartbeat_at=None, owner_host=None, owner_pid=None
            )

    def session(self, session_id: str) -> SessionInfo:
        """One session with its derived status; :class:`UnknownSession` if there is none."""
        with self._read("read a session") as conn:
            row = queries.session_row(conn, session_id)
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
        statuses: Collection[str] | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[SessionInfo]:
        """Sessions newest first, filtered; ``since`` is inclusive and ``until`` exclusive.

        ``statuses`` keeps sessions showing any of them (``status`` is the one-value form; both
        given, both apply). ``search`` is a case-insensitive part of the id, the pseudonym or
        the room. ``limit`` and ``offset`` page the filtered list.

        Status depends on liveness, not on a column: the query narrows by phase, and a status
        that liveness decides ("interrupted", or a live phase) is checked after reading.
        """
        f = _filter(room, patient, status, since, until, statuses, search)

        def read(conn: Connection, sql_limit: int | None, sql_offset: int) -> list[SessionInfo]:
            now = self.clock()
            rows = queries.session_rows(conn, f, sql_limit, sql_offset)
            return [self._info(row, now) for row in rows]

        return self._listing("list sessions", f, limit, offset, read)

    def session_list(
        self,
        *,
        room: str | None = None,
        patient: str | None = None,
        statuses: Collection[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[SessionSummary]:
        """:meth:`sessions` for a list on screen: the same filters and order, only the listed
        fields, read several times faster (10 000 sessions well under 200 ms; see
        :mod:`.listing`)."""
        f = _filter(room, patient, None, since, until, statuses, search)

        def read(conn: Connection, sql_limit: int | None, sql_offset: int) -> list[SessionSummary]:
            now = self.clock()

            def status_of(
                phase: str, host: str | None, pid: int | None, heartbeat: datetime | None
            ) -> str:
                return derive_status(
                    phase, host, pid, heartbeat, now, self.this_host, self.pid_alive
                )

            return listing.summaries(conn, f, sql_limit, sql_offset, status_of)

        return self._listing("list sessions", f, limit, offset, read)

    def _listing(
        self,
        what: str,
        f: SessionFilter,
        limit: int | None,
        offset: int,
        read: Callable[[Connection, int | None, int], list[_Listed]],
    ) -> list[_Listed]:
        """Page in SQL when the filter is exact there; else filter statuses, then page."""
        with self._read(what) as conn:
            if f.exact_in_sql:
                return read(conn, limit, offset)
            found = read(conn, None, 0)
        assert f.statuses is not None
        kept = [item for item in found if item.status in f.statuses]
        return kept[offset : None if limit is None else offset + limit]

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
        return session_info(row, status)

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
                with self._write("append to the timeline") as conn:
                    new_tails = write_batch(
                        conn, by_session, checked_samples, checked_waves, self._tails
                    )
                self._tails.update(new_tails)
            except BaseException:
                # The commit may or may not have happened: re-read the tails next time.
                for session_id in by_session:
                    self._tails.pop(session_id, None)
                raise

    # -------------------------------------------------------------------------------- reading
    def events(self, session_id: str, kinds: Iterable[str] | None = None) -> list[Event]:
        """A session's events in seq order, optionally only some kinds."""
        with self._read("read events") as conn:
            return queries.events(conn, session_id, kinds)

    def last_event(self, session_id: str) -> Event | None:
        """The newest event of a session, or None if it has none yet."""
        with self._read("read the last event") as conn:
            return queries.last_event(conn, session_id)

    def samples(self, session_id: str, channel: str) -> list[Sample]:
        """One channel's samples in time order (NaN where the monitor had no reading)."""
        with self._read("read samples") as conn:
            return queries.samples(conn, session_id, channel)

    def waves(self, session_id: str, channel: str) -> list[WaveChunk]:
        """One channel's wave chunks in time order."""
        with self._read("read waves") as conn:
            return queries.waves(conn, session_id, channel)

    def channels(self, session_id: str) -> Channels:
        """The sample and wave channels a session has data in."""
        with self._read("list a session's channels") as conn:
            return arrays.channels(conn, session_id)

    def sample_arrays(
        self, session_id: str, channels: Iterable[str] | None = None
    ) -> dict[str, SeriesArrays]:
        """Channels' samples as numpy columns, in one query (see :mod:`.arrays`); only channels
        with data are returned, all of them when ``channels`` is None."""
        with self._read("read samples") as conn:
            return arrays.sample_arrays(conn, session_id, channels)

    def wave_arrays(self, session_id: str, channel: str) -> WaveArrays:
        """One wave channel's chunks end to end as numpy arrays (float32 values)."""
        with self._read("read waves") as conn:
            return arrays.wave_arrays(conn, session_id, channel)

    # ---------------------------------------------------------------------------------- audit
    def verify(self, session_id: str) -> VerifyResult:
        """Walk the session's rows in seq order, recomputing every audit link.

        Stops at the first problem: a row whose stored hash does not match (edited, or chained
        to an edited or removed row), a missing seq, or a row that cannot even be read (see
        :func:`roomctl.timeline.audit.verify_session`).
        """
        with self._read("verify a session") as conn:
            return verify_session(conn, session_id)
