"""Soundscape synthesis speed: how many times faster than real time each preset renders on one
core, the way the live producer thread calls the engine.

    python -m benchmarks.bench_soundscapes [--seconds S] [--block FRAMES] [--repeat N]

Each preset renders ``--seconds`` (60) of 48 kHz stereo in ``--block``-frame (1024) calls to
``Engine.render``, at level 1 and the middle of every control. The process is pinned to one CPU
and BLAS to one thread; the time is CPU time (``process_time``), the best of ``--repeat`` (3)
runs, because this machine's wall clock is shared and noisy. A crossfade renders two presets at
once for its length, so ``crossfade`` times the slowest pair, ocean to rain, over 10 s.

Issue 5's target: at least 50x real time for every preset. Prints one JSON object: per preset
``x_realtime`` and ``meets_target``, plus the rendered figures (RMS, peak, loudness, centroid).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

# One BLAS thread when run on its own (numpy not loaded yet): "one core" means one core. The
# process is pinned to one CPU in main() either way.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from soundscapes.engine import SAMPLERATE, Engine, presets
from soundscapes.measure import summarise

TARGET = 50.0


def _pin_one_cpu() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def time_render(engine: Engine, seconds: float, block: int) -> tuple[float, np.ndarray]:
    """CPU seconds to render ``seconds`` in ``block``-frame calls, and what came out."""
    total = round(seconds * engine.samplerate)
    out = np.empty((total, 2), np.float32)
    started = time.process_time()
    for at in range(0, total, block):
        engine.render(out[at : at + block])
    return time.process_time() - started, out


def bench_preset(name: str, seconds: float, block: int, repeat: int) -> dict[str, Any]:
    best, out = min(
        (time_render(Engine(name, seed=1), seconds, block) for _ in range(repeat)),
        key=lambda pair: pair[0],
    )
    summary = summarise(out, SAMPLERATE)
    x_realtime = seconds / best
    return {
        "x_realtime": round(x_realtime, 1),
        "meets_target": x_realtime >= TARGET,
        "rms_dbfs": summary.rms_dbfs,
        "peak_dbfs": summary.peak_dbfs,
        "loudness_lufs": summary.loudness_lufs,
        "centroid_hz": summary.centroid_hz,
    }


def bench_crossfade(block: int, repeat: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        engine = Engine("ocean", seed=1)
        engine.crossfade_to("rain", 10.0)
        runs.append(time_render(engine, 10.0, block)[0])
    x_realtime = 10.0 / min(runs)
    return {"pair": "ocean -> rain, 10 s", "x_realtime": round(x_realtime, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_soundscapes", description=__doc__
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds per preset (60)")
    parser.add_argument("--block", type=int, default=1024, help="frames per render call (1024)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per preset, best kept (3)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    cpu = _pin_one_cpu()
    per_preset = {
        p.name: bench_preset(p.name, args.seconds, args.block, args.repeat) for p in presets()
    }
    result = {
        "benchmark": f"soundscapes: {SAMPLERATE} Hz stereo synthesis, {args.block}-frame calls",
        "cpu": cpu,
        "target_x_realtime": TARGET,
        "presets": per_preset,
        "slowest": min(per_preset, key=lambda name: per_preset[name]["x_realtime"]),
        "all_meet_target": all(p["meets_target"] for p in per_preset.values()),
        "crossfade": bench_crossfade(args.block, args.repeat),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
