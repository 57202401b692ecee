"""The CPU of a live room: the real window and the real demo devices, mid-infusion.

    python -m benchmarks.bench_live_room [--seconds S] [--warmup-s W]

Exactly what ``roomctl demo`` runs in its window, at real speed: the window (offscreen, Qt's
software painting, as on a room PC without a GPU) is unlocked as the demo nurse, the session
opened, **Start** pressed, the checklist ticked and the infusion started, all by clicks. Then,
after W seconds to settle, the process's CPU is measured for S seconds while the nurse console
shows the live infusion: tiles, pleth, 30-minute trends, status cards, the infusion timer;
libvlc plays the infusion playlist and PortAudio the ocean soundscape (into JACK's dummy card
when the machine has no sound card); two feeds are read from their pseudo-terminals and every
reading, wave and event goes to the SQLite timeline.

The demo's simulators run in the same process (the Ivy 450C monitor and the pump on their
pseudo-terminals, the Hue bridge on loopback): a room PC has the real devices instead, so
their threads' CPU is measured apart and taken out of ``room_cpu_percent``. The simulated
card's jackd is another process, reported as ``sound_server_cpu_percent`` (a room PC's sound
server is not roomctl either).

Per-thread CPU comes from /proc/self/task (utime + stime); Python threads are named by their
``threading`` name, native ones (libvlc, PortAudio, Qt) by their kernel name. Target
(issue 6): a live room ≤ 10 % of one core.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from benchmarks.measure import keep_running

TICK_S = os.sysconf("SC_CLK_TCK")
#: Threads that belong to the demo's simulators, not to a room.
SIMULATOR_THREADS = ("sim-device", "hue-bridge", "hue-sim")


def _thread_times() -> dict[int, tuple[str, float]]:
    """CPU seconds so far of every thread of this process, by kernel thread id."""
    times: dict[int, tuple[str, float]] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        times[int(task.name)] = (comm, (int(fields[11]) + int(fields[12])) / TICK_S)
    return times


def _process_cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK_S


def _jackd_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-x", "jackd"], capture_output=True, text=True, check=False)
    return [int(pid) for pid in found.stdout.split()]


def _names() -> dict[int, str]:
    names = {threading.main_thread().native_id: "GUI (main thread)"}
    for thread in threading.enumerate():
        if thread.native_id is not None and thread is not threading.main_thread():
            names[thread.native_id] = thread.name
    return names


def _group(name: str) -> str:
    if name.startswith(SIMULATOR_THREADS):
        return "simulators"
    return name


def _click(button: QPushButton) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    QCoreApplication.processEvents()


def _unlock(window: Any, name: str, pin: str) -> None:
    lock = window.lock_screen
    _click(lock.name_buttons[name])
    keys = {k.text(): k for k in lock.findChildren(QPushButton) if k.text() in "0123456789OK"}
    for digit in pin:
        _click(keys[digit])
    _click(keys["OK"])


def _wait(condition: Any, limit_s: float = 30.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        keep_running(0.05)


def run(seconds: float, warmup_s: float) -> dict[str, Any]:
    from app.gui import build_window
    from app.runtime import RoomRuntime
    from roomctl.config import load_config
    from roomctl.session import Phase
    from roomctl.timeline.store import TimelineStore

    _app = QApplication.instance() or QApplication(sys.argv[:1])  # kept alive while it runs
    with tempfile.TemporaryDirectory(prefix="roomctl-live-") as folder:
        os.environ["ROOMCTL_DATA_DIR"] = str(Path(folder) / "data")
        config = load_config(None)
        store = TimelineStore(f"sqlite:///{Path(folder) / 'timeline.db'}")
        store.open()
        runtimes: list[RoomRuntime] = []
        closers: list[Any] = []
        window = build_window(
            config, store, speed=1.0, minutes=40, demo=True, runtimes=runtimes, closers=closers
        )
        window._confirm = lambda title, text: True
        window.resize(1600, 1000)
        window.show()
        try:
            _unlock(window, "demo-nurse", "1111")
            _click(window.start_page.open_button)
            console = window.console
            _wait(lambda: console.committed_phase == Phase.READY)
            _click(console.start_button)
            _wait(lambda: console.committed_phase == Phase.PREPARING)
            for box in console.checklist.values():
                QTest.mouseClick(box, Qt.MouseButton.LeftButton)
            _click(console.start_button)
            _wait(lambda: console.committed_phase == Phase.INFUSING)
            keep_running(warmup_s)

            assert console.pleth.isVisible(), "the console must be on screen while measured"
            jackd = {pid: _process_cpu_s(pid) for pid in _jackd_pids()}
            before = _thread_times()
            wall0 = time.monotonic()
            cpu0 = time.process_time()
            keep_running(seconds)
            cpu1 = time.process_time()
            wall = time.monotonic() - wall0
            after = _thread_times()
            jackd_s = sum(
                (_process_cpu_s(pid) or start) - start
                for pid, start in jackd.items()
                if start is not None
            )
            names = _names()
            by_group: dict[str, float] = defaultdict(float)
            for tid, (comm, spent) in after.items():
                name = names.get(tid, f"native: {comm}")
                by_group[_group(name)] += spent - before.get(tid, (comm, 0.0))[1]
            process_pct = (cpu1 - cpu0) / wall * 100
            simulators_pct = by_group.get("simulators", 0.0) / wall * 100
            room = runtimes[0].room
            return {
                "seconds": round(wall, 1),
                "phase": str(room.state.phase),
                "process_cpu_percent": round(process_pct, 2),
                "simulators_cpu_percent": round(simulators_pct, 2),
                "room_cpu_percent": round(process_pct - simulators_pct, 2),
                "sound_server_cpu_percent": round(jackd_s / wall * 100, 2),
                "threads_cpu_percent": {
                    name: round(spent / wall * 100, 2)
                    for name, spent in sorted(by_group.items(), key=lambda kv: -kv[1])
                    if spent > 0
                },
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        finally:
            window.close()
            for runtime in runtimes:
                runtime.close()
            for close in closers:
                close()
            store.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_live_room")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup-s", type=float, default=10.0)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.seconds, args.warmup_s), indent=2), flush=True)


if __name__ == "__main__":
    main()
