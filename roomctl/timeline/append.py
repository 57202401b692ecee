"""Writing one batch of events, samples and waves: audit-linked, in order, safe to retry.

The writer thread retries a batch whose commit may have gone through while its acknowledgement
was lost, so a batch is idempotent: events already stored with the same content are skipped
(and so are the samples and waves of a batch that is entirely such a replay), while a different
event under a stored seq is refused. New events are chained onto the session's last audit link,
and the session row follows them (phase, end, how far it has got).

The caller owns the transaction and the cache of each session's last (seq, hash), which it must
drop when a batch fails: whether the commit happened is then unknown.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from roomctl.timeline.errors import StoreError
from roomctl.timeline.events import GENESIS_HASH, Event, Kind, Sample, WaveChunk, chain_hash
from roomctl.timeline.queries import require_session
from roomctl.timeline.schema import (
    event_row,
    events_table,
    row_event,
    sample_row,
    samples_table,
    sessions_table,
    wave_row,
    waves_table,
)
from roomctl.timeline.sessions import TERMINAL_PHASES

# A session's last stored (seq, hash); seq None means "no events yet" (hash is then GENESIS).
Tail = tuple[int | None, str]


def write_batch(
    conn: Connection,
    by_session: dict[str, list[Event]],
    samples: list[Sample],
    waves: list[WaveChunk],
    tails: dict[str, Tail],
) -> dict[str, Tail]:
    """Insert one checked batch inside ``conn``'s transaction; returns the sessions' new tails.

    ``tails`` holds the tails known as committed (read from the database when missing); it is
    not changed here: the caller applies the returned tails once the transaction committed.
    """
    new_tails: dict[str, Tail] = {}
    rows: list[dict[str, Any]] = []
    touched: dict[str, list[Event]] = {}
    for session_id, session_events in by_session.items():
        tail = tails.get(session_id) or _load_tail(conn, session_id)
        linked, new_tails[session_id] = _link(conn, session_id, session_events, tail)
        if linked:
            touched[session_id] = [e for e, _ in linked]
        rows.extend(event_row(e, h) for e, h in linked)
    all_replayed = bool(by_session) and not rows
    if rows:
        conn.execute(insert(events_table), rows)
    for session_id, new_events in touched.items():
        _advance_session(conn, session_id, new_events)
    if samples and not all_replayed:
        conn.execute(insert(samples_table), [sample_row(s) for s in samples])
    if waves and not all_replayed:
        conn.execute(insert(waves_table), [wave_row(w) for w in waves])
    return new_tails


def _load_tail(conn: Connection, session_id: str) -> Tail:
    require_session(conn, session_id)
    c = events_table.c
    row = conn.execute(
        select(c.seq, c.hash).where(c.session_id == session_id).order_by(c.seq.desc()).limit(1)
    ).first()
    return (None, GENESIS_HASH) if row is None else (row.seq, row.hash)


def _link(
    conn: Connection,
    session_id: str,
    session_events: list[Event],
    tail: Tail,
) -> tuple[list[tuple[Event, str]], Tail]:
    """Chain the new events of one session onto its tail; check any already stored."""
    stored_seq, _ = tail
    replayed = [e for e in session_events if stored_seq is not None and e.seq <= stored_seq]
    if replayed:
        _check_replayed(conn, session_id, replayed)
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


def _check_replayed(conn: Connection, session_id: str, replayed: list[Event]) -> None:
    c = events_table.c
    seqs = [e.seq for e in replayed]
    stored = {
        e.seq: e
        for e in (
            row_event(row)
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


def _advance_session(conn: Connection, session_id: str, new_events: list[Event]) -> None:
    newest = new_events[-1]
    values: dict[str, Any] = {"last_t": newest.t, "last_wall": newest.wall}
    phases = [e for e in new_events if e.kind is Kind.PHASE]
    if phases:
        phase = phases[-1]
        values["phase"] = phase.data["to"]
        if phase.data["to"] in TERMINAL_PHASES:
            values["ended_at"] = phase.wall
    conn.execute(update(sessions_table).where(sessions_table.c.id == session_id).values(**values))
