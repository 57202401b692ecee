"""Live music: CPU of libvlc playing the demo infusion library through the player, how soon a
duck is heard, and how long making the demo library takes.

    python -m benchmarks.bench_music_live [--seconds S] [--library DIR] [--output MODE]
                                          [--ducks N] [--scale X]

* ``generate``: ``ensure_demo_library`` into a fresh folder (unless ``--library`` names an
  existing one): wall and CPU seconds, audio minutes, megabytes on disk. ``--scale`` shortens
  every piece (1.0 is the real library).
* ``playback``: ``VlcMusicPlayer`` plays the infusion playlist fitted to 40 minutes for S
  seconds (default 30) at speed 1, as in a session. ``cpu_percent`` is the whole process's CPU
  time over wall time (libvlc's decoder and output threads, the player's worker, the idle main
  thread) in % of one core, measured after the first track has started; ``load_s`` is play()
  to the ``plan`` event (reading lengths with libvlc and fitting). Output ``capture`` (default)
  hands the samples to Python through amem, which also counts them against real time
  (``realtime_ratio``, 1.0 = paced); ``null`` plays to ALSA's null device; ``default`` to the
  machine's sound output.
* ``duck_heard``: N ducks to 0.1 over 1 s (and back) on a steady tone heard through amem: how
  long after ``fade_to`` the *heard* level (by presentation time) was within 1 dB of the duck
  level. A tone, not the music, so the level is exact. The room's target is 1 s.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

from devices.audio.demo_music import PLAYLISTS, ensure_demo_library
from devices.audio.vlc_player import VlcMusicPlayer
from devices.audio.vlc_support import CAPTURE_CHANNELS, CAPTURE_RATE
from roomctl.config import PlaylistConfig
from roomctl.music_plan import MusicPlan, PlanItem
from roomctl.timeline.events import Kind


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_generate(folder: Path, scale: float) -> dict[str, Any]:
    started, cpu = time.perf_counter(), _cpu_s()
    ensure_demo_library(folder, scale=scale)
    wall = time.perf_counter() - started
    minutes = sum(max(2.0, p.seconds * scale) for v in PLAYLISTS.values() for p in v) / 60
    size = sum(f.stat().st_size for f in folder.rglob("*.ogg"))
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(_cpu_s() - cpu, 1),
        "audio_minutes": round(minutes, 1),
        "megabytes": round(size / 1e6, 1),
        "cpus": os.cpu_count(),
    }


class _Ears:
    """Counts what amem delivers and keeps each block's presentation time and level."""

    def __init__(self) -> None:
        self.frames = [0, 0]
        self.levels: list[tuple[int, float, float]] = []

    def __call__(self, player: int, pcm: bytes, pts: int) -> None:
        samples = np.frombuffer(pcm, dtype=np.int16)
        self.frames[player] += len(samples) // CAPTURE_CHANNELS
        left = samples[::2].astype(np.float32) / 32768.0
        self.levels.append((player, pts / 1e6, float(np.mean(left * left))))

    def heard_level(self, start: float, end: float) -> float:
        """The RMS heard in [start, end): each player's mean power, summed."""
        total = 0.0
        for player in (0, 1):
            powers = [p for n, t, p in self.levels if n == player and start <= t < end]
            if powers:
                total += sum(powers) / len(powers)
        return math.sqrt(total)


