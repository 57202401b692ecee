"""Music fitting time: a 500-track library fitted to the infusion, and an Extend's re-plan.

    python -m benchmarks.bench_music_plan [--tracks N] [--repeat R] [--parse N]

The library is synthetic (seeded): ``--tracks`` lengths drawn uniformly from 2-9 minutes, named
in order. Each case runs ``--repeat`` times after one warm-up; the figures are wall-clock
milliseconds (p50, p99, max). Issue 5 wants a plan fast enough to re-make on every Extend from
the GUI thread: the target is 50 ms. ``stress`` is the slowest shape found while testing (short
tracks looped over two hours: thousands of items). ``parse`` times libvlc reading the lengths of
``--parse`` small WAV files (0 skips it), which is what ``roomctl playlist plan`` waits for first.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.measure import percentiles
from roomctl.music_plan import MusicPlan, Track, fit_playlist, refit

TARGET_MS = 50.0


def library(n: int, seed: int = 5, low_s: float = 120.0, high_s: float = 540.0) -> list[Track]:
    rng = random.Random(seed)
    return [Track(f"/music/infusion/{i:03d}.flac", rng.uniform(low_s, high_s)) for i in range(n)]


def timed(run: Callable[[], MusicPlan], repeat: int) -> dict[str, Any]:
    plan = run()  # warm-up, and the plan whose size is reported
    took: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        took.append((time.perf_counter() - started) * 1000)
    figures: dict[str, Any] = dict(percentiles(took))
    figures["items"] = len(plan.items)
    figures["meets_target"] = figures["p99_ms"] <= TARGET_MS
    return figures


def bench_fit(tracks: list[Track], repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for minutes in (40, 55, 120):
        for order in ("fitted", "fixed"):
            out[f"{minutes}min_{order}"] = timed(
                lambda m=minutes, o=order: fit_playlist(tracks, m * 60.0, order=o), repeat
            )
    return out


def bench_refit(tracks: list[Track], repeat: int) -> dict[str, Any]:
    plan_40 = fit_playlist(tracks, 2400.0)
    plan_120 = fit_playlist(tracks, 7200.0)
    return {
        "40_to_50min_at_25min": timed(lambda: refit(plan_40, tracks, 1500.0, 3000.0), repeat),
        "40_to_50min_in_final_fade": timed(lambda: refit(plan_40, tracks, 2370.0, 3000.0), repeat),
        "120_to_150min_at_100min": timed(lambda: refit(plan_120, tracks, 6000.0, 9000.0), repeat),
        "40_to_50min_fixed": timed(
            lambda: refit(
                fit_playlist(tracks, 2400.0, order="fixed"),
                tracks,
                1500.0,
                3000.0,
                order="fixed",
            ),
            repeat,
        ),
    }


def bench_parse(count: int) -> dict[str, Any]:
    from devices.audio.library import load_library

    with tempfile.TemporaryDirectory(prefix="roomctl-bench-music-") as folder:
        for i in range(count):
            with wave.open(str(Path(folder) / f"{i:03d}.wav"), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(1)
                out.setframerate(8000)
                out.writeframes(bytes([128]) * 8000 * (1 + i % 5))
        started = time.perf_counter()
        loaded = load_library(folder)
        took = time.perf_counter() - started
    return {
        "files": count,
        "tracks": len(loaded.tracks),
        "seconds": round(took, 3),
        "ms_per_file": round(took * 1000 / max(1, count), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_music_plan",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tracks", type=int, default=500, help="library size (500)")
    parser.add_argument("--repeat", type=int, default=50, help="runs per case (50)")
    parser.add_argument("--parse", type=int, default=100, help="WAVs for libvlc to read (100)")
    args = parser.parse_args(argv)
    tracks = library(args.tracks)
    short = library(args.tracks, low_s=5.0, high_s=20.0)
    result: dict[str, Any] = {
        "benchmark": f"music fitting: {args.tracks} tracks of 2-9 min, seeded",
        "target_ms": TARGET_MS,
        "fit": bench_fit(tracks, args.repeat),
        "refit": bench_refit(tracks, args.repeat),
        "stress_short_tracks_120min": timed(
            lambda: fit_playlist(short, 7200.0), max(5, args.repeat // 5)
        ),
    }
    if args.parse > 0:
        result["parse"] = bench_parse(args.parse)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
