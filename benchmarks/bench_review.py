"""Review: listing a clinic's sessions and opening a long one, as a reviewer waits for them.

    python -m benchmarks.bench_review [--db URL] [--rebuild] [--repeat N]

The store holds 10 000 sessions: three years of four rooms, 1 700 patients with about six
sessions each, most discharged, some aborted or interrupted; each with the few events of its
phases (and now and then an alarm or a note). One of them is a full three-hour session made
by :mod:`roomctl.timeline.generate`: 75 Hz pleth, second-by-second vitals and pump, NIBP every
five minutes, alarms, notes, recovery checks. The store is built once and kept in the temporary
folder (``--rebuild`` makes it again); building takes a minute or so.

Timed, offscreen, best and median of ``--repeat`` runs:

* ``list``: the session list's query of all 10 000 sessions, the table model's fill and the
  view's first paint of its rows (:meth:`SessionList.refresh`, then the event loop).
  Target 200 ms.
* ``open``: opening the three-hour session in a timeline view that is already on screen (as
  the Review tab's is): every query, every track set up, and the first paint of the whole
  widget (grabbed into a pixmap). Target 500 ms.

The machine's load matters on two cores: run it alone for the figures in docs/PERFORMANCE.md.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from roomctl.timeline.events import Event, Kind
from roomctl.timeline.schema import sessions_table
from roomctl.timeline.store import TimelineStore

SESSIONS = 10_000
LIST_TARGET_MS = 200.0
OPEN_TARGET_MS = 500.0
BUILD_VERSION = "1"
CACHE = Path(tempfile.gettempdir()) / f"roomctl-bench-review-v{BUILD_VERSION}"
ROOMS = ("Room 1", "Room 2", "Room 3", "Room 4")
ANIMALS = (
    "heron",
    "otter",
    "wren",
    "lynx",
    "finch",
    "badger",
    "robin",
    "marten",
    "plover",
    "hare",
    "stoat",
    "kestrel",
    "ibis",
    "vole",
    "egret",
    "swift",
    "teal",
    "crane",
    "shrike",
    "lark",
)
FIRST_DAY = datetime(2023, 3, 1, 8, 30, tzinfo=UTC)


# ------------------------------------------------------------------------------- the store
def _tiny_events(sid: str, started: datetime, end: str, rng: random.Random) -> list[Event]:
    """The few events of a session that went ``ready → ... → end`` at a real pace."""
    planned = rng.choice((40, 40, 45, 60))
    steps: list[tuple[float, Kind, dict[str, Any]]] = [
        (0.0, Kind.SYSTEM, {"action": "session_opened", "planned_minutes": planned}),
        (0.0, Kind.PHASE, {"from": None, "to": "ready"}),
        (60.0, Kind.PHASE, {"from": "ready", "to": "preparing"}),
        (900.0, Kind.PHASE, {"from": "preparing", "to": "infusing"}),
    ]
    t = 900.0 + planned * 60.0
    if rng.random() < 0.2:
        steps.append((1500.0, Kind.NOTE, {"text": "Settled, eyes closed", "tags": ["calm"]}))
    if rng.random() < 0.15:
        alarm = {"id": "spo2<94", "priority": "medium", "text": "** SpO2 below 94"}
        steps.append((2000.0, Kind.ALARM, {**alarm, "action": "raised", "value": 92.0}))
        steps.append((2030.0, Kind.ALARM, {**alarm, "action": "cleared", "value": 95.0}))
    if end == "aborted":
        steps.append(
            (1800.0, Kind.PHASE, {"from": "infusing", "to": "aborted", "reason": "nausea"})
        )
    elif end != "interrupted":
        steps.append((t, Kind.PHASE, {"from": "infusing", "to": "recovering", "reason": "planned"}))
        ready = t + rng.uniform(40, 90) * 60.0
        steps.append((ready, Kind.RECOVERY, {"milestone": "discharge_ready"}))
        steps.append((ready + 300.0, Kind.PHASE, {"from": "recovering", "to": "discharged"}))
    steps.sort(key=lambda step: step[0])
    return [
        Event(sid, seq, at, started + timedelta(seconds=at), "room", kind, data)
        for seq, (at, kind, data) in enumerate(steps, start=1)
    ]


def build_store(
    url: str, *, seed: int = 20_240_601, progress: Callable[[str], None] = print
) -> str:
    """Fill an empty store at ``url``: 9 999 tiny sessions and one three-hour session.

    Returns the long session's id. Session rows go in with one bulk insert (creating 10 000
    sessions one transaction at a time would only time the disk's fsync); events go through
    :meth:`TimelineStore.append`, so their audit links are real.
    """
    from sqlalchemy import create_engine, insert

    from roomctl.timeline.generate import THREE_HOURS, generate_session

    rng = random.Random(seed)
    patients = [f"{a}-{n:02d}" for a in ANIMALS for n in range(1, 90)]
    rng.shuffle(patients)
    rows: list[dict[str, Any]] = []
    events: list[Event] = []
    day = 0
    courses: dict[str, int] = {}
    for i in range(SESSIONS - 1):
        day += 1 if i % 10 == 9 else 0
        started = FIRST_DAY + timedelta(days=day, minutes=(i % 10) * 45 + rng.randint(0, 20))
        patient = patients[rng.randrange(1700)]
        courses[patient] = courses.get(patient, 0) + 1
        roll = rng.random()
        end = "aborted" if roll < 0.03 else "interrupted" if roll < 0.045 else "discharged"
        sid = started.strftime("%Y%m%d-%H%M%S-") + f"{rng.getrandbits(24):06x}"
        session_events = _tiny_events(sid, started, end, rng)
        rows.append(
            {
                "id": sid,
                "room": ROOMS[i % len(ROOMS)],
                "patient": patient,
                "course": courses[patient],
                "planned_minutes": int(session_events[0].data["planned_minutes"]),
                "speed": 1.0,
                "mode": "clinical" if rng.random() < 0.97 else "demo",
                "phase": "ready",
                "started_at": started,
                "ended_at": None,
                "last_t": 0.0,
                "last_wall": started,
                "owner_host": None,
                "owner_pid": None,
                "heartbeat_at": None,
                "meta": {"weight_kg": rng.randint(48, 110), "mg_per_kg": 0.5},
            }
        )
        events.extend(session_events)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(sessions_table), rows)
    finally:
        engine.dispose()
    progress(f"bench_review: {len(rows)} session rows; appending {len(events)} events")
    with TimelineStore(url) as store:
        for i in range(0, len(events), 5000):
            store.append(events[i : i + 5000])
        progress("bench_review: generating the three-hour session (75 Hz pleth)")
        long_id = generate_session(
            store,
            patient="heron-07",
            course=6,
            seed=7,
            started_at=FIRST_DAY + timedelta(days=day + 1, hours=1),
            **THREE_HOURS,
        )
    return long_id


def cached_store(db: str | None, rebuild: bool) -> tuple[str, str]:
    """(store URL, long session id), building the store when it is not there yet."""
    if db:
        with TimelineStore(db) as store:
            found = store.sessions(search="heron-07", statuses={"discharged"}, limit=1)
            if len(store.sessions(limit=SESSIONS)) >= SESSIONS and found:
                longest = max(store.sessions(patient="heron-07"), key=lambda s: s.last_t)
                return db, longest.id
            long_id = build_store(db)
        return db, long_id
    CACHE.mkdir(exist_ok=True)
    path, marker = CACHE / "timeline.db", CACHE / "long_session.txt"
    if rebuild or not marker.exists():
        for stale in CACHE.glob("timeline.db*"):
            stale.unlink()
        marker.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        TimelineStore(url).open()  # migrate first (the bulk insert needs the tables)
        long_id = build_store(url)
        marker.write_text(long_id)
    return f"sqlite:///{path}", marker.read_text().strip()


# ---------------------------------------------------------------------------------- timing
def _figures(ms: list[float], cpu_ms: list[float], target: float) -> dict[str, Any]:
    """Wall-clock figures, and this process's CPU time (what other processes on a busy
    machine do not inflate as much)."""
    return {
        "best_ms": round(min(ms), 1),
        "median_ms": round(statistics.median(ms), 1),
        "max_ms": round(max(ms), 1),
        "cpu_median_ms": round(statistics.median(cpu_ms), 1),
        "runs": len(ms),
        "target_ms": target,
        "met": statistics.median(ms) <= target,
    }


def run(url: str, long_id: str, repeat: int) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from roomctl.review import load_review
    from ui.review.session_list import SessionList
    from ui.review.timeline_view import TimelineView
    from ui.theme import STYLE_SHEET

    app = QApplication.instance() or QApplication([])
    app.setStyleSheet(STYLE_SHEET)
    list_ms: list[float] = []
    open_ms: list[float] = []
    query_ms: list[float] = []
    list_cpu: list[float] = []
    open_cpu: list[float] = []
    with TimelineStore(url) as store:
        listing = SessionList(store)
        listing.resize(1600, 1000)
        listing.show()
        timeline = TimelineView()
        timeline.resize(1600, 1000)
        timeline.show()
        app.processEvents()
        for _ in range(repeat):
            began, cpu = time.perf_counter(), time.process_time()
            listing.refresh()
            app.processEvents()
            list_ms.append((time.perf_counter() - began) * 1000)
            list_cpu.append((time.process_time() - cpu) * 1000)
            shown = listing.model.rowCount()

            timeline.clear()
            app.processEvents()
            began, cpu = time.perf_counter(), time.process_time()
            review = load_review(store, long_id)
            loaded = time.perf_counter()
            timeline.show_session(review)
            timeline.grab()  # the first paint, plots and all
            open_ms.append((time.perf_counter() - began) * 1000)
            open_cpu.append((time.process_time() - cpu) * 1000)
            query_ms.append((loaded - began) * 1000)
        listing.close()
        timeline.close()
    pleth = review.waves.get("pleth")
    return {
        "store": url.rsplit("/", 1)[-1] if url.startswith("sqlite") else "postgresql",
        "sessions_listed": shown,
        "list": _figures(list_ms, list_cpu, LIST_TARGET_MS),
        "open_3h_session": {
            **_figures(open_ms, open_cpu, OPEN_TARGET_MS),
            "of_which_reading_median_ms": round(statistics.median(query_ms), 1),
            "pleth_values": len(pleth) if pleth is not None else 0,
            "events": len(review.events),
            "hours": round(review.end_t / 3600, 2),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_review", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--db", help="store URL (default: a SQLite file cached in the temp folder)")
    parser.add_argument("--rebuild", action="store_true", help="build the cached store again")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs of each (9)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be positive")
    url, long_id = cached_store(args.db, args.rebuild)
    print(json.dumps(run(url, long_id, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
