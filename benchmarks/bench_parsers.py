"""Parser throughput, records and frames per second on one core.

    python -m benchmarks.bench_parsers [--seconds S] [--chunk BYTES] [--repeat N]

Each format gets a realistic stream written by its simulator encoder (values vary line to line
with a fixed seed, so memoisation sees what a live feed would show, not one line repeated), cut
into ``--chunk``-byte reads as a reader thread would hand them over. The process is pinned to
one CPU; the time is CPU time (``process_time``) and the best of ``--repeat`` runs is kept,
because this machine's wall clock is shared and noisy. Issue 3's targets: Masimo ≥ 200,000
lines/s, Nonin OEM III ≥ 500,000 frames/s. ``small_chunk`` repeats the run with 64-byte reads
(a reader polling often): the parser's fixed cost per call shows there.

Prints one JSON object: per format ``frames_per_s``, ``records_per_s``, the target when issue 3
sets one, and ``meets_target``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from devices.feeds.newera_basic import STATUS_QUERIES
from devices.feeds.records import RecordKind
from devices.feeds.registry import PROTOCOLS
from devices.sim.frames import masimo_ascii1, newera_basic, nonin_oem3, nonin_text, roomctl_line

TARGETS = {"masimo-ascii1": 200_000, "nonin-oem3": 500_000}  # frames/s, issue 3 item 10


def masimo_stream(rng: random.Random, n: int) -> bytes:
    """Full Radical-7 lines (11 fields, the longest public form), one a second."""
    start = datetime(2024, 5, 1, 9, 0, 0)
    return b"".join(
        masimo_ascii1.encode_line(
            {
                "spo2": rng.randint(88, 100),
                "hr": rng.randint(50, 130),
                "pi": rng.randint(30, 1000) / 100,
                "spco": rng.randint(0, 30) / 10,
                "spmet": rng.randint(0, 20) / 10,
                "pvi": rng.randint(5, 30),
            },
            device_time=start + timedelta(seconds=i),
            desat=0,
            pi_delta=rng.randint(-5, 5),
        )
        for i in range(n)
    )


def nonin_text_stream(rng: random.Random, n: int) -> bytes:
    return b"".join(
        nonin_text.encode_line(rng.randint(88, 100), rng.randint(50, 130), clock_s=i % 86_400)
        for i in range(n)
    )


def oem3_stream(rng: random.Random, packets: int) -> bytes:
    """Packets of 25 frames with a pleth wave and varying HR/SpO2 (n is in packets)."""
    return b"".join(
        nonin_oem3.encode_packet(
            hr=rng.randint(50, 130),
            spo2=rng.randint(88, 100),
            pleth=[int(128 + 100 * ((i * 7 + k) % 25) / 25) for k in range(25)],
        )
        for i in range(packets)
    )


def roomctl_stream(rng: random.Random, n: int) -> bytes:
    lines = []
    for i in range(n):
        if i % 3 == 0:
            values = {"hr": rng.randint(50, 130), "spo2": rng.randint(88, 100), "rr": 14}
            lines.append(roomctl_line.encode(RecordKind.VITALS, values, clock_s=i, ck=True))
        elif i % 3 == 1:
            values = {"nibp_sys": rng.randint(100, 180), "nibp_dia": rng.randint(60, 110)}
            lines.append(roomctl_line.encode(RecordKind.NIBP, values, clock_s=i, ck=True))
        else:
            values = {"pump_state": "RUN", "pump_rate_ml_h": 52.5, "pump_vi_ml": i / 100}
            lines.append(roomctl_line.encode(RecordKind.PUMP, values, clock_s=i, ck=True))
    return b"".join(lines)


def newera_stream(rng: random.Random, n: int) -> bytes:
    pump = newera_basic.PumpPanel(status="I", rate=52.5)
    replies = []
    for i in range(n):
        pump.infused = i / 1000
        replies.append(newera_basic.answer(STATUS_QUERIES[rng.randrange(5)], pump))
    return b"".join(replies)


#: name → (stream builder, frames per unit of n, n)
STREAMS: dict[str, tuple[Callable[[random.Random, int], bytes], int, int]] = {
    "masimo-ascii1": (masimo_stream, 1, 100_000),
    "nonin-text": (nonin_text_stream, 1, 100_000),
    "nonin-oem3": (oem3_stream, 25, 40_000),
    "roomctl-line": (roomctl_stream, 1, 100_000),
    "newera-basic": (newera_stream, 1, 100_000),
}


def measure(
    name: str,
    data: bytes,
    chunk: int,
    repeat: int,
    before_each: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Best CPU time of ``repeat`` parses of ``data`` in ``chunk``-byte reads.

    ``before_each`` resets whatever a parser keeps between streams (a cache), so every run
    measures the same work.
    """
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    best = float("inf")
    frames = records = 0
    for _ in range(repeat):
        if before_each is not None:
            before_each()
        parser = PROTOCOLS[name].parser()
        started = time.process_time()
        records = sum(len(parser.feed(c)) for c in chunks)
        best = min(best, time.process_time() - started)
        frames = parser.frames
        if parser.bad_frames:
            raise AssertionError(f"{name}: {parser.bad_frames} bad frames in a clean stream")
    return {
        "frames": frames,
        "records": records,
        "bytes": len(data),
        "cpu_s": round(best, 4),
        "frames_per_s": round(frames / best),
        "records_per_s": round(records / best),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_parsers", description=__doc__)
    parser.add_argument("--chunk", type=int, default=4096, help="bytes per feed() call")
    parser.add_argument("--repeat", type=int, default=5, help="runs per format; best is kept")
    parser.add_argument("--scale", type=float, default=1.0, help="stream length factor")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rng = random.Random(3)
    results: dict[str, Any] = {}
    for name, (build, _, n) in STREAMS.items():
        data = build(rng, max(1, int(n * args.scale)))
        result = measure(name, data, args.chunk, args.repeat)
        small = measure(name, data[: len(data) // 10], 64, max(1, args.repeat // 2))
        result["small_chunk_frames_per_s"] = small["frames_per_s"]
        if name in TARGETS:
            result["target_frames_per_s"] = TARGETS[name]
            result["meets_target"] = result["frames_per_s"] >= TARGETS[name]
        results[name] = result
    print(json.dumps({"chunk_bytes": args.chunk, "python": sys.version.split()[0], **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
