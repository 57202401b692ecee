"""Nurse screen: serial byte → vital tile repainted, and the longest GUI-thread stall while a
live session with trends, pleth and status cards runs.

    python -m benchmarks.bench_ui_tiles [--samples N] [--seconds S]

Runs on Qt's offscreen platform (software painting, as on a room PC without a GPU).

* ``tile_latency``: a roomctl-line ``VITALS HR=n`` line is written into a pseudo-terminal at
  t0; the app's own path carries it (FeedReader thread → QtDispatcher → FeedDelivery →
  ``Room.readings``) and the HR tile of ``ui/vital_tiles.py`` (inside a 1600 px window with the
  room's style sheet) repaints showing ``n`` at t1 (a Paint event on its value label). N lines
  at random 150-350 ms intervals, so the sends fall at every phase of a periodic refresh.
  Two ways of refreshing the tiles are measured:

  - ``console_tick_250ms``: what ``ui/nurse_console.py`` does today (a 250 ms QTimer calls
    ``VitalTiles.refresh``);
  - ``on_arrival``: the tiles refreshed as soon as the reading is delivered (what a readings
    hook on the Room, or the delivery itself, would do).

  Target (issue 6): p99 ≤ 50 ms.
* ``stall``: the real feed simulators (an Ivy 450C monitor with 50 Hz pleth and the pump, on
  pseudo-terminals, as ``roomctl demo`` runs them) feed a Room for S seconds while a 1600x1000
  window shows vital tiles (250 ms tick), the pleth (10 Hz), 30-minute trends already holding
  30 minutes of data (1 Hz) and the five status cards (1 Hz). A 1 ms heartbeat timer on the GUI
  thread measures the gaps between its ticks: the longest is the longest stall, whatever caused
  it (painting included). Beside it: the window's paints, and the slowest run of each widget's
  own refresh, in wall time and in the GUI thread's CPU time (on a machine busy with other work
  the difference is time the thread waited for a core). Target: no stall over 16 ms.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import tty
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from app.dispatch import QtDispatcher
from app.feeds import FeedDelivery, build_feeds
from benchmarks.measure import percentiles, run_for
from devices.feeds.registry import protocol
from devices.feeds.transport import FeedReader, Stamped
from roomctl.clock import SessionClock
from roomctl.config import load_config
from roomctl.room import Room
from ui.pleth import PlethView
from ui.status_panels import StatusCards
from ui.theme import STYLE_SHEET
from ui.trends import TrendsView
from ui.vital_tiles import VitalTiles

CONSOLE_TICK_MS = 250  # ui/nurse_console.py's refresh timer


class _Sink:
    """The Room's timeline goes nowhere: this benchmark times the screen, not the store."""

    def create_session(self, *args: Any) -> None: ...

    def append(self, *args: Any) -> None: ...

    def append_samples(self, *args: Any) -> None: ...

    def append_wave(self, *args: Any) -> None: ...

    def heartbeat(self, *args: Any) -> None: ...


