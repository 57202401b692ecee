"""Lights: scene latency through phue to the bridge simulator, and the longest GUI-thread stall
caused by lights while the bridge hangs.

    python -m benchmarks.bench_lights [--scenes N] [--hung-s S]

* ``exchange``: one group action through phue (``RoomBridge.set_group``) over HTTP to the
  simulator, until its confirmation is checked; N times.
* ``scene``: ``HueLights.apply`` on the caller's thread → the worker → phue → the simulator →
  the ``lights`` ok report; N times, one after the other. Hue's one-command-a-second pacing is
  switched off here so that N samples take seconds, not minutes: it is a wait by design, not
  latency (a scene that comes less than a second after the last one waits for the rest of it).
* ``stall``: a Room on a Qt event loop with the Hue adapter, reports routed through the app's
  ``QtDispatcher``, exactly as in the app. The simulator hangs (requests accepted, never
  answered), answers again for 2 s, then hangs again; the emergency overlay is toggled every
  50 ms meanwhile. On the GUI thread: the longest ``Lights.apply`` call, the longest delivery
  of a report (``Room.report`` of a lights or alarm event), and, for context, the longest gap
  in a 5 ms heartbeat timer (everything the loop did, lights or not). Target: 16 ms.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer

from app.dispatch import QtDispatcher
from app.scheduler import ApsScheduler
from benchmarks.bench_cues import _Quiet, _Sink, percentiles
from devices.lights.bridge import RoomBridge, send_group_state
from devices.lights.convert import HueState
from devices.lights.hue import HueLights
from devices.lights.limits import Backoff
from devices.sim.hue_bridge import HueBridgeSim
from roomctl.clock import SessionClock
from roomctl.config import SceneConfig, load_config
from roomctl.room import Room
from roomctl.timeline.events import Kind


def bench_exchange(sim: HueBridgeSim, key_file: Path, n: int) -> dict[str, float]:
    hue = RoomBridge(sim.address, sim.create_user(), key_file)
    took: list[float] = []
    for i in range(n):
        state = HueState(on=True, bri=1 + i % 254, ct=153 + i % 300, transitiontime=10)
        started = time.perf_counter()
        send_group_state(hue, 1, state)
        took.append((time.perf_counter() - started) * 1000)
    return percentiles(took)


def bench_scene(sim: HueBridgeSim, key_file: Path, n: int) -> dict[str, float]:
    done = threading.Condition()
    confirmed: list[float] = []

    def report(kind: Kind, data: dict[str, Any]) -> None:
        if data.get("action") == "apply" and data.get("outcome") == "ok":
            with done:
                confirmed.append(time.perf_counter())
                done.notify_all()

    lights = HueLights(
        bridge=sim.address,
        username=sim.create_user(),
        report=report,
        key_file=key_file,
        group_interval_s=0.0,
        check_every_s=3600,
    )
    took: list[float] = []
    try:
        for i in range(n):
            scene = SceneConfig(brightness=1 + i % 100, kelvin=2000 + i % 4000, transition_s=1)
            started = time.perf_counter()
            lights.apply(f"bench-{i}", scene)
            with done:
                if not done.wait_for(lambda i=i: len(confirmed) > i, timeout=5):
                    raise RuntimeError(f"scene {i} was not confirmed within 5 s")
            took.append((confirmed[i] - started) * 1000)
    finally:
        lights.close()
    return percentiles(took)


class _TimedLights:
    """The adapter as the Room sees it, with each call's time on the calling thread kept."""

    def __init__(self, lights: HueLights) -> None:
        self.lights = lights
        self.calls: list[float] = []

    def apply(self, name: str, scene: SceneConfig) -> None:
        started = time.perf_counter()
        self.lights.apply(name, scene)
        self.calls.append((time.perf_counter() - started) * 1000)

    def close(self) -> None:
        self.lights.close()


def bench_stall(
    app: QCoreApplication, sim: HueBridgeSim, key_file: Path, hung_s: float
) -> dict[str, Any]:
    dispatch = QtDispatcher()
    rooms: list[Room] = []
    deliveries: list[float] = []
    kinds: dict[str, int] = {}

    def report(kind: Kind, data: dict[str, Any]) -> None:  # on the adapter's worker thread
        def deliver() -> None:  # on the GUI thread, as the app's _Reporter does
            started = time.perf_counter()
            rooms[0].report("lights", kind, data)
            deliveries.append((time.perf_counter() - started) * 1000)
            label = f"{kind}:{data.get('outcome') or data.get('state')}"
            kinds[label] = kinds.get(label, 0) + 1

        dispatch(deliver)

    lights = _TimedLights(
        HueLights(
            bridge=sim.address,
            username=sim.create_user(),
            report=report,
            key_file=key_file,
            backoff=Backoff(first_s=0.1, cap_s=1.0),
            check_every_s=0.5,
        )
    )
    clock = SessionClock(speed=1.0)
    scheduler = ApsScheduler(clock)
    room = Room.open_session(
        patient="bench",
        course=1,
        config=load_config(None),
        clock=clock,
        sink=_Sink(),
        scheduler=scheduler,
        lights=lights,
        music=_Quiet(),
        soundscape=_Quiet(),
    )
    rooms.append(room)
    room.prepare()
    sim.set_mode("hung")
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000 - 5)
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(beat)
    heartbeat.start(5)
    toggle = QTimer()
    toggle.timeout.connect(lambda: room.emergency(not room.state.emergency))
    toggle.start(50)
    QTimer.singleShot(int(hung_s * 500), lambda: sim.set_mode("ok"))
    QTimer.singleShot(int(hung_s * 500) + 2000, lambda: sim.set_mode("hung"))
    QTimer.singleShot(int(hung_s * 1000) + 2000, app.quit)
    app.exec()
    toggle.stop()
    heartbeat.stop()
    scheduler.shutdown()
    room.close()
    lights.close()
    QCoreApplication.processEvents()
    return {
        "apply_calls": len(lights.calls),
        "apply_max_ms": round(max(lights.calls), 3),
        "apply_p99_ms": percentiles(lights.calls)["p99_ms"],
        "reports_delivered": len(deliveries),
        "report_max_ms": round(max(deliveries), 3) if deliveries else None,
        "reports_by_kind": dict(sorted(kinds.items())),
        "loop_gap_max_ms": round(max(gaps), 3),
        "loop_gap_p99_ms": percentiles(gaps)["p99_ms"],
        "target_ms": 16,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_lights", description=__doc__)
    parser.add_argument("--scenes", type=int, default=500, help="samples per latency (500)")
    parser.add_argument("--hung-s", type=float, default=8.0, help="seconds hung in all (8)")
    args = parser.parse_args(argv)
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="roomctl-bench-lights-") as folder:
        key_file = Path(folder) / "keys.json"  # handed to phue, never written
        sim = HueBridgeSim(lights=3)
        sim.start()
        try:
            result = {
                "benchmark": "lights: phue to the Hue bridge simulator on loopback",
                "exchange": bench_exchange(sim, key_file, args.scenes),
                "scene": bench_scene(sim, key_file, args.scenes),
                "stall_while_hung": bench_stall(app, sim, key_file, args.hung_s),
                "seconds": round(time.monotonic() - started, 1),
            }
        finally:
            sim.stop()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
