"""Cue firing error against the plan, in real milliseconds.

    python -m benchmarks.bench_cues [--cues N] [--speed S]

Two measurements, both on APScheduler's QtScheduler with the DebugExecutor in a
QCoreApplication, as the app runs:

* ``scheduler``: N one-shot jobs at random times over ~10 s of real time, each recording how
  late it ran against its due time (the scheduler path alone).
* ``room``: a real Room in the infusion phase with a reminder every 3 session-seconds at
  ``--speed`` (default 60x): each reminder's ``late_s`` (session seconds, as recorded on the
  timeline) divided by the speed is its real firing error. This is the whole path a cue takes:
  plan → re-sync → scheduler → QTimer → Room → timeline event.

Prints one JSON object with p50/p99/max per measurement.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.scheduler import ApsScheduler
from benchmarks.measure import percentiles, run_for
from roomctl.clock import SessionClock
from roomctl.config import load_config
from roomctl.room import Room
from roomctl.timeline.events import Event, Kind


def bench_scheduler(app: QCoreApplication, cues: int, span_s: float) -> dict[str, float]:
    clock = SessionClock(speed=1.0)
    scheduler = ApsScheduler(clock)
    rng = random.Random(7)
    errors: list[float] = []
    for i in range(cues):
        due = clock.now() + 0.2 + rng.uniform(0, span_s)

        def fire(due: float = due) -> None:
            errors.append((clock.now() - due) * 1000)
            if len(errors) == cues:
                app.quit()

        scheduler.at(f"bench:{i}", due, fire)
    run_for(app, span_s + 5)
    scheduler.shutdown()
    return percentiles(errors)


class _Sink:
    def create_session(self, session: Any, owner_host: str, owner_pid: int) -> None: ...

    def append(self, event: Event) -> None: ...

    def heartbeat(self, *args: Any) -> None: ...


class _Quiet:
    """Null devices: this benchmark is about timing, not about what they would do."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def bench_room(app: QCoreApplication, cues: int, speed: float) -> dict[str, float]:
    base = load_config(None)
    infusing = base.phases.infusing.model_copy(
        update={
            "reminders": [
                base.phases.infusing.reminders[0].model_copy(update={"every_minutes": 0.05})
            ]
        }
    )
    config = base.model_copy(
        update={"phases": base.phases.model_copy(update={"infusing": infusing})}
    )
    clock = SessionClock(speed=speed)
    scheduler = ApsScheduler(clock)
    room = Room.open_session(
        patient="bench",
        course=1,
        config=config,
        clock=clock,
        sink=_Sink(),
        scheduler=scheduler,
        lights=_Quiet(),
        music=_Quiet(),
        soundscape=_Quiet(),
    )
    errors: list[float] = []

    def on_event(event: Event) -> None:
        if event.kind == Kind.REMINDER:
            errors.append(event.data["late_s"] / speed * 1000)
            if len(errors) == cues:
                app.quit()

    room.subscribe(on_event)
    room.prepare()
    room.start_infusion()
    run_for(app, cues * 3 / speed + 10)
    room.close()
    scheduler.shutdown()
    return percentiles(errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_cues", description=__doc__)
    parser.add_argument("--cues", type=int, default=200, help="cues per measurement (200)")
    parser.add_argument("--speed", type=float, default=60.0, help="room clock speed (60)")
    args = parser.parse_args(argv)
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    started = time.monotonic()
    result = {
        "benchmark": "cue firing error (real ms, late is positive)",
        "scheduler": bench_scheduler(app, args.cues, span_s=10.0),
        "room": {"speed": args.speed, **bench_room(app, args.cues, args.speed)},
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
