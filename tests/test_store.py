"""TimelineStore on SQLite and PostgreSQL: sessions, events, samples, waves, liveness, files."""

from __future__ import annotations

import math
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from roomctl.timeline.events import Event, Kind, Sample, WaveChunk, iso_utc
from roomctl.timeline.migrate import HEAD_REVISION, MIGRATIONS_DIR
from roomctl.timeline.store import (
    TABLES,
    NewSession,
    SessionExists,
    StoreError,
    StoreUnavailable,
    TimelineStore,
    UnknownSession,
    derive_status,
    pid_alive,
)

T0 = datetime(2024, 11, 25, 9, 30, 0, 123456, tzinfo=UTC)
HOST = socket.gethostname()
PID = os.getpid()


def new_session(
    sid: str = "s1",
    *,
    room: str = "room-1",
    patient: str = "P-0042",
    started_at: datetime = T0,
    mode: str = "demo",
) -> NewSession:
    return NewSession(
        id=sid,
        room=room,
        patient=patient,
        course=3,
        planned_minutes=40,
        speed=240.0,
        mode=mode,
        started_at=started_at,
        meta={"plan": "standard", "cues": ["warm", "dim"]},
    )


def event(
    seq: int,
    *,
    sid: str = "s1",
    kind: Kind = Kind.NOTE,
    data: dict[str, Any] | None = None,
    t: float | None = None,
) -> Event:
    return Event(
        session=sid,
        seq=seq,
        t=seq * 1.5 if t is None else t,
        wall=T0 + timedelta(seconds=seq, microseconds=seq * 7),
        source="room",
        kind=kind,
        data={"n": seq} if data is None else data,
    )


def phase(seq: int, to: str, *, sid: str = "s1") -> Event:
    return event(seq, sid=sid, kind=Kind.PHASE, data={"from": "x", "to": to})