class _Quiet:
    """Null devices: this benchmark is about the screen, not about what they would do."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class _NoCues(_Quiet):
    """A scheduler that never fires: no reminder or planned end gets in the measurement."""

    def job_ids(self) -> set[str]:
        return set()


def _room() -> Room:
    room = Room.open_session(
        patient="bench",
        course=1,
        config=load_config(None),
        clock=SessionClock(speed=1.0),
        sink=_Sink(),
        scheduler=_NoCues(),
        lights=_Quiet(),
        music=_Quiet(),
        soundscape=_Quiet(),
    )
    room.prepare()
    room.start_infusion()
    return room


class _PaintWatch(QObject):
    """Timestamps every Paint event of one label, with the text it is about to paint."""

    def __init__(self, on_paint: Callable[[str, float], None]) -> None:
        super().__init__()
        self._on_paint = on_paint

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._on_paint(watched.text(), time.perf_counter())  # type: ignore[attr-defined]
        return False


def bench_tile_latency(app: QApplication, samples: int, on_arrival: bool) -> dict[str, Any]:
    room = _room()
    window = QWidget()
    window.resize(1600, 200)
    box = QVBoxLayout(window)
    tiles = VitalTiles(room)
    box.addWidget(tiles)
    window.show()
    app.processEvents()
    hr_label = next(tile for tile in tiles.tiles if tile.spec.title == "HR").value
    sent: dict[int, float] = {}
    latencies: list[float] = []
    delivered: list[float] = []  # byte → the Room has the reading (GUI thread)
    refreshed: list[float] = []  # byte → the tile's label holds the new text

    def painted(text: str, now: float) -> None:
        if not text.isdigit():
            return
        shown = int(text)
        for n in [n for n in sent if n <= shown]:  # a newer value supersedes older ones
            latencies.append((now - sent.pop(n)) * 1000)
        if len(latencies) >= samples:
            app.quit()

    watch = _PaintWatch(painted)
    hr_label.installEventFilter(watch)
    dispatch = QtDispatcher()
    deliver = FeedDelivery("monitor", lambda: room)

    def arrived(batch: list[Stamped]) -> None:
        deliver(batch)
        pending = max(sent, default=None)
        if pending is None:
            return
        delivered.append((time.perf_counter() - sent[pending]) * 1000)
        if on_arrival:
            tiles.refresh()
            refreshed.append((time.perf_counter() - sent[pending]) * 1000)

    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    reader = FeedReader(
        os.ttyname(slave),
        protocol("roomctl-line"),
        lambda batch: dispatch(lambda: arrived(batch)),
        name="bench",
    )
    tick = QTimer()
    tick.timeout.connect(tiles.refresh)
    if not on_arrival:
        tick.start(CONSOLE_TICK_MS)
    rng = random.Random(6)
    counter = iter(range(60, 10**6))  # plausible heart rates first: no alarm colours
    sender = QTimer()
    sender.setSingleShot(True)

    def send() -> None:
        n = next(counter)
        sent[n] = time.perf_counter()
        os.write(master, f"VITALS HR={n} SPO2=97\n".encode())
        sender.start(rng.randint(150, 350))

    sender.timeout.connect(send)
    reader.start()
    QTimer.singleShot(300, send)
    run_for(app, samples * 0.35 + 10)
    sender.stop()
    tick.stop()
    reader.stop()
    os.close(master)
    os.close(slave)
    hr_label.removeEventFilter(watch)
    _dispose(app, window)
    stages = {"to_room": percentiles(delivered)}
    if refreshed:
        stages["to_label_text"] = percentiles(refreshed)
    return {"byte_to_repaint": percentiles(latencies), **stages}


def _dispose(app: QApplication, window: QWidget) -> None:
    """Paint what is pending, then close and delete: a paint left for the next run's loop
    would go to a window that no longer exists."""
    app.processEvents()
    window.close()
    window.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)


class _Slowest:
    """The slowest run of each named piece of GUI work: wall time, and the GUI thread's own
    CPU time (on a busy machine the gap between the two is time the thread was not running)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def add(self, name: str, wall_ms: float, cpu_ms: float) -> None:
        self.wall[name] = max(self.wall.get(name, 0.0), wall_ms)
        self.cpu[name] = max(self.cpu.get(name, 0.0), cpu_ms)

    def figures(self) -> dict[str, dict[str, float]]:
        return {
            name: {"wall_ms": round(self.wall[name], 3), "cpu_ms": round(self.cpu[name], 3)}
            for name in sorted(self.wall)
        }


