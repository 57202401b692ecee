"""Live soundscape: underflows and CPU while a preset plays on a paced fake card.

    python -m benchmarks.bench_soundscape_live [--seconds S] [--others-s S] [--presets A,B|all]

A JACK dummy server (48 kHz, 512-frame periods) runs the audio callback in real time, as a
card would. ``SoundscapeStream`` plays the real ``Engine``'s warm-hush through it for S seconds
(default 60), then every other preset for ``--others-s`` seconds (default 10; 0 skips them),
at level 0.5, exactly as in a session: a producer thread keeps ``ahead_blocks`` rendered
blocks ahead, the callback only copies. Figures per preset played live:

* ``underflows``: blocks the card got silence for (ring empty) plus PortAudio's own output
  underflow flags. Target: 0 in 60 s.
* ``callbacks`` against ``expected_callbacks`` (wall time x rate / block): the card's pace.
* ``cpu_percent``: the whole process's CPU time over wall time while it plays (producer,
  callback and the idle main thread), in % of one core.
* ``lead_min_blocks``: the fewest ready blocks the card had in hand (of ``ahead_blocks``), as
  the producer saw it before each refill: how close it came to an underflow.
* ``idle_client_underflows``: PortAudio underflows of a do-nothing client on the same card at
  the same time, in a process of its own: what the machine alone lost. ``jackd_own_xruns``:
  cycles the server's own clock thread woke late. Both 0 on a quiet machine.
* ``baseline_cpu_percent``: the same process with a PortAudio stream whose callback only writes
  zeros, no producer, no engine: what PortAudio and the JACK client cost by themselves.

Every preset in ``--presets`` (default: all) also gets ``render_realtime_x``: seconds of sound
rendered offline per second of CPU, in the same block size (how much head-room the producer
has).

BLAS threads matter: presets whose oscillator banks are matrix products (drone, bowls) make
OpenBLAS wake its worker threads every 85 ms, and they spin-wait between calls: on two cores
that costs most of a core (measured 95 % instead of 6 %). ``blas_threads`` says what this run
had; ``--blas-threads 1`` measures what an app that limits BLAS gets.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

import numpy as np

from devices.audio.jack_dummy import idle_client, jack_dummy_card
from devices.audio.soundscape_stream import SoundscapeStream
from roomctl.timeline.events import Kind
from soundscapes.engine import Engine, presets

RATE = 48000
BLOCK = 512
AHEAD = 16
LEVEL = 0.5


def _blas_threads() -> int | None:
    """How many threads numpy's BLAS may use: more than 1 spin-waits between the engine's
    small matrix products and burns a core (see the module docstring)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return max(counts) if counts else None


def render_realtime_x(preset: str, seconds: float = 10.0) -> float:
    """Seconds of sound per CPU second, rendered block by block as the producer does."""
    engine = Engine(preset, samplerate=RATE, seed=0, level=LEVEL)
    block = np.zeros((BLOCK, 2), dtype=np.float32)
    blocks = int(seconds * RATE / BLOCK)
    started = time.process_time()
    for _ in range(blocks):
        engine.render(block)
    used = time.process_time() - started
    return round(blocks * BLOCK / RATE / max(used, 1e-9), 1)


def baseline_cpu(seconds: float) -> float:
    """CPU % of a stream on the same card whose callback only writes silence."""
    import sounddevice as sd

    def silence(outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        outdata.fill(0)

    with sd.OutputStream(
        samplerate=RATE, blocksize=BLOCK, channels=2, dtype="float32", callback=silence
    ):
        time.sleep(0.5)
        wall0, cpu0 = time.monotonic(), time.process_time()
        time.sleep(seconds)
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    return round(100 * cpu / wall, 2)


def play_live(preset: str, seconds: float) -> dict[str, Any]:
    events: list[tuple[Kind, dict[str, Any]]] = []
    lock = threading.Lock()

    def report(kind: Kind, data: dict[str, Any]) -> None:
        with lock:
            events.append((kind, data))

    stream = SoundscapeStream(report, samplerate=RATE, blocksize=BLOCK, ahead_blocks=AHEAD)
    try:
        stream.start(preset, LEVEL)
        if not stream.flush(10.0) or not stream.stats.running:
            raise RuntimeError(f"the soundscape did not start: {events}")
        with idle_client(samplerate=RATE, blocksize=BLOCK) as idle:
            first = stream.stats
            wall0, cpu0 = time.monotonic(), time.process_time()
            time.sleep(seconds)  # nothing else runs in this process meanwhile
            wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
            last = stream.stats
    finally:
        stream.close()
    callbacks = last.callbacks - first.callbacks
    return {
        "seconds": round(wall, 2),
        "callbacks": callbacks,
        "expected_callbacks": round(wall * RATE / BLOCK, 1),
        "underflows": last.underflows - first.underflows,
        "ring_underflows": last.ring_underflows - first.ring_underflows,
        "portaudio_underflows": last.portaudio_underflows - first.portaudio_underflows,
        "cpu_percent": round(100 * cpu / wall, 2),
        "lead_min_blocks": last.lowest_lead,
        "idle_client_underflows": idle.stop(),
        "alarms": [d for k, d in events if k == Kind.ALARM],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_soundscape_live", description=__doc__
    )
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="live seconds of warm-hush (60)"
    )
    parser.add_argument(
        "--presets", default="all", help="comma-separated presets to measure, or all (all)"
    )
    parser.add_argument(
        "--others-s", type=float, default=10.0, help="live seconds of each other preset (10)"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        metavar="N",
        help="limit BLAS (OpenBLAS) to N threads, as an app would (default: as it is)",
    )
    args = parser.parse_args(argv)
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")
    known = [p.name for p in presets()]
    names = known if args.presets == "all" else [n.strip() for n in args.presets.split(",")]
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"unknown preset(s) {', '.join(unknown)} (known: {', '.join(known)})")
    first = "warm-hush" if "warm-hush" in names else names[0]
    live = {first: args.seconds}
    if args.others_s > 0:
        live.update({name: args.others_s for name in names if name != first})
    started = time.monotonic()
    result: dict[str, Any] = {
        "benchmark": "live soundscape on JACK's dummy card (48 kHz, 512 frames)",
        "samplerate": RATE,
        "blocksize": BLOCK,
        "ahead_blocks": AHEAD,
        "target": "0 underflows in 60 s",
        "blas_threads": _blas_threads(),
        "render_realtime_x": {name: render_realtime_x(name) for name in names},
    }
    with jack_dummy_card(samplerate=RATE, period=BLOCK) as card:
        result["jackd_realtime"] = card.realtime
        result["baseline_cpu_percent"] = baseline_cpu(min(args.seconds, 10.0))
        xruns = card.server_xruns()
        result["live"] = {name: play_live(name, seconds) for name, seconds in live.items()}
        result["jackd_own_xruns"] = card.server_xruns() - xruns  # the machine, not roomctl
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
