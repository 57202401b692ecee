"""The SQL of each store operation, run on a connection whose transaction the caller owns.

:class:`~roomctl.timeline.store.TimelineStore` decides connections, transactions, error wording
and liveness; these functions only say what to select, insert or update. Reads that find
nothing check that the session exists, so an unknown id is an error rather than an empty list.
The audit-linked append (:mod:`~roomctl.timeline.append`) and verification
(:mod:`~roomctl.timeline.audit`) live apart: each is a job of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Row

from roomctl.timeline.errors import SessionExists, UnknownSession
from roomctl.timeline.events import Event, Kind, Sample, WaveChunk
from roomctl.timeline.liveness import INTERRUPTED
from roomctl.timeline.schema import (
    events_table,
    row_event,
    samples_table,
    sessions_table,
    unpack_wave,
    waves_table,
)
from roomctl.timeline.sessions import INITIAL_PHASE, TERMINAL_PHASES, NewSession, SessionFilter


def require_session(conn: Connection, session_id: str) -> None:
    """Raise :class:`UnknownSession` unless ``session_id`` names a stored session."""
    found = conn.execute(
        select(sessions_table.c.id).where(sessions_table.c.id == session_id)
    ).first()
    if found is None:
        raise UnknownSession(session_id)


# ------------------------------------------------------------------------------- session rows
def insert_session(
    conn: Connection,
    s: NewSession,
    owner_host: str,
    owner_pid: int,
    clock: Callable[[], datetime],
) -> None:
    """Insert checked session ``s``; the same session again is a no-op, another one an error.

    ``clock`` gives the first heartbeat's time, read only when the row is really inserted.
    """
    existing = conn.execute(select(sessions_table).where(sessions_table.c.id == s.id)).first()
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
            heartbeat_at=clock(),
            meta=s.meta,
        )
    )


def update_session(conn: Connection, session_id: str, **values: Any) -> None:
    """Set columns of one session's row; :class:`UnknownSession` if there is no such row."""
    result = conn.execute(
        update(sessions_table).where(sessions_table.c.id == session_id).values(**values)
    )
    if result.rowcount == 0:
        raise UnknownSession(session_id)


def session_row(conn: Connection, session_id: str) -> Row[Any] | None:
    """The row of one session, or None."""
    return conn.execute(select(sessions_table).where(sessions_table.c.id == session_id)).first()


def filtered_sessions(query: Select[Any], f: SessionFilter) -> Select[Any]:
    """``query`` on ``sessions`` narrowed by ``f`` and ordered newest first.

    Statuses narrow by phase only (a terminal status is its phase; "interrupted" and the live
    phases also need liveness, which the store checks after reading). ``search`` is a
    case-insensitive substring of the id, the pseudonym or the room; ``%`` and ``_`` in it are
    plain characters.
    """
    c = sessions_table.c
    query = query.order_by(c.started_at.desc(), c.id.desc())
    if f.room is not None:
        query = query.where(c.room == f.room)
    if f.patient is not None:
        query = query.where(c.patient == f.patient)
    if f.since is not None:
        query = query.where(c.started_at >= f.since)
    if f.until is not None:
        query = query.where(c.started_at < f.until)
    if f.statuses is not None:
        wanted = [c.phase.in_(sorted(f.statuses - {INTERRUPTED}))]
        if INTERRUPTED in f.statuses:
            wanted.append(c.phase.not_in(sorted(TERMINAL_PHASES)))
        query = query.where(or_(*wanted))
    needle = (f.search or "").strip().lower()
    if needle:
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (c.id, c.patient, c.room)
                )
            )
        )
    return query


def paged(query: Select[Any], limit: int | None, offset: int) -> Select[Any]:
    if limit is not None:
        query = query.limit(limit)
    return query.offset(offset) if offset else query


def session_rows(
    conn: Connection, f: SessionFilter, limit: int | None = None, offset: int = 0
) -> list[Row[Any]]:
    """Whole rows of the sessions ``f`` keeps, newest first (see :func:`filtered_sessions`)."""
    return list(conn.execute(paged(filtered_sessions(select(sessions_table), f), limit, offset)))


# ------------------------------------------------------------------------------ the timeline
def events(conn: Connection, session_id: str, kinds: Iterable[str] | None) -> list[Event]:
    """A session's events in seq order, optionally only some kinds."""
    c = events_table.c
    query = select(events_table).where(c.session_id == session_id).order_by(c.seq)
    if kinds is not None:
        query = query.where(c.kind.in_([str(Kind(k)) for k in kinds]))
    found = [row_event(row) for row in conn.execute(query)]
    if not found:
        require_session(conn, session_id)
    return found


def last_event(conn: Connection, session_id: str) -> Event | None:
    """The newest event of a session, or None if it has none yet."""
    c = events_table.c
    row = conn.execute(
        select(events_table).where(c.session_id == session_id).order_by(c.seq.desc()).limit(1)
    ).first()
    if row is None:
        require_session(conn, session_id)
        return None
    return row_event(row)


def samples(conn: Connection, session_id: str, channel: str) -> list[Sample]:
    """One channel's samples in time order (NaN where the monitor had no reading)."""
    c = samples_table.c
    query = (
        select(c.t, c.value)
        .where(c.session_id == session_id, c.channel == channel)
        .order_by(c.t, c.id)
    )
    rows = conn.execute(query).all()
    if not rows:
        require_session(conn, session_id)
    return [Sample(session_id, channel, row._mapping["t"], row.value) for row in rows]


def waves(conn: Connection, session_id: str, channel: str) -> list[WaveChunk]:
    """One channel's wave chunks in time order."""
    c = waves_table.c
    query = (
        select(c.t0, c.rate_hz, c.data)
        .where(c.session_id == session_id, c.channel == channel)
        .order_by(c.t0, c.id)
    )
    rows = conn.execute(query).all()
    if not rows:
        require_session(conn, session_id)
    return [
        WaveChunk(session_id, channel, row.t0, row.rate_hz, unpack_wave(row.data)) for row in rows
    ]
