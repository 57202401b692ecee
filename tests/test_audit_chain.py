"""The audit chain: verify names the first row that was edited or removed behind the store's back.

Tampering is done the way an intruder would: plain SQL on the database, dropping the
append-only triggers first.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from roomctl.timeline.events import GENESIS_HASH, Event, Kind, chain_hash
from roomctl.timeline.store import NewSession, TimelineStore, VerifyResult

T0 = datetime(2024, 11, 25, 9, 30, tzinfo=UTC)
COUNT = 8


def make_event(seq: int, sid: str = "s1") -> Event:
    kind = Kind.PHASE if seq == 1 else Kind.NOTE
    data = {"to": "preparing"} if seq == 1 else {"text": f"note {seq}", "n": [seq, seq / 4]}
    wall = T0 + timedelta(seconds=seq, microseconds=seq)
    return Event(sid, seq, seq * 0.75, wall, "ui", kind, data)


@pytest.fixture
def filled(store: TimelineStore) -> TimelineStore:
    """A store holding session s1 with events 1..COUNT, appended in three batches."""
    session = NewSession("s1", "room-1", "P-1", 1, 40, 1.0, "clinical", T0)
    store.create_session(session, socket.gethostname(), os.getpid())
    events = [make_event(seq) for seq in range(1, COUNT + 1)]
    store.append(events[:3])
    store.append(events[3:4])
    store.append(events[4:])
    return store


@pytest.fixture
def tamper(store_url: str) -> Iterator[Connection]:
    """A plain connection with the append-only triggers dropped (committed per statement)."""
    engine = create_engine(store_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            on_events = " ON events" if conn.dialect.name == "postgresql" else ""
            for trigger in ("events_no_update", "events_no_delete"):
                conn.execute(text(f"DROP TRIGGER {trigger}{on_events}"))
            yield conn
    finally:
        engine.dispose()


def test_a_clean_session_verifies(filled: TimelineStore) -> None:
    result = filled.verify("s1")
    assert result == VerifyResult(ok=True, checked=COUNT, first_bad_seq=None, reason=result.reason)
    assert "intact" in result.reason


def test_a_session_without_events_verifies(store: TimelineStore) -> None:
    store.create_session(NewSession("empty", "r", "P", 1, 40, 1.0, "demo", T0), "h", 1)
    assert store.verify("empty").ok
    assert store.verify("empty").checked == 0


def test_the_first_link_starts_from_genesis(filled: TimelineStore, tamper: Connection) -> None:
    stored = tamper.execute(text("SELECT hash FROM events WHERE seq = 1")).scalar()
    assert stored == chain_hash(GENESIS_HASH, make_event(1))


def test_edited_data_is_named(filled: TimelineStore, tamper: Connection) -> None:
    forged = json.dumps({"text": "nothing happened", "n": [5, 1.25]})
    tamper.execute(text("UPDATE events SET data = :data WHERE seq = 5"), {"data": forged})
    result = filled.verify("s1")
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 5, 4)
    assert "seq 5" in result.reason


def test_edited_time_is_named(filled: TimelineStore, tamper: Connection) -> None:
    tamper.execute(text("UPDATE events SET t = t + 60 WHERE seq = 3"))
    result = filled.verify("s1")
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_a_re_hashed_edit_breaks_the_next_link(filled: TimelineStore, tamper: Connection) -> None:
    """Forging a row's own hash is not enough: the next row is chained to the original."""
    original = make_event(4)
    prev = tamper.execute(text("SELECT hash FROM events WHERE seq = 3")).scalar()
    assert isinstance(prev, str)
    forged = Event(
        original.session,
        original.seq,
        original.t,
        original.wall,
        original.source,
        original.kind,
        {"text": "forged"},
    )
    tamper.execute(
        text("UPDATE events SET data = :data, hash = :hash WHERE seq = 4"),
        {"data": json.dumps(forged.data), "hash": chain_hash(prev, forged)},
    )
    result = filled.verify("s1")
    assert (result.ok, result.first_bad_seq) == (False, 5)


def test_a_deleted_row_is_a_gap(filled: TimelineStore, tamper: Connection) -> None:
    tamper.execute(text("DELETE FROM events WHERE seq = 6"))
    result = filled.verify("s1")
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 6, 5)
    assert "seq 6 missing" in result.reason


def test_deleting_the_first_row_is_detected(filled: TimelineStore, tamper: Connection) -> None:
    tamper.execute(text("DELETE FROM events WHERE seq = 1"))
    result = filled.verify("s1")
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "missing" in result.reason


def test_deleting_the_last_rows_leaves_a_valid_prefix(
    filled: TimelineStore, tamper: Connection
) -> None:
    """A truncated tail is a consistent chain: what remains is still proven unedited."""
    tamper.execute(text("DELETE FROM events WHERE seq > 6"))
    assert filled.verify("s1").checked == 6


def test_corrupt_json_is_named(filled: TimelineStore, tamper: Connection) -> None:
    if tamper.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's JSONB cannot hold invalid JSON")
    tamper.execute(text("UPDATE events SET data = '{not json' WHERE seq = 2"))
    result = filled.verify("s1")
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 2, 1)
    assert "cannot be read" in result.reason


def test_an_unreadable_wall_time_is_named(filled: TimelineStore, tamper: Connection) -> None:
    if tamper.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's timestamptz cannot hold garbage")
    tamper.execute(text("UPDATE events SET wall = 'yesterday' WHERE seq = 3"))
    result = filled.verify("s1")
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 3, 2)


def test_the_chain_continues_across_processes(store_url: str) -> None:
    """A new store instance (a restarted app) links onto the last stored hash."""
    with TimelineStore(store_url) as first:
        first.create_session(NewSession("s1", "r", "P", 1, 40, 1.0, "demo", T0), "h", 1)
        first.append([make_event(1), make_event(2)])
    with TimelineStore(store_url) as second:
        second.append([make_event(3)])
        assert second.verify("s1") == VerifyResult(True, 3, None, second.verify("s1").reason)


def test_sessions_have_separate_chains(store: TimelineStore) -> None:
    for sid in ("a", "b"):
        store.create_session(NewSession(sid, "r", "P", 1, 40, 1.0, "demo", T0), "h", 1)
    store.append([make_event(1, "a"), make_event(1, "b"), make_event(2, "a")])
    assert store.verify("a").checked == 2
    assert store.verify("b").checked == 1
