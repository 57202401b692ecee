"""Many rooms, one PostgreSQL: four room processes run a simulated session each at the same
time and nothing is lost or mixed up; the server goes away for 10 s mid-session and every
event is written once it is back.

Each room is a real ``roomctl demo --headless`` process. Their sound runs on the null twins
(a user config), so four rooms fit on a two-core machine: the store is what is under test.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roomctl.session import Phase, replay
from roomctl.timeline.events import Kind
from roomctl.timeline.store import TimelineStore

REPO = Path(__file__).resolve().parent.parent
ROOMS = 4

pytestmark = pytest.mark.system


def _room_env(tmp_path: Path, url: str, room: str) -> dict[str, str]:
    user = tmp_path / f"{room}.toml"
    user.write_text(
        f'[room]\nname = "{room}"\n[music]\nbackend = "null"\n[soundscape]\nbackend = "null"\n'
        f'[demo]\npatient = "heron-{room[-1]}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCTL_")}
    env.update(
        ROOMCTL_DB=url,
        ROOMCTL_CONFIG=str(user),
        ROOMCTL_DATA_DIR=str(tmp_path / room),
        OPENBLAS_NUM_THREADS="1",
    )
    env.pop("DISPLAY", None)
    return env


def _start_room(tmp_path: Path, url: str, room: str, speed: int) -> subprocess.Popen[str]:
    """A room process; the ``_kill_rooms`` fixture ends any still running after the test."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "demo", "--headless", "--speed", str(speed)],
        cwd=REPO,
        env=_room_env(tmp_path, url, room),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _RUNNING.append(proc)
    return proc


_RUNNING: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _kill_rooms():
    """A failed or timed-out test must not leave room processes writing to a server."""
    yield
    while _RUNNING:
        proc = _RUNNING.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _check_whole(store: TimelineStore, session_id: str) -> None:
    """A session is whole: discharged, its chain intact, seq without a gap, every kind there."""
    events = store.events(session_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(e.session == session_id for e in events)
    assert store.verify(session_id).ok
    assert replay(events).phase == Phase.DISCHARGED
    kinds = {e.kind for e in events}
    for kind in (Kind.PHASE, Kind.LIGHTS, Kind.MUSIC, Kind.SOUNDSCAPE, Kind.FEED, Kind.RECOVERY):
        assert kind in kinds, f"{session_id}: no {kind} event"
    assert store.samples(session_id, "hr"), f"{session_id}: no HR samples"


def test_four_rooms_at_once_lose_and_mix_nothing(fresh_pg_database: str, tmp_path: Path) -> None:
    rooms = [f"Room {n}" for n in range(1, ROOMS + 1)]
    procs = {room: _start_room(tmp_path, fresh_pg_database, room, 600) for room in rooms}
    for room, proc in procs.items():
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, f"{room}: {err[-2000:]}"
    with TimelineStore(fresh_pg_database) as store:
        sessions = store.sessions()
        assert sorted(s.room for s in sessions) == rooms  # review lists every room
        for info in sessions:
            assert info.patient == f"heron-{info.room[-1]}"
            _check_whole(store, info.id)


def test_a_10_s_server_outage_mid_session_loses_nothing(own_pg_server, tmp_path: Path) -> None:
    url, stop, start = own_pg_server
    proc = _start_room(tmp_path, url, "Room 1", 120)
    with TimelineStore(url) as store:
        deadline = time.monotonic() + 60
        while not store.sessions() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert store.sessions(), "the room never opened its session"
    time.sleep(3)  # into preparation
    stop()
    time.sleep(10)
    start()
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-2000:]
    with TimelineStore(url) as store:
        (info,) = store.sessions()
        _check_whole(store, info.id)
        hr = [s.t for s in store.samples(info.id, "hr")]
        # The monitor reads once a real second (120 s of session time at 120x); the 10 s
        # outage is 20 minutes of session: readings from inside it were buffered by the
        # writer and are all there, so no gap is wider than a couple of readings.
        gaps = sorted(b - a for a, b in itertools.pairwise(hr))
        usual = gaps[len(gaps) // 2]
        assert gaps[-1] < 2.5 * usual, f"a hole of {gaps[-1]:.0f} s in the HR samples"
    assert "store" in (out + err).lower()  # the room said the store was away


ROOM_GRANTS = """
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};
GRANT INSERT ON sessions, events, samples, waves TO {role};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
GRANT UPDATE (phase, ended_at, last_t, last_wall, owner_host, owner_pid, heartbeat_at)
    ON sessions TO {role};
"""


def test_a_room_runs_with_only_the_grants_docs_give_it(
    fresh_pg_database: str, tmp_path: Path
) -> None:
    """docs/CLINIC-SERVER.md's least-privilege role is enough for a whole session, and not
    enough to change history."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ProgrammingError

    documented = (REPO / "docs" / "CLINIC-SERVER.md").read_text(encoding="utf-8")
    for grant in ROOM_GRANTS.format(role="room1").split(";"):
        words = " ".join(grant.split())
        assert not words or words in " ".join(documented.split()), words
    with TimelineStore(fresh_pg_database):
        pass  # the owner opens the store once: the tables exist
    role = f"room_{os.getpid()}"
    owner = create_engine(fresh_pg_database, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(ROOM_GRANTS.format(role=f'"{role}"')))
    room_url = make_url(fresh_pg_database).set(username=role, password=None)
    url = room_url.render_as_string(hide_password=False)
    try:
        proc = _start_room(tmp_path, url, "Room 7", 600)
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
        with TimelineStore(url) as store:
            (info,) = store.sessions()
            _check_whole(store, info.id)
        room = create_engine(url)
        with room.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("DELETE FROM samples"))
        with room.connect() as conn, pytest.raises(ProgrammingError, match="must be owner"):
            conn.execute(text("ALTER TABLE events ADD COLUMN x int"))
        room.dispose()
    finally:
        with owner.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        owner.dispose()