def _timed(fn: Callable[[], None], slowest: _Slowest, name: str) -> Callable[[], None]:
    def run() -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        fn()
        slowest.add(name, (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000)

    return run


class _PaintedWindow(QWidget):
    """A top-level window that times each of its paints (Qt paints a window's dirty widgets
    in one UpdateRequest), which no slot's time includes."""

    def __init__(self, slowest: _Slowest) -> None:
        super().__init__()
        self.slowest = slowest
        self.paints: list[float] = []

    def event(self, event: QEvent) -> bool:
        if event.type() != QEvent.Type.UpdateRequest:
            return super().event(event)
        wall, cpu = time.perf_counter(), time.thread_time()
        handled = super().event(event)
        wall_ms = (time.perf_counter() - wall) * 1000
        self.paints.append(wall_ms)
        self.slowest.add("window_paint", wall_ms, (time.thread_time() - cpu) * 1000)
        return handled


def _retime(timer: QTimer, fn: Callable[[], None], slowest: _Slowest, name: str) -> None:
    timer.timeout.disconnect()
    timer.timeout.connect(_timed(fn, slowest, name))


def _fill_trends(trends: TrendsView, now: float) -> None:
    """30 minutes of one-a-second history, so every trend draws at its full size."""
    t = now - np.arange(1800, 0, -1, dtype=float)
    rng = np.random.default_rng(6)
    base = {"hr": 72, "spo2": 97, "rr": 14, "etco2": 38, "nibp_sys": 124, "nibp_dia": 79}
    for row in trends.rows.values():
        for channel, ring in row.rings.items():
            if channel.startswith("nibp"):
                ring.extend(t[::300], base[channel] + rng.normal(0, 4, len(t[::300])))
            else:
                ring.extend(t, base[channel] + rng.normal(0, 1.5, len(t)))


PARTS = ("tiles", "pleth", "trends", "cards")


def bench_stall(
    app: QApplication, seconds: float, parts: tuple[str, ...] = PARTS
) -> dict[str, Any]:
    config = load_config(None)
    room = _room()
    slowest = _Slowest()
    window = _PaintedWindow(slowest)
    window.resize(1600, 1000)
    box = QVBoxLayout(window)
    tiles = VitalTiles(room)
    pleth = PlethView(room)
    trends = TrendsView(room)
    cards = StatusCards(room)
    for name, widget, stretch in (
        ("tiles", tiles, 0),
        ("pleth", pleth, 2),
        ("trends", trends, 5),
        ("cards", cards, 2),
    ):
        if name in parts:
            box.addWidget(widget, stretch)
        else:
            widget.hide()  # built (it listens) but never painted
    window.show()
    app.processEvents()
    _fill_trends(trends, room.clock.now())

    _retime(pleth.timer, pleth.repaint_if_due, slowest, "pleth_repaint")
    _retime(trends.timer, trends.tick, slowest, "trends_tick")
    for card in cards.cards():
        _retime(card.timer, card.refresh, slowest, "status_cards_refresh")
    console_tick = QTimer()
    console_tick.timeout.connect(_timed(tiles.refresh, slowest, "tiles_refresh"))
    console_tick.start(CONSOLE_TICK_MS)

    dispatch = QtDispatcher()
    deliveries = {"n": 0}

    def counted(fn: Callable[[], None]) -> None:
        def run() -> None:
            deliveries["n"] += 1
            fn()

        dispatch(_timed(run, slowest, "feed_delivery"))

    feeds = build_feeds(config, lambda: room, counted, speed=1.0)
    gaps: list[float] = []
    last = {"t": time.perf_counter()}

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last["t"]) * 1000)
        last["t"] = now

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(beat)

    def start_beating() -> None:  # after a 2 s warm-up (first connections, first paints)
        slowest.wall.clear()
        slowest.cpu.clear()
        window.paints.clear()
        last["t"] = time.perf_counter()
        heartbeat.start(1)

    feeds.start()
    QTimer.singleShot(2000, start_beating)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run_for(app, seconds + 2)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    heartbeat.stop()
    console_tick.stop()
    feeds.stop()
    for widget in (pleth, trends, cards):
        widget.stop()
    _dispose(app, window)
    return {
        "parts": list(parts),
        "seconds": round(seconds, 1),
        "heartbeat_gaps": percentiles(gaps),
        "gaps_over_16ms": sum(1 for gap in gaps if gap > 16.0),
        "window_paints": percentiles(window.paints),
        "slowest": slowest.figures(),
        "feed_deliveries": deliveries["n"],
        "pleth_repaints": pleth.repaints,
        "trend_repaints": trends.repaints,
        "cpu_percent_of_one_core": round(100 * cpu / wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_ui_tiles", description=__doc__
    )
    parser.add_argument("--samples", type=int, default=300, help="readings per latency run (300)")
    parser.add_argument("--seconds", type=float, default=20.0, help="stall run length (20)")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="what the stall run shows, of tiles,pleth,trends,cards (all)",
    )
    parser.add_argument("--stall-only", action="store_true", help="skip the latency runs")
    args = parser.parse_args(argv)
    parts = tuple(p for p in args.parts.split(",") if p)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setStyleSheet(STYLE_SHEET)
    result: dict[str, Any] = {
        "benchmark": "nurse screen: serial byte to tile, GUI stalls",
        "platform": app.platformName(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    if not args.stall_only:
        result["tile_latency"] = {
            "console_tick_250ms": bench_tile_latency(app, args.samples, on_arrival=False),
            "on_arrival": bench_tile_latency(app, args.samples, on_arrival=True),
        }
    result["stall"] = bench_stall(app, args.seconds, parts)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