@contextmanager
def raw_engine(url: str) -> Iterator[Engine]:
    """A plain engine on the same database, for what the store API must not allow."""
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------ sessions
def test_created_session_reads_back_live(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    info = store.session("s1")
    assert (info.room, info.patient, info.course) == ("room-1", "P-0042", 3)
    assert info.planned_minutes == 40
    assert (info.speed, info.mode, info.phase, info.status) == (240.0, "demo", "ready", "ready")
    assert info.started_at == T0
    assert info.started_at.tzinfo is not None
    assert info.ended_at is None
    assert (info.last_t, info.last_wall) == (0.0, T0)
    assert (info.owner_host, info.owner_pid) == (HOST, PID)
    assert info.meta == {"plan": "standard", "cues": ["warm", "dim"]}


def test_session_as_json(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    shown = store.session("s1").as_json()
    assert shown["started_at"] == "2024-11-25T09:30:00.123456Z"
    assert {k: shown[k] for k in ("id", "room", "patient", "course", "status", "phase")} == {
        "id": "s1",
        "room": "room-1",
        "patient": "P-0042",
        "course": 3,
        "status": "ready",
        "phase": "ready",
    }
    assert (shown["planned_minutes"], shown["ended_at"], shown["speed"], shown["mode"]) == (
        40,
        None,
        240.0,
        "demo",
    )


def test_unknown_session_is_a_clear_lookup_error(store: TimelineStore) -> None:
    with pytest.raises(UnknownSession, match="no session 'nope'") as caught:
        store.session("nope")
    assert isinstance(caught.value, LookupError)
    for read in (store.events, store.last_event, store.verify):
        with pytest.raises(UnknownSession):
            read("nope")
    with pytest.raises(UnknownSession):
        store.samples("nope", "hr")
    with pytest.raises(UnknownSession):
        store.heartbeat("nope", 1.0, T0, HOST, PID)
    with pytest.raises(UnknownSession):
        store.release("nope")
    with pytest.raises(UnknownSession):
        store.append([event(1, sid="nope")])


def test_creating_the_same_session_twice_is_harmless(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    store.create_session(new_session(), HOST, PID)  # a writer's retry after a lost ack
    with pytest.raises(SessionExists):
        store.create_session(new_session(patient="P-0099"), HOST, PID)
    assert [s.patient for s in store.sessions()] == ["P-0042"]


def test_invalid_sessions_are_refused(store: TimelineStore) -> None:
    with pytest.raises(ValueError, match="mode"):
        store.create_session(new_session(mode="live"), HOST, PID)
    with pytest.raises(ValueError, match="session id"):
        store.create_session(new_session(""), HOST, PID)


def test_sessions_list_newest_first_and_filters(store: TimelineStore) -> None:
    store.create_session(new_session("a", room="room-1", started_at=T0), HOST, PID)
    b = new_session("b", room="room-2", patient="P-7", started_at=T0 + timedelta(hours=1))
    store.create_session(b, HOST, PID)
    store.create_session(new_session("c", started_at=T0 + timedelta(hours=2)), HOST, PID)
    store.append([phase(1, "discharged", sid="c")])
    store.release("a")

    def ids(**filters: Any) -> list[str]:
        return [s.id for s in store.sessions(**filters)]

    assert ids() == ["c", "b", "a"]
    assert ids(room="room-1") == ["c", "a"]
    assert ids(patient="P-7") == ["b"]
    assert ids(status="interrupted") == ["a"]
    assert ids(status="discharged") == ["c"]
    assert ids(status="ready") == ["b"]
    assert ids(since=T0 + timedelta(hours=1)) == ["c", "b"]  # inclusive
    assert ids(until=T0 + timedelta(hours=1)) == ["a"]  # exclusive
    naive_since = (T0 + timedelta(minutes=30)).replace(tzinfo=None)  # naive means UTC
    assert ids(since=naive_since, until=T0 + timedelta(hours=2)) == ["b"]


# -------------------------------------------------------------------------------------- events
NESTED = {
    "scene": "dim",
    "unicode": "Ünïcødé ✓ 🌙",
    "numbers": [0.1, 1 / 3, -2.5e-7, 12345.678901234, 2**53 + 1, -17, 0],
    "flags": {"on": True, "off": False, "none": None},
    "deep": [{"a": [{"b": [1, [2, [3]]]}]}],
    "empty": {"list": [], "dict": {}, "text": ""},
}


def test_events_round_trip_exactly(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    written = [
        event(1, data=NESTED, t=0.0),
        event(2, t=1 / 3),
        event(3, t=1e-9, kind=Kind.ALARM, data={"rule": "spo2_low", "value": 88.5}),
        event(4, t=12345.678901234567),
    ]
    # A wall time in another zone is the same instant; it reads back in UTC.
    cet = timezone(timedelta(hours=1))
    written.append(
        Event("s1", 5, 99.25, datetime(2024, 11, 25, 10, 31, 2, 999999, tzinfo=cet), "ui", "note")
    )
    store.append(written)
    read = store.events("s1")
    assert read == written
    assert [e.wall.microsecond for e in read] == [w.wall.microsecond for w in written]
    assert all(e.wall.utcoffset() == timedelta(0) for e in read)
    assert [type(e.kind) for e in read] == [Kind] * 5
    assert [iso_utc(e.wall) for e in read][-1] == "2024-11-25T09:31:02.999999Z"


def test_events_filtered_by_kind_and_the_last_one(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    assert store.last_event("s1") is None
    assert store.events("s1") == []
    store.append([event(1), phase(2, "preparing"), event(3, kind=Kind.LIGHTS), event(4)])
    assert [e.seq for e in store.events("s1", kinds=["phase", Kind.LIGHTS])] == [2, 3]
    assert store.events("s1", kinds=[]) == []
    last = store.last_event("s1")
    assert last is not None
    assert last.seq == 4


def test_data_is_normalised_to_what_both_engines_read_back(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    store.append([event(1, data={"neg": -0.0, "big": 1e20, "huge": 1.5e300, "small": 1e-5})])
    (read,) = store.events("s1")
    assert read.data == {"neg": 0.0, "big": 10**20, "huge": int(Decimal("1.5e300")), "small": 1e-5}
    assert math.copysign(1.0, read.data["neg"]) == 1.0
    assert store.verify("s1").ok


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"x": math.nan}, r"data\['x'\]: nan"),
        ({"x": [1, math.inf]}, r"data\['x'\]\[1\]: inf"),
        ({"x": "a\x00b"}, "NUL"),
        ({"x": "\ud800"}, "surrogate"),
        ({1: "one"}, "key 1 is not a string"),
        ({"x": {1, 2}}, "a set is not a JSON value"),
    ],
)
def test_unstorable_data_is_refused_before_writing(
    store: TimelineStore, data: dict[Any, Any], message: str
) -> None:
    store.create_session(new_session(), HOST, PID)
    with pytest.raises(ValueError, match=message):
        store.append([event(1), event(2, data=data)])
    assert store.events("s1") == []


def test_replaying_a_committed_batch_writes_nothing_twice(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    batch = [event(1), event(2)]
    samples = [Sample("s1", "hr", 1.0, 70.0)]
    store.append(batch, samples)
    store.append(batch, samples)  # as a writer retrying after a lost commit acknowledgement
    assert [e.seq for e in store.events("s1")] == [1, 2]
    assert len(store.samples("s1", "hr")) == 1
    store.append([event(2), event(3)])  # partly stored: only the new one is added
    assert [e.seq for e in store.events("s1")] == [1, 2, 3]
    assert store.verify("s1").ok


def test_a_different_event_under_a_stored_seq_is_refused(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    store.append([event(1), event(2)])
    with pytest.raises(StoreError, match="s1#2 conflicts"):
        store.append([event(2, data={"n": "other"}), event(3)])
    with pytest.raises(StoreError, match="seq must increase"):
        store.append([event(5), event(4)])
    assert [e.seq for e in store.events("s1")] == [1, 2]


def test_phase_events_move_the_session_phase(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    store.append([phase(1, "preparing"), event(2), phase(3, "infusing"), event(4)])
    info = store.session("s1")
    assert (info.phase, info.status, info.ended_at) == ("infusing", "infusing", None)
    assert (info.last_t, info.last_wall) == (event(4).t, event(4).wall)
    store.append([phase(5, "recovering")])
    store.append([phase(6, "discharged")])
    store.release("s1")  # a terminal phase stays what it is, owner or not
    info = store.session("s1")
    assert (info.phase, info.status) == ("discharged", "discharged")
    assert info.ended_at == phase(6, "").wall


def test_aborted_is_terminal_too(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    store.append([phase(1, "aborted")])
    store.release("s1")
    info = store.session("s1")
    assert (info.status, info.ended_at) == ("aborted", phase(1, "").wall)


def test_a_phase_event_without_a_target_is_refused(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    with pytest.raises(ValueError, match=r"data\['to'\]"):
        store.append([event(1, kind=Kind.PHASE, data={"from": "ready"})])


def test_events_are_append_only(store: TimelineStore, store_url: str) -> None:
    store.create_session(new_session(), HOST, PID)
    store.append([event(1), event(2)])
    statements = ["UPDATE events SET source = 'forged' WHERE seq = 1", "DELETE FROM events"]
    if store_url.startswith("postgresql"):
        statements.append("TRUNCATE events")
    with raw_engine(store_url) as engine:
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
    assert store.events("s1") == [event(1), event(2)]


# ---------------------------------------------------------------------------- samples, waves
def test_samples_round_trip_in_time_order(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    store.append(
        [],
        samples=[
            Sample("s1", "hr", 2.0, 71.0),
            Sample("s1", "hr", 1.0, 70.0),
            Sample("s1", "spo2", 1.0, 98.0),
            Sample("s1", "hr", 3.0, math.nan),  # the monitor had no reading
            Sample("s1", "hr", 4.0, 1 / 3),
        ],
    )
    hr = store.samples("s1", "hr")
    assert [(s.t, s.value) for s in hr[:2]] == [(1.0, 70.0), (2.0, 71.0)]
    assert math.isnan(hr[2].value)
    assert hr[3].value == 1 / 3
    assert store.samples("s1", "spo2") == [Sample("s1", "spo2", 1.0, 98.0)]
    assert store.samples("s1", "etco2") == []


def test_waves_round_trip_as_float32(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    first = WaveChunk("s1", "pleth", 0.0, 125.0, (0.5, -1.25, 3.0, 1024.0))
    second = WaveChunk("s1", "pleth", 0.032, 125.0, tuple(i / 8 for i in range(250)))
    store.append([], waves=[second, first])
    assert store.waves("s1", "pleth") == [first, second]
    assert store.waves("s1", "ecg") == []


def test_samples_and_events_share_one_transaction(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    with pytest.raises(UnknownSession):  # the unknown session fails the whole batch
        store.append([event(1), event(1, sid="ghost")], samples=[Sample("s1", "hr", 1.0, 60.0)])
    assert store.events("s1") == []
    assert store.samples("s1", "hr") == []


# ------------------------------------------------------------------------------------ liveness
NOW = datetime(2024, 11, 25, 12, 0, tzinfo=UTC)


def status(
    phase: str = "infusing",
    *,
    host: str | None = "room-pc",
    pid: int | None = 1234,
    heartbeat: datetime | None = NOW - timedelta(seconds=2),
    alive: bool = True,
) -> str:
    return derive_status(phase, host, pid, heartbeat, NOW, "room-pc", lambda _pid: alive)


def test_a_live_owner_shows_the_phase() -> None:
    assert status() == "infusing"


@pytest.mark.parametrize("terminal", ["discharged", "aborted"])
def test_terminal_phases_stay_whatever_the_owner(terminal: str) -> None:
    assert status(terminal, heartbeat=None, host=None, pid=None) == terminal
    assert status(terminal, alive=False) == terminal


def test_released_session_is_interrupted() -> None:
    assert status(heartbeat=None, host=None, pid=None) == "interrupted"


def test_dead_owner_on_this_host_is_interrupted_at_once() -> None:
    assert status(heartbeat=NOW, alive=False) == "interrupted"


def test_a_pid_on_another_host_is_not_checked_here() -> None:
    assert status(host="other-pc", alive=False) == "infusing"


def test_stale_heartbeat_is_interrupted() -> None:
    assert status(heartbeat=NOW - timedelta(seconds=10)) == "infusing"
    assert status(heartbeat=NOW - timedelta(seconds=10, milliseconds=1)) == "interrupted"
    assert status(host="other-pc", heartbeat=NOW - timedelta(seconds=11)) == "interrupted"


def _exited_child() -> subprocess.Popen[bytes]:
    """A child that has exited but is not reaped yet: a zombie, deterministically."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # wait for exit, do not reap
    return child


def test_pid_alive() -> None:
    assert pid_alive(PID)
    assert not pid_alive(0)
    child = _exited_child()
    if sys.platform.startswith("linux"):
        assert not pid_alive(child.pid)  # zombie: dead although kill(pid, 0) succeeds
    child.wait()
    assert not pid_alive(child.pid)


def test_store_status_follows_the_owner_process(store: TimelineStore, store_url: str) -> None:
    child = _exited_child()
    child.wait()
    store.create_session(new_session("dead"), HOST, child.pid)
    store.create_session(new_session("live"), HOST, PID)
    assert store.session("dead").status == "interrupted"
    assert store.session("live").status == "ready"
    store.release("live")
    info = store.session("live")
    assert (info.status, info.owner_host, info.owner_pid, info.heartbeat_at) == (
        "interrupted",
        None,
        None,
        None,
    )
    store.heartbeat("live", 42.5, T0 + timedelta(minutes=5), HOST, PID)  # resumed
    info = store.session("live")
    assert (info.status, info.last_t, info.last_wall) == ("ready", 42.5, T0 + timedelta(minutes=5))
    assert info.heartbeat_at is not None
    later = info.heartbeat_at + timedelta(seconds=11)
    with TimelineStore(store_url, clock=lambda: later) as seen_later:
        assert seen_later.session("live").status == "interrupted"


# ---------------------------------------------------------------------------- opening, files
def test_sqlite_file_and_folder_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "roomctl-data"
    with TimelineStore(f"sqlite:///{folder / 'timeline.db'}") as store:
        store.create_session(new_session(), HOST, PID)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for name in ("timeline.db", "timeline.db-wal"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "timeline.db"
    with TimelineStore(f"sqlite:///{path}") as store, store._require_engine().connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "busy_timeout": 5000,
        "foreign_keys": 1,
    }
    with sqlite3.connect(path) as plain:  # WAL is a property of the file itself
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    plain.close()


def test_schema_matches_the_tables_the_store_queries(store: TimelineStore, store_url: str) -> None:
    with raw_engine(store_url) as engine, engine.connect() as conn:
        found = inspect(conn)
        for table in TABLES:
            columns = {c["name"] for c in found.get_columns(table.name)}
            assert columns == set(table.columns.keys()), table.name
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"


def test_head_revision_is_the_newest_migration() -> None:
    """The store skips Alembic when the database is at HEAD_REVISION, so it must be the head."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]


def test_an_up_to_date_store_opens_without_importing_alembic(
    store: TimelineStore, store_url: str
) -> None:
    """Alembic takes a quarter of a second to import: ``sessions list`` must not pay for it."""
    code = (
        "import sys\n"
        "from roomctl.timeline.store import TimelineStore\n"
        "with TimelineStore(sys.argv[1]) as store:\n"
        "    store.sessions()\n"
        "print(sorted(name for name in sys.modules if name.partition('.')[0] == 'alembic'))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, store_url], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]"


def test_a_revision_other_than_the_head_is_left_to_alembic(store_url: str) -> None:
    with TimelineStore(store_url):
        pass
    with raw_engine(store_url) as engine, engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(CommandError, match="ffff"):
        TimelineStore(store_url).open()


def test_rooms_opening_together_migrate_once(store_url: str) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_store() -> None:
        store = TimelineStore(store_url)
        barrier.wait()
        try:
            store.open()
        except StoreError as exc:  # collected for the assertion on the test thread
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with TimelineStore(store_url) as store:
        store.create_session(new_session(), HOST, PID)
        assert [s.id for s in store.sessions()] == ["s1"]


def test_the_same_store_opened_again_continues(store_url: str) -> None:
    with TimelineStore(store_url) as first:
        first.create_session(new_session(), HOST, PID)
        first.append([event(1)])
    with TimelineStore(store_url) as second:
        second.append([event(2)])
        assert [e.seq for e in second.events("s1")] == [1, 2]


def test_unreachable_server_is_one_line_without_password() -> None:
    store = TimelineStore("postgresql+psycopg://nurse:s3cret@127.0.0.1:1/roomctl")
    assert store.url_for_display == "postgresql+psycopg://nurse:***@127.0.0.1:1/roomctl"
    with pytest.raises(StoreUnavailable) as caught:
        store.open()
    message = str(caught.value)
    assert "s3cret" not in message
    assert "\n" not in message
    assert message.startswith("timeline store postgresql+psycopg://nurse:***@127.0.0.1:1/roomctl")


def test_uncreatable_sqlite_folder_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreUnavailable, match="cannot create"):
        TimelineStore(f"sqlite:///{blocker / 'timeline.db'}").open()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "invalid timeline store URL <invalid url>"),
        ("mysql://u@h/db", "unsupported timeline store"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
    ],
)
def test_unusable_urls_are_store_errors(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        TimelineStore(url).open()


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = TimelineStore(f"sqlite:///{tmp_path / 'timeline.db'}")
    with pytest.raises(StoreError, match="not open"):
        store.sessions()
    store.open()
    store.close()
    store.close()
    with pytest.raises(StoreError, match="not open"):
        store.session("s1")