def bench_playback(library: Path, seconds: float, output: str) -> dict[str, Any]:
    events: list[tuple[float, dict[str, Any]]] = []
    plan_seen = threading.Event()
    started_track = threading.Event()

    def report(kind: Kind, data: dict[str, Any]) -> None:
        events.append((time.monotonic(), data))
        if data.get("action") == "plan":
            plan_seen.set()
        if data.get("action") == "track_start":
            started_track.set()

    ears = _Ears() if output == "capture" else None
    options: dict[str, Any] = {}
    if output == "null":
        options = {"instance_args": ("--aout=alsa",), "output_device": "null"}
    player = VlcMusicPlayer(report, now=time.monotonic, audio_capture=ears, **options)
    try:
        asked = time.monotonic()
        player.play("infusion", PlaylistConfig(path=str(library / "infusion")), 2400.0)
        if not plan_seen.wait(30) or not started_track.wait(10):
            raise RuntimeError(f"the player did not start: {[d for _, d in events]}")
        load_s = next(at for at, d in events if d.get("action") == "plan") - asked
        time.sleep(1.0)  # past the first track's start-up
        wall0, cpu0 = time.monotonic(), _cpu_s()
        frames0 = max(ears.frames) if ears is not None else 0
        time.sleep(seconds)
        wall = time.monotonic() - wall0
        cpu = _cpu_s() - cpu0
        result: dict[str, Any] = {
            "output": output,
            "seconds": round(wall, 1),
            "cpu_percent": round(100 * cpu / wall, 2),
            "load_s": round(load_s, 3),
            "tracks_started": sum(1 for _, d in events if d.get("action") == "track_start"),
            "errors": [d for _, d in events if d.get("outcome") == "error"],
        }
        if ears is not None:
            played = max(ears.frames) - frames0  # one track at a time in these seconds
            result["realtime_ratio"] = round(played / CAPTURE_RATE / wall, 3)
        return result
    finally:
        player.close()


def bench_duck(folder: Path, count: int) -> dict[str, Any]:
    """``count`` ducks to 0.1 over 1 s (and back) on a steady 330 Hz tone, heard through amem:
    how long after ``fade_to`` the heard level was within 1 dB of the duck level."""
    tone = folder / "tone.wav"
    seconds = 4.0 * count + 3.0
    t = np.arange(int(seconds * CAPTURE_RATE)) / CAPTURE_RATE
    mono = (0.5 * np.sin(2 * np.pi * 330 * t) * 32767).astype("<i2")
    with wave.open(str(tone), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(CAPTURE_RATE)
        out.writeframes(np.repeat(mono, 2).tobytes())
    ears = _Ears()
    started = threading.Event()

    def report(kind: Kind, data: dict[str, Any]) -> None:
        if data.get("action") == "track_start":
            started.set()

    player = VlcMusicPlayer(report, now=time.monotonic, audio_capture=ears, volume=0.7)
    latencies: list[float] = []
    try:
        item = PlanItem(str(tone), 0.0, seconds, 0.0, 0.0, 0.0)
        player.play_plan("bench", MusicPlan(seconds, (item,), False, ()))
        if not started.wait(10):
            raise RuntimeError("the tone did not start")
        time.sleep(1.0)
        for _ in range(count):
            asked = time.monotonic()
            player.fade_to(0.1, 1.0)
            time.sleep(2.0)
            target = 0.5 / math.sqrt(2) * 0.1**3 * 1.12  # VLC's volume is cubic; +1 dB
            block_s = 0.05  # amem's blocks here: 2205 frames
            heard = sorted((t, p) for _, t, p in ears.levels if t >= asked)
            down = next(t for t, p in heard if math.sqrt(p) <= target)
            latencies.append(down + block_s - asked)  # heard down by the end of that block
            player.fade_to(0.7, 1.0)
            time.sleep(2.0)
    finally:
        player.close()
    return {
        "n": len(latencies),
        "median_s": round(statistics.median(latencies), 3),
        "max_s": round(max(latencies), 3),
        "target_s": 1.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_music_live", description=__doc__
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="playback seconds (30)")
    parser.add_argument("--library", type=Path, help="an existing demo library (else made)")
    parser.add_argument(
        "--output", choices=("capture", "null", "default"), default="capture", help="(capture)"
    )
    parser.add_argument("--ducks", type=int, default=5, help="ducks measured (5)")
    parser.add_argument("--scale", type=float, default=1.0, help="piece length scale (1.0)")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"benchmark": "music: libvlc playback through VlcMusicPlayer"}
    with tempfile.TemporaryDirectory(prefix="roomctl-bench-music-") as tmp:
        library = args.library
        if library is None:
            library = Path(tmp) / "music"
            result["generate"] = bench_generate(library, args.scale)
        result["playback"] = bench_playback(library, args.seconds, args.output)
        if args.ducks:
            result["duck_heard"] = bench_duck(Path(tmp), args.ducks)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
