"""Sustained timeline write throughput through TimelineWriter, on SQLite or PostgreSQL.

    python -m benchmarks.bench_store [--db URL] [--events N]

Builds a realistic stream of events of mixed kinds (a feed link change, a light scene, a track,
an alarm with its readings ...), hands them to a started TimelineWriter as fast as the caller
can, and times until ``flush()`` says all are committed: the figure includes validation, the
audit hash of every event, the batching and every fsync of the engine. The audit chain is
verified afterwards (not timed). Prints one JSON object. Without ``--db`` it uses a SQLite file
in a temporary folder, removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from roomctl.timeline.events import Event, Kind
from roomctl.timeline.store import NewSession, StoreError, TimelineStore
from roomctl.timeline.writer import TimelineWriter

PHASES = ("preparing", "infusing", "paused", "infusing", "recovering")
# (kind, relative frequency, source): roughly what a 240x demo session writes.
MIX: tuple[tuple[Kind, int, str], ...] = (
    (Kind.FEED, 30, "feed.monitor"),
    (Kind.LIGHTS, 15, "lights"),
    (Kind.CUE, 10, "cues"),
    (Kind.MUSIC, 10, "music"),
    (Kind.SYSTEM, 10, "room"),
    (Kind.SOUNDSCAPE, 5, "soundscape"),
    (Kind.ALARM, 5, "alarms"),
    (Kind.NOTE, 5, "ui.nurse"),
    (Kind.REMINDER, 5, "cues"),
    (Kind.RECOVERY, 5, "ui.nurse"),
)


def _data(kind: Kind, rng: random.Random, seq: int) -> dict[str, Any]:
    """A data dict shaped like the real one for ``kind`` (3 to 8 fields, some nested)."""
    if kind is Kind.FEED:
        return {
            "feed": rng.choice(["monitor", "pump"]),
            "link": rng.choice(["up", "down", "stale"]),
            "port": "/dev/ttyUSB0",
            "frames": seq * 3,
            "errors": {"checksum": rng.randint(0, 3), "framing": 0},
        }
    if kind is Kind.LIGHTS:
        return {
            "scene": rng.choice(["warm", "dim", "rise", "emergency"]),
            "brightness": round(rng.uniform(0.1, 1.0), 3),
            "kelvin": rng.choice([2200, 2700, 4000]),
            "transition_s": rng.choice([1.0, 3.0, 60.0]),
            "lights": [1, 2, 3],
        }
    if kind is Kind.MUSIC:
        return {
            "action": "play",
            "track": f"tracks/{rng.randint(1, 40):02d}-ambient.ogg",
            "title": "Stillness — part II",
            "duration_s": round(rng.uniform(180, 600), 1),
            "volume": 0.6,
        }
    if kind is Kind.ALARM:
        return {
            "rule": rng.choice(["spo2_low", "hr_high", "sys_high"]),
            "level": rng.choice(["warning", "critical"]),
            "value": round(rng.uniform(80, 180), 1),
            "limits": {"low": 90, "high": 160},
            "acknowledged": False,
        }
    if kind is Kind.NOTE:
        return {"author": "nurse", "text": "Patient comfortable, eyes closed, breathing calm."}
    return {"name": f"{kind}-{seq % 17}", "detail": {"n": seq, "ok": True}, "at_s": seq * 0.05}


def make_events(session_id: str, count: int, started: datetime) -> list[Event]:
    """``count`` events of mixed kinds, a phase change every 2000, on a 20 Hz session clock."""
    rng = random.Random(7)
    kinds = [kind for kind, weight, _ in MIX for _ in range(weight)]
    sources = {kind: source for kind, _, source in MIX}
    events = []
    for seq in range(1, count + 1):
        t = seq * 0.05
        if seq % 2000 == 1:
            kind, source = Kind.PHASE, "room"
            data: dict[str, Any] = {"to": PHASES[(seq // 2000) % len(PHASES)], "by": "nurse"}
        else:
            kind = rng.choice(kinds)
            source, data = sources[kind], _data(kind, rng, seq)
        wall = started + timedelta(seconds=t)
        events.append(Event(session_id, seq, t, wall, source, kind, data))
    return events


@contextmanager
def _default_url(db: str | None) -> Iterator[str]:
    if db:
        yield db
        return
    with tempfile.TemporaryDirectory(prefix="roomctl-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'timeline.db'}"


def run(url: str, count: int, max_batch: int) -> dict[str, Any]:
    """Time ``count`` events through a TimelineWriter on ``url``; the figures as a dict."""
    started = datetime.now(UTC)
    session = NewSession(
        id=f"bench-{uuid.uuid4().hex[:12]}",
        room="bench",
        patient="P-BENCH",
        course=1,
        planned_minutes=40,
        speed=240.0,
        mode="demo",
        started_at=started,
    )
    events = make_events(session.id, count, started)
    with TimelineStore(url) as store:
        store.create_session(session, "bench", 0)
        writer = TimelineWriter(store, max_batch=max_batch)
        writer.start()
        try:
            began = time.perf_counter()
            for e in events:
                writer.append(e)
            queued = time.perf_counter() - began
            if not writer.flush(timeout=600):
                raise StoreError("the writer did not finish within 600 s")
            seconds = time.perf_counter() - began
            stats = writer.stats
        finally:
            writer.close()
        verified = store.verify(session.id)
        store.release(session.id)
        return {
            "url": store.url_for_display,
            "events": count,
            "seconds": round(seconds, 3),
            "events_per_s": round(count / seconds),
            "enqueue_seconds": round(queued, 3),
            "batches": stats.batches,
            "mean_batch": round(stats.committed_events / max(1, stats.batches), 1),
            "max_batch": max_batch,
            "retries": stats.retries,
            "verified": verified.ok and verified.checked == count,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_store", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--db", help="store URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--events", type=int, default=20_000, help="events to write (20000)")
    parser.add_argument("--max-batch", type=int, default=1000, help="writer batch size (1000)")
    args = parser.parse_args(argv)
    if args.events < 1 or args.max_batch < 1:
        parser.error("--events and --max-batch must be positive")
    try:
        with _default_url(args.db) as url:
            result = run(url, args.events, args.max_batch)
    except StoreError as exc:
        print(f"bench_store: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
