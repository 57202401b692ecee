"""Live feeds: serial byte → Room-thread latency, and the CPU that two live feeds cost.

    python -m benchmarks.bench_feeds [--samples N] [--seconds S]

* ``latency``: a roomctl-line frame written into a pseudo-terminal at t0 is read by a
  FeedReader (pyserial, the parser), handed through the QtDispatcher to the Qt thread, where its
  arrival is t1. Reports t1 - t0 (p50/p99/max, ms) over N frames sent at 20 Hz.
* ``cpu``: two simulators run as separate processes (a Masimo at 1 line/s and a Nonin OEM III at
  75 frames/s, the busiest format), this process reads both for S seconds exactly as the app
  does (two reader threads, records dispatched to the Qt thread); the figure is this process's
  CPU time over the wall time, as a percentage of one core.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tty
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer

from app.dispatch import QtDispatcher
from benchmarks.measure import percentiles, run_for
from devices.feeds.records import RecordKind
from devices.feeds.registry import protocol
from devices.feeds.transport import FeedReader, Stamped

REPO = Path(__file__).resolve().parent.parent


def bench_latency(app: QCoreApplication, samples: int) -> dict[str, Any]:
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    dispatch = QtDispatcher()
    sent: dict[int, float] = {}
    latencies: list[float] = []

    def arrived(batch: list[Stamped]) -> None:
        now = time.perf_counter()
        for item in batch:
            if item.record.kind == RecordKind.VITALS:
                n = int(item.record.values["hr"])
                if n in sent:
                    latencies.append((now - sent.pop(n)) * 1000)
        if len(latencies) >= samples:
            app.quit()

    reader = FeedReader(
        os.ttyname(slave),
        protocol("roomctl-line"),
        lambda batch: dispatch(lambda: arrived(batch)),
        name="bench",
    )
    reader.start()
    counter = iter(range(1, 10**6))

    def send() -> None:
        n = next(counter)
        sent[n] = time.perf_counter()
        os.write(master, f"VITALS HR={n} SPO2=97\n".encode())

    ticker = QTimer()
    ticker.timeout.connect(send)
    QTimer.singleShot(300, lambda: ticker.start(50))
    run_for(app, samples / 20 + 10)
    ticker.stop()
    reader.stop()
    os.close(master)
    os.close(slave)
    return percentiles(latencies)


def bench_cpu(app: QCoreApplication, seconds: float) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="roomctl-bench-feeds-"))
    sims = []
    feeds = {"masimo-ascii1": folder / "ttyMASIMO", "nonin-oem3": folder / "ttyNONIN"}
    for name, link in feeds.items():
        sims.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "app.cli",
                    "sim",
                    "monitor",
                    "--protocol",
                    name,
                    "--link",
                    str(link),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                cwd=REPO,
            )
        )
    for sim in sims:
        assert sim.stdout is not None
        sim.stdout.readline()  # the port exists once its path is printed
    dispatch = QtDispatcher()
    counts = {"records": 0}

    def arrived(batch: list[Stamped]) -> None:
        counts["records"] += len(batch)

    readers = [
        FeedReader(str(link), protocol(name), lambda b: dispatch(lambda: arrived(b)), name=name)
        for name, link in feeds.items()
    ]
    for reader in readers:
        reader.start()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run_for(app, seconds)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    frames = {reader.name: reader.stats.frames for reader in readers}
    for reader in readers:
        reader.stop()
    for sim in sims:
        sim.terminate()
        sim.wait(10)
        if sim.stdout is not None:
            sim.stdout.close()
    return {
        "seconds": round(wall, 1),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 2),
        "frames": frames,
        "records_delivered": counts["records"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_feeds", description=__doc__)
    parser.add_argument("--samples", type=int, default=400, help="latency frames (400)")
    parser.add_argument("--seconds", type=float, default=20.0, help="CPU run length (20)")
    args = parser.parse_args(argv)
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    result = {
        "benchmark": "live feeds",
        "serial_to_room_latency": bench_latency(app, args.samples),
        "two_live_feeds": bench_cpu(app, args.seconds),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
