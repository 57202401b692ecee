"""Checking a session's audit chain: which row, if any, was changed after it was written.

Every event is stored with ``hash = chain_hash(previous hash, event)`` (see
:mod:`roomctl.timeline.append`). Verifying walks the rows in seq order and recomputes each link,
so an edited, removed or reordered row is named by its seq, and so is a row that can no longer
even be read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.engine import Connection, Row

from roomctl.timeline.events import GENESIS_HASH, Event, Kind, chain_hash
from roomctl.timeline.queries import require_session
from roomctl.timeline.schema import events_table


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


def verify_session(conn: Connection, session_id: str) -> VerifyResult:
    """Walk the session's rows in seq order, recomputing every audit link.

    Stops at the first problem: a row whose stored hash does not match (edited, or chained
    to an edited or removed row), a missing seq, or a row that cannot even be read. ``data``
    is read as text and parsed here so a row corrupted into invalid JSON is named too.
    Raises ``UnknownSession`` if there is no such session.
    """
    c = events_table.c
    query = (
        select(c.seq, c.t, c.wall, c.source, c.kind, cast(c.data, Text).label("data"), c.hash)
        .where(c.session_id == session_id)
        .order_by(c.seq)
    )
    require_session(conn, session_id)
    return walk_chain(session_id, iter(conn.execute(query)))


def walk_chain(session_id: str, rows: Iterator[Row[Any]]) -> VerifyResult:
    """The verdict on ``rows`` (seq, t, wall, source, kind, data as JSON text, hash)."""
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
